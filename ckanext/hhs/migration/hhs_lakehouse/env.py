"""Alembic environment of the hhs_lakehouse tables and the portal's Iceberg SQL catalog, with a version table
of their own."""

from ckanext.hhs.migration.alembic_env import run

run(__file__, ("hhs_lakehouse", "iceberg_"))
