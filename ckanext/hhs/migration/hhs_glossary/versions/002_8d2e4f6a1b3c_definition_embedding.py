"""Keep each term's definition embedding, for finding terms that mean the same thing

Revision ID: 8d2e4f6a1b3c
Revises: 3f1c2a9b7d10
Create Date: 2026-11-25 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8d2e4f6a1b3c"
down_revision = "3f1c2a9b7d10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Terms written before this revision have none; they are embedded when compared (similarity.py).
    op.add_column("hhs_glossary_term", sa.Column("definition_embedding", sa.LargeBinary))


def downgrade() -> None:
    op.drop_column("hhs_glossary_term", "definition_embedding")
