"""Create the governance metrics tables

Revision ID: 8374b042fcf8
Revises:
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "8374b042fcf8"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
