"""Create the governance quality tables

Revision ID: e1a88dc7481a
Revises: 2511c489018e
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "e1a88dc7481a"
down_revision = "2511c489018e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_governance_quality_run",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("scope", sa.UnicodeText, nullable=False, server_default="all"),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="queued", index=True),
        sa.Column("error", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("checked", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("started", sa.DateTime),
        sa.Column("finished", sa.DateTime),
    )
    op.create_table(
        "hhs_governance_quality_dataset",
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("owner_org", sa.UnicodeText, index=True),
        sa.Column("modified", sa.DateTime),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("error", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("validation", JSONB, nullable=False, server_default="{}"),
    )
    op.create_table(
        "hhs_governance_suggestion",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("owner_org", sa.UnicodeText, index=True),
        sa.Column("key", sa.UnicodeText, nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("field", sa.UnicodeText, nullable=False),
        sa.Column("mode", sa.UnicodeText, nullable=False, server_default="set"),
        sa.Column("current", JSONB),
        sa.Column("suggested", JSONB),
        sa.Column("reason", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="open", index=True),
        sa.Column("outcome", sa.UnicodeText),
        sa.Column("source", sa.UnicodeText, index=True),
        sa.Column("identifier", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("decided_by", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="SET NULL")),
        sa.Column("decided_at", sa.DateTime),
        sa.UniqueConstraint("package_id", "key", name="hhs_governance_suggestion_key"),
    )


def downgrade() -> None:
    op.drop_table("hhs_governance_suggestion")
    op.drop_table("hhs_governance_quality_dataset")
    op.drop_table("hhs_governance_quality_run")
