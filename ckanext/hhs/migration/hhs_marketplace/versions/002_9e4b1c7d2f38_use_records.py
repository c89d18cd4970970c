"""Data-use records: one immutable version per decision or change of an access request

Revision ID: 9e4b1c7d2f38
Revises: 5b7e9c2d4a61
Create Date: 2026-12-07 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "9e4b1c7d2f38"
down_revision = "5b7e9c2d4a61"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_marketplace_use_record",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "request_id",
            sa.UnicodeText,
            sa.ForeignKey("hhs_marketplace_request.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("change", sa.UnicodeText, nullable=False),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("content", JSONB, nullable=False),
        sa.UniqueConstraint("request_id", "version"),
    )
    op.create_index("ix_hhs_marketplace_use_record_request_id", "hhs_marketplace_use_record", ["request_id"])
    # A version once written is the agreement as it stood: the database refuses to change it.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION hhs_marketplace_use_record_frozen() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'a data-use record version is never changed; add a new version';
        END;
        $$ LANGUAGE plpgsql;
        CREATE OR REPLACE TRIGGER hhs_marketplace_use_record_frozen BEFORE UPDATE ON hhs_marketplace_use_record
            FOR EACH ROW EXECUTE FUNCTION hhs_marketplace_use_record_frozen();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS hhs_marketplace_use_record_frozen ON hhs_marketplace_use_record")
    op.execute("DROP FUNCTION IF EXISTS hhs_marketplace_use_record_frozen()")
    op.drop_table("hhs_marketplace_use_record")
