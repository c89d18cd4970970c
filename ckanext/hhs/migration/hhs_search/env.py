"""Alembic environment of the hhs_search tables, with a version table of their own."""

from ckanext.hhs.migration.alembic_env import run

run(__file__, ("hhs_search",))
