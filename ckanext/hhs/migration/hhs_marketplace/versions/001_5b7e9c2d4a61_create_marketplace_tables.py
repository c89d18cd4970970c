"""Create the marketplace tables: access requests, grants, licences, licence requests, needs, answers, events

Revision ID: 5b7e9c2d4a61
Revises:
Create Date: 2026-11-26 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "5b7e9c2d4a61"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.UnicodeText, primary_key=True)


def upgrade() -> None:
    op.create_table(
        "hhs_marketplace_request",
        _id(),
        sa.Column("product_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("owner_org_id", sa.UnicodeText, sa.ForeignKey("group.id")),
        sa.Column("requester_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="submitted"),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("project", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("datasets", JSONB, nullable=False, server_default="[]"),
        sa.Column("columns", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("terms_accepted", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("second_level", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("first_decided_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("decided_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("decided", sa.DateTime),
        sa.Column("granted", sa.DateTime),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
    )
    for column in ("product_id", "owner_org_id", "requester_id", "status"):
        op.create_index(f"ix_hhs_marketplace_request_{column}", "hhs_marketplace_request", [column])
    op.create_index(
        "ux_hhs_marketplace_request_open",
        "hhs_marketplace_request",
        ["product_id", "requester_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('submitted', 'info_requested', 'awaiting_second')"),
    )
    op.create_table(
        "hhs_marketplace_grant",
        _id(),
        sa.Column(
            "request_id",
            sa.UnicodeText,
            sa.ForeignKey("hhs_marketplace_request.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("preexisting", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("revoked", sa.DateTime),
        sa.Column("revoke_reason", sa.UnicodeText, nullable=False, server_default=""),
        sa.UniqueConstraint("request_id", "package_id"),
    )
    for column in ("request_id", "user_id", "end_date", "revoked"):
        op.create_index(f"ix_hhs_marketplace_grant_{column}", "hhs_marketplace_grant", [column])
    op.create_table(
        "hhs_marketplace_licence",
        _id(),
        sa.Column("vendor", sa.UnicodeText, nullable=False),
        sa.Column("product", sa.UnicodeText, nullable=False),
        sa.Column("subject", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("contract_number", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("holder_org_id", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("covered_org_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("seats", sa.Integer),
        sa.Column("cost", sa.Numeric(14, 2)),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("renewal", sa.UnicodeText, nullable=False, server_default="manual"),
        sa.Column("terms", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("data_product_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="SET NULL")),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.Column("reminded", sa.Date),
    )
    op.create_index("ix_hhs_marketplace_licence_holder_org_id", "hhs_marketplace_licence", ["holder_org_id"])
    op.create_index("ix_hhs_marketplace_licence_end_date", "hhs_marketplace_licence", ["end_date"])
    op.create_table(
        "hhs_marketplace_licence_request",
        _id(),
        sa.Column(
            "licence_id",
            sa.UnicodeText,
            sa.ForeignKey("hhs_marketplace_licence.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("org_id", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("reason", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="submitted"),
        sa.Column("decided_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("decided", sa.DateTime),
        sa.Column("note", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hhs_marketplace_licence_request_licence_id", "hhs_marketplace_licence_request", ["licence_id"])
    op.create_table(
        "hhs_marketplace_need",
        _id(),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("why", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("needed_by", sa.Date),
        sa.Column("asked_org_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("posted_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="open"),
        sa.Column("closing_note", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("closed", sa.DateTime),
    )
    op.create_index("ix_hhs_marketplace_need_status", "hhs_marketplace_need", ["status"])
    op.create_table(
        "hhs_marketplace_need_answer",
        _id(),
        sa.Column(
            "need_id", sa.UnicodeText, sa.ForeignKey("hhs_marketplace_need.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("org_id", sa.UnicodeText, sa.ForeignKey("group.id")),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("package_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("note", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("publish_by", sa.Date),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hhs_marketplace_need_answer_need_id", "hhs_marketplace_need_answer", ["need_id"])
    op.create_table(
        "hhs_marketplace_event",
        _id(),
        sa.Column("object_type", sa.UnicodeText, nullable=False),
        sa.Column("object_id", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("message", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("data", JSONB, nullable=False, server_default="{}"),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hhs_marketplace_event_object", "hhs_marketplace_event", ["object_type", "object_id"])


def downgrade() -> None:
    for table in ("event", "need_answer", "need", "licence_request", "licence", "grant", "request"):
        op.drop_table(f"hhs_marketplace_{table}")
