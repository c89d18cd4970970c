"""Real lakehouse tables written by the tests: Delta (deltalake), Iceberg (pyiceberg through the portal's
SQL catalog) and Parquet (pyarrow), in a temporary allowed root."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ckan.plugins.toolkit as tk

PLUGINS = "activity hhs hhs_glossary hhs_lakehouse scheming_datasets scheming_organizations dcat"


def cms_enrollment(extra: dict | None = None) -> pa.Table:
    columns = {
        "state_fips": pa.array(["01", "02", "04", "06"]),
        "year": pa.array([2024, 2024, 2024, 2024], pa.int32()),
        "beneficiaries": pa.array([1000, 200, 1500, 6000], pa.int64()),
    }
    return pa.table({**columns, **(extra or {})})


def cdc_cases() -> pa.Table:
    return pa.table(
        {
            "StateFIPS": pa.array(["01", "02", "06", "36"]),
            "cases": pa.array([12, 3, 40, 55], pa.int64()),
        }
    )


def write_delta(path: str, table: pa.Table, mode: str = "append", **options) -> str:
    from deltalake import write_deltalake

    write_deltalake(path, table, mode=mode, **options)
    return path


def write_parquet(path: str, table: pa.Table, partition: list[str] | None = None) -> str:
    pq.write_to_dataset(table, path, partition_cols=partition)
    return path


def write_iceberg(location: str, namespace: str, name: str, table: pa.Table, **properties) -> str:
    from ckanext.hhs.lakehouse.catalog import open_catalog

    catalog = open_catalog(**{"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO", **properties})
    catalog.create_namespace(namespace)
    iceberg = catalog.create_table(f"{namespace}.{name}", schema=table.schema, location=location)
    iceberg.append(table)
    return location


@pytest.fixture
def lake(tmp_path, monkeypatch):
    """An allowed root (and a folder beside it that is not allowed)."""
    root = tmp_path / "lake"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", str(root))
    return root


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """The tables of the plugins these tests load: activity (drift), glossary and lakehouse."""
    reset_db()
    for plugin in ("activity", "hhs_glossary", "hhs_lakehouse"):
        migrate_db_for(plugin)
