"""Create the governance gaps tables

Revision ID: bc9db0df6582
Revises: e1a88dc7481a
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "bc9db0df6582"
down_revision = "e1a88dc7481a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_governance_gap",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("owner_org_id", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("severity", sa.UnicodeText, nullable=False, server_default="medium"),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="open"),
        sa.Column("due_date", sa.Date),
        sa.Column("package_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("term_slugs", JSONB, nullable=False, server_default="[]"),
        sa.Column("resolution", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.Column("closed", sa.DateTime),
    )
    for column in ("owner_org_id", "severity", "status", "due_date"):
        op.create_index(f"ix_hhs_governance_gap_{column}", "hhs_governance_gap", [column])
    op.create_table(
        "hhs_governance_gap_comment",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "gap_id",
            sa.UnicodeText,
            sa.ForeignKey("hhs_governance_gap.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("text", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hhs_governance_gap_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "gap_id",
            sa.UnicodeText,
            sa.ForeignKey("hhs_governance_gap.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("message", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("data", JSONB, nullable=False, server_default="{}"),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    for table in ("hhs_governance_gap_comment", "hhs_governance_gap_event"):
        op.create_index(f"ix_{table}_gap_id", table, ["gap_id"])


def downgrade() -> None:
    op.drop_table("hhs_governance_gap_event")
    op.drop_table("hhs_governance_gap_comment")
    op.drop_table("hhs_governance_gap")
