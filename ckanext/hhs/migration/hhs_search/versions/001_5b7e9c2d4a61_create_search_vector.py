"""Create hhs_search_vector: each dataset's sentence embedding and the hash of its text

Revision ID: 5b7e9c2d4a61
Revises:
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b7e9c2d4a61"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_search_vector",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("text_hash", sa.UnicodeText, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hhs_search_vector")
