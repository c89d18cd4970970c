"""The Alembic environment every hhs_* plugin's migrations share: the plugin's tables (by name prefix)
with a version table of their own, `<plugin>_alembic_version`. Each plugin's env.py calls `run`."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from ckan.model.meta import metadata


def run(env_file: str, prefixes: tuple[str, ...]) -> None:
    config = context.config
    fileConfig(config.config_file_name)
    name = os.path.basename(os.path.dirname(env_file))

    def include_object(object, object_name, type_, reflected, compare_to):  # noqa: A002 (alembic's names)
        return object_name.startswith(prefixes) if type_ == "table" else True

    options = {
        "target_metadata": metadata,
        "version_table": f"{name}_alembic_version",
        "include_object": include_object,
    }
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
