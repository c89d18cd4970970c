"""Create the governance duplicates tables: datasets as the scan saw them, candidate pairs with the
Board's decisions, scan runs

Revision ID: 2511c489018e
Revises: 8374b042fcf8
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "2511c489018e"
down_revision = "8374b042fcf8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_governance_duplicate_dataset",
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("title_hash", sa.UnicodeText, nullable=False),
        sa.Column("title_embedding", sa.LargeBinary, nullable=False),
        sa.Column("notes_hash", sa.UnicodeText, nullable=False),
        sa.Column("notes_embedding", sa.LargeBinary, nullable=False),
        sa.Column("signature", sa.UnicodeText, nullable=False),
        sa.Column("scanned", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hhs_governance_duplicate_pair",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("dataset_a", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("dataset_b", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", JSONB, nullable=False, server_default="{}"),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="open"),
        sa.Column("authoritative", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="SET NULL")),
        sa.Column("note", sa.UnicodeText),
        sa.Column("decided_by", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="SET NULL")),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_score", sa.Float),
        sa.Column("decided_reasons", JSONB),
        sa.Column("found", sa.DateTime, nullable=False),
        sa.Column("seen", sa.DateTime, nullable=False),
        sa.UniqueConstraint("dataset_a", "dataset_b"),
    )
    op.create_index("ix_hhs_governance_duplicate_pair_dataset_a", "hhs_governance_duplicate_pair", ["dataset_a"])
    op.create_index("ix_hhs_governance_duplicate_pair_dataset_b", "hhs_governance_duplicate_pair", ["dataset_b"])
    op.create_index("ix_hhs_governance_duplicate_pair_status", "hhs_governance_duplicate_pair", ["status"])
    op.create_table(
        "hhs_governance_duplicate_run",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("full", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="running"),
        sa.Column("stage", sa.UnicodeText),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started", sa.DateTime, nullable=False),
        sa.Column("finished", sa.DateTime),
        sa.Column("error", sa.UnicodeText),
        sa.Column("counts", JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("ix_hhs_governance_duplicate_run_started", "hhs_governance_duplicate_run", ["started"])


def downgrade() -> None:
    op.drop_table("hhs_governance_duplicate_run")
    op.drop_table("hhs_governance_duplicate_pair")
    op.drop_table("hhs_governance_duplicate_dataset")
