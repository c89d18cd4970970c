"""Create hhs_sso_identity: which provider identity (issuer and subject) is bound to which CKAN user

Revision ID: 7c1d2e3f4a5b
Revises:
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7c1d2e3f4a5b"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_sso_identity",
        sa.Column("issuer", sa.UnicodeText, primary_key=True),
        sa.Column("subject", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("protocol", sa.UnicodeText, nullable=False),
        sa.Column("groups", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
    )
    op.create_index("hhs_sso_identity_user_id_idx", "hhs_sso_identity", ["user_id"])


def downgrade() -> None:
    op.drop_table("hhs_sso_identity")
