"""The portal's Iceberg SQL catalog, in its own PostgreSQL.

It keeps the layout of Iceberg's JDBC catalog (`iceberg_tables`: catalog, namespace, table name and
the current metadata file), so Spark, Trino or pyiceberg elsewhere can point at the same catalog.
pyiceberg's own `SqlCatalog` needs SQLAlchemy 2 and CKAN 2.11 pins 1.4, so this is that catalog on
SQLAlchemy Core 1.4: tables are created, registered, committed (optimistically, on the previous
metadata location) and loaded; views and namespace properties are not needed by the portal.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyiceberg.catalog import Catalog, MetastoreCatalog
from pyiceberg.exceptions import (
    CommitFailedException,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.io import load_file_io
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
from pyiceberg.serializers import FromInputFile
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.locations import load_location_provider
from pyiceberg.table.metadata import new_table_metadata
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER

import ckan.model as model

from . import config
from .model import ICEBERG_NAMESPACES, ICEBERG_TABLES

__all__ = ["HhsSqlCatalog", "open_catalog"]


def open_catalog(**properties: str) -> HhsSqlCatalog:
    """The portal's catalog; properties are pyiceberg FileIO settings (s3.endpoint, ...)."""
    return HhsSqlCatalog(config.iceberg_catalog(), **properties)


class HhsSqlCatalog(MetastoreCatalog):
    def __init__(self, name: str, **properties: str):
        super().__init__(name, **properties)
        self.engine = model.meta.engine

    # ---------------------------------------------------------------- tables

    def _row(self, identifier: Any) -> tuple[str, str]:
        namespace = Catalog.namespace_to_string(Catalog.namespace_from(identifier))
        return namespace, Catalog.table_name_from(identifier)

    def _where(self, namespace: str, name: str) -> Any:
        t = ICEBERG_TABLES.c
        return sa.and_(t.catalog_name == self.name, t.table_namespace == namespace, t.table_name == name)

    def load_table(self, identifier: Any) -> Table:
        namespace, name = self._row(identifier)
        with self.engine.connect() as conn:
            location = conn.execute(
                sa.select([ICEBERG_TABLES.c.metadata_location]).where(self._where(namespace, name))
            ).scalar()
        if not location:
            raise NoSuchTableError(f"Table does not exist: {namespace}.{name}")
        return self.load_location(location, (*Catalog.identifier_to_tuple(namespace), name))

    def load_location(self, metadata_location: str, identifier: tuple[str, ...] = ("static",)) -> Table:
        io = load_file_io(properties=self.properties, location=metadata_location)
        metadata = FromInputFile.table_metadata(io.new_input(metadata_location))
        return Table(
            identifier=identifier,
            metadata=metadata,
            metadata_location=metadata_location,
            io=self._load_file_io(metadata.properties, metadata_location),
            catalog=self,
        )

    def find_by_location(self, table_location: str) -> str | None:
        """The current metadata file of the catalogued table stored at table_location, if any."""
        prefix = table_location.rstrip("/") + "/metadata/"
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select([ICEBERG_TABLES.c.metadata_location]).where(
                    ICEBERG_TABLES.c.catalog_name == self.name,
                    ICEBERG_TABLES.c.metadata_location.startswith(prefix, autoescape=True),
                )
            ).fetchall()
        return rows[0][0] if len(rows) == 1 else None

    def _insert(self, namespace: str, name: str, metadata_location: str) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select([sa.literal(1)]).where(self._where(namespace, name))).first()
            if exists:
                raise TableAlreadyExistsError(f"Table {namespace}.{name} already exists")
            conn.execute(
                ICEBERG_TABLES.insert().values(
                    catalog_name=self.name,
                    table_namespace=namespace,
                    table_name=name,
                    metadata_location=metadata_location,
                    iceberg_type="TABLE",
                )
            )

    def create_table(
        self,
        identifier: Any,
        schema: Any,
        location: str | None = None,
        partition_spec: Any = UNPARTITIONED_PARTITION_SPEC,
        sort_order: Any = UNSORTED_SORT_ORDER,
        properties: Any = None,
    ) -> Table:
        properties = dict(properties or {})
        schema = self._convert_schema_if_needed(schema, int(properties.get("format-version", 2)))
        namespace, name = self._row(identifier)
        if not self.namespace_exists(namespace):
            raise NoSuchNamespaceError(f"Namespace does not exist: {namespace}")
        location = self._resolve_table_location(location, namespace, name)
        provider = load_location_provider(table_location=location, table_properties=properties)
        metadata_location = provider.new_table_metadata_file_location()
        metadata = new_table_metadata(
            location=location,
            schema=schema,
            partition_spec=partition_spec,
            sort_order=sort_order,
            properties=properties,
        )
        self._write_metadata(metadata, load_file_io(self.properties, metadata_location), metadata_location)
        self._insert(namespace, name, metadata_location)
        return self.load_table(identifier)

    def register_table(self, identifier: Any, metadata_location: str, overwrite: bool = False) -> Table:
        namespace, name = self._row(identifier)
        if not self.namespace_exists(namespace):
            raise NoSuchNamespaceError(f"Namespace does not exist: {namespace}")
        self._insert(namespace, name, metadata_location)
        return self.load_table(identifier)

    def commit_table(self, table: Table, requirements: Any, updates: Any) -> CommitTableResponse:
        namespace, name = self._row(table.name())
        try:
            current = self.load_table(table.name())
        except NoSuchTableError:
            current = None
        staged = self._update_and_stage_table(current, table.name(), requirements, updates)
        if current and staged.metadata == current.metadata:
            return CommitTableResponse(metadata=current.metadata, metadata_location=current.metadata_location)
        self._write_metadata(staged.metadata, staged.io, staged.metadata_location)
        if current is None:
            self._insert(namespace, name, staged.metadata_location)
        else:
            with self.engine.begin() as conn:
                done = conn.execute(
                    ICEBERG_TABLES.update()
                    .where(
                        self._where(namespace, name),
                        ICEBERG_TABLES.c.metadata_location == current.metadata_location,
                    )
                    .values(
                        metadata_location=staged.metadata_location,
                        previous_metadata_location=current.metadata_location,
                    )
                )
                if done.rowcount < 1:
                    raise CommitFailedException(f"Table has been updated by another process: {namespace}.{name}")
        return CommitTableResponse(metadata=staged.metadata, metadata_location=staged.metadata_location)

    def drop_table(self, identifier: Any) -> None:
        namespace, name = self._row(identifier)
        with self.engine.begin() as conn:
            if not conn.execute(ICEBERG_TABLES.delete().where(self._where(namespace, name))).rowcount:
                raise NoSuchTableError(f"Table does not exist: {namespace}.{name}")

    def list_tables(self, namespace: Any) -> list[tuple[str, ...]]:
        ns = Catalog.namespace_to_string(namespace)
        t = ICEBERG_TABLES.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select([t.table_name]).where(t.catalog_name == self.name, t.table_namespace == ns)
            ).fetchall()
        return [(*Catalog.identifier_to_tuple(ns), r[0]) for r in rows]

    def rename_table(self, from_identifier: Any, to_identifier: Any) -> Table:
        raise NotImplementedError

    # ---------------------------------------------------------------- namespaces

    def namespace_exists(self, namespace: Any) -> bool:
        ns = Catalog.namespace_to_string(namespace)
        n, t = ICEBERG_NAMESPACES.c, ICEBERG_TABLES.c
        with self.engine.connect() as conn:
            props = conn.execute(
                sa.select([sa.literal(1)]).where(n.catalog_name == self.name, n.namespace == ns)
            ).first()
            tables = conn.execute(
                sa.select([sa.literal(1)]).where(t.catalog_name == self.name, t.table_namespace == ns)
            ).first()
        return bool(props or tables)

    def create_namespace(self, namespace: Any, properties: Any = None) -> None:
        ns = Catalog.namespace_to_string(namespace)
        if self.namespace_exists(ns):
            return
        with self.engine.begin() as conn:
            conn.execute(
                ICEBERG_NAMESPACES.insert().values(
                    catalog_name=self.name, namespace=ns, property_key="exists", property_value="true"
                )
            )

    def drop_namespace(self, namespace: Any) -> None:
        raise NotImplementedError

    def list_namespaces(self, namespace: Any = ()) -> list[tuple[str, ...]]:
        raise NotImplementedError

    def load_namespace_properties(self, namespace: Any) -> dict[str, str]:
        raise NotImplementedError

    def update_namespace_properties(self, namespace: Any, removals: Any = None, updates: Any = None) -> Any:
        raise NotImplementedError

    # ---------------------------------------------------------------- views: not kept by the portal

    def create_view(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def list_views(self, namespace: Any) -> list[tuple[str, ...]]:
        return []

    def view_exists(self, identifier: Any) -> bool:
        return False

    def register_view(self, identifier: Any, metadata_location: str) -> Any:
        raise NotImplementedError

    def drop_view(self, identifier: Any) -> None:
        raise NotImplementedError

    def load_view(self, identifier: Any) -> Any:
        raise NotImplementedError
