"""Create the governance quality tables

Revision ID: e1a88dc7481a
Revises: 2511c489018e
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "e1a88dc7481a"
down_revision = "2511c489018e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
