"""Create the governance gaps tables

Revision ID: bc9db0df6582
Revises: e1a88dc7481a
Create Date: 2026-11-26 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "bc9db0df6582"
down_revision = "e1a88dc7481a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
