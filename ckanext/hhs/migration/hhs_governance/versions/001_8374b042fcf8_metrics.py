"""Create the governance metrics tables: job runs, dated snapshots of the figures, link-check results

Revision ID: 8374b042fcf8
Revises:
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "8374b042fcf8"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_governance_metrics_run",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="running"),
        sa.Column("started", sa.DateTime, nullable=False),
        sa.Column("finished", sa.DateTime),
        sa.Column("error", sa.UnicodeText),
        sa.Column("counts", JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("ix_hhs_governance_metrics_run_started", "hhs_governance_metrics_run", ["started"])
    op.create_table(
        "hhs_governance_metrics_snapshot",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "run_id",
            sa.UnicodeText,
            sa.ForeignKey("hhs_governance_metrics_run.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("division", sa.UnicodeText, nullable=False),
        sa.Column("computed_at", sa.DateTime, nullable=False),
        sa.Column("figures", JSONB, nullable=False),
        sa.UniqueConstraint("run_id", "division"),
    )
    op.create_index("ix_hhs_governance_metrics_snapshot_division", "hhs_governance_metrics_snapshot", ["division"])
    op.create_index(
        "ix_hhs_governance_metrics_snapshot_computed_at", "hhs_governance_metrics_snapshot", ["computed_at"]
    )
    op.create_table(
        "hhs_governance_link_status",
        sa.Column("resource_id", sa.UnicodeText, sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("url", sa.UnicodeText, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("error", sa.UnicodeText),
        sa.Column("checked", sa.DateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_hhs_governance_link_status_checked", "hhs_governance_link_status", ["checked"])


def downgrade() -> None:
    op.drop_table("hhs_governance_link_status")
    op.drop_table("hhs_governance_metrics_snapshot")
    op.drop_table("hhs_governance_metrics_run")
