"""Create the governance duplicates tables

Revision ID: 2511c489018e
Revises: 8374b042fcf8
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "2511c489018e"
down_revision = "8374b042fcf8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
