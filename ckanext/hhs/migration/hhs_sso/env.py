"""Alembic environment of the hhs_sso tables, with a version table of their own."""

from ckanext.hhs.migration.alembic_env import run

run(__file__, ("hhs_sso",))
