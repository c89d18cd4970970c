"""Create the lakehouse tables: registered tables with their metadata, the query audit log, and the
portal's Iceberg SQL catalog (the layout of Iceberg's JDBC catalog, so other engines can share it)

Revision ID: 7c4d2e8f9a10
Revises:
Create Date: 2026-11-26 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "7c4d2e8f9a10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_lakehouse_table",
        sa.Column("resource_id", sa.UnicodeText, sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("table_uri", sa.UnicodeText, nullable=False),
        sa.Column("table_format", sa.UnicodeText, nullable=False),
        sa.Column("sql_name", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="pending"),
        sa.Column("error", sa.UnicodeText),
        sa.Column("meta", JSONB, nullable=False, server_default="{}"),
        sa.Column("committed", sa.DateTime),
        sa.Column("refreshed", sa.DateTime),
        sa.Column("stale", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("allow_phi_preview", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("registered_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
    )
    op.create_index("ix_hhs_lakehouse_table_package_id", "hhs_lakehouse_table", ["package_id"])
    op.create_table(
        "hhs_lakehouse_query_log",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("sql", sa.UnicodeText, nullable=False),
        sa.Column("tables", JSONB, nullable=False, server_default="[]"),
        sa.Column("rows", sa.Integer),
        sa.Column("ms", sa.Integer),
        sa.Column("status", sa.UnicodeText, nullable=False),
        sa.Column("error", sa.UnicodeText),
    )
    op.create_index("ix_hhs_lakehouse_query_log_user_id", "hhs_lakehouse_query_log", ["user_id"])
    op.create_table(
        "iceberg_tables",
        sa.Column("catalog_name", sa.String(255), primary_key=True),
        sa.Column("table_namespace", sa.String(255), primary_key=True),
        sa.Column("table_name", sa.String(255), primary_key=True),
        sa.Column("metadata_location", sa.String(1000)),
        sa.Column("previous_metadata_location", sa.String(1000)),
        sa.Column("iceberg_type", sa.String(5)),
    )
    op.create_table(
        "iceberg_namespace_properties",
        sa.Column("catalog_name", sa.String(255), primary_key=True),
        sa.Column("namespace", sa.String(255), primary_key=True),
        sa.Column("property_key", sa.String(255), primary_key=True),
        sa.Column("property_value", sa.String(1000), nullable=False),
    )


def downgrade() -> None:
    for table in ("iceberg_namespace_properties", "iceberg_tables", "hhs_lakehouse_query_log", "hhs_lakehouse_table"):
        op.drop_table(table)
