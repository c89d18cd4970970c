"""Lakehouse tables: each registered table with its last metadata, and the audit log of previews and queries.

The Iceberg SQL catalog's own tables (`iceberg_tables`, `iceberg_namespace_properties`) are created by the
same migration and used by catalog.py through SQLAlchemy Core."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ckan.model import domain_object
from ckan.model import types as ckan_types
from ckan.model.base import BaseModel
from ckan.model.meta import metadata

from ckanext.hhs.values import now

__all__ = ["ICEBERG_NAMESPACES", "ICEBERG_TABLES", "LakehouseTable", "QueryLog"]


class LakehouseTable(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A resource's lakehouse table and what the last refresh read of it (never its data)."""

    __tablename__ = "hhs_lakehouse_table"

    resource_id = sa.Column(sa.UnicodeText, sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    package_id = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False, index=True)
    table_uri = sa.Column(sa.UnicodeText, nullable=False)
    table_format = sa.Column(sa.UnicodeText, nullable=False)
    sql_name = sa.Column(sa.UnicodeText, nullable=False, unique=True)  # the name queries use
    status = sa.Column(sa.UnicodeText, nullable=False, default="pending")  # pending, ok, error
    error = sa.Column(sa.UnicodeText)
    meta = sa.Column(JSONB, nullable=False, default=dict)
    committed = sa.Column(sa.DateTime)  # the table's last commit (Delta version, Iceberg snapshot, newest file)
    refreshed = sa.Column(sa.DateTime)
    stale = sa.Column(sa.Boolean, nullable=False, default=False)
    allow_phi_preview = sa.Column(sa.Boolean, nullable=False, default=False)
    registered_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    modified = sa.Column(sa.DateTime, nullable=False, default=now)


class QueryLog(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """One preview or query: who, when, what, over which tables, and how it ended."""

    __tablename__ = "hhs_lakehouse_query_log"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), index=True)
    at = sa.Column(sa.DateTime, nullable=False, default=now)
    kind = sa.Column(sa.UnicodeText, nullable=False)  # preview or query
    sql = sa.Column(sa.UnicodeText, nullable=False)
    tables = sa.Column(JSONB, nullable=False, default=list)
    rows = sa.Column(sa.Integer)
    ms = sa.Column(sa.Integer)
    status = sa.Column(sa.UnicodeText, nullable=False)  # ok, refused, error, timeout
    error = sa.Column(sa.UnicodeText)


# Iceberg's JDBC catalog layout (also pyiceberg's SqlCatalog's), kept as Core tables.
ICEBERG_TABLES = sa.Table(
    "iceberg_tables",
    metadata,
    sa.Column("catalog_name", sa.String(255), primary_key=True),
    sa.Column("table_namespace", sa.String(255), primary_key=True),
    sa.Column("table_name", sa.String(255), primary_key=True),
    sa.Column("metadata_location", sa.String(1000)),
    sa.Column("previous_metadata_location", sa.String(1000)),
    sa.Column("iceberg_type", sa.String(5)),
    extend_existing=True,
)
ICEBERG_NAMESPACES = sa.Table(
    "iceberg_namespace_properties",
    metadata,
    sa.Column("catalog_name", sa.String(255), primary_key=True),
    sa.Column("namespace", sa.String(255), primary_key=True),
    sa.Column("property_key", sa.String(255), primary_key=True),
    sa.Column("property_value", sa.String(1000), nullable=False),
    extend_existing=True,
)
