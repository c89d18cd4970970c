"""Real lakehouse tables written by the tests: Delta (deltalake), Iceberg (pyiceberg through the portal's
SQL catalog) and Parquet (pyarrow), in a temporary allowed root."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import act

PASSWORD = "correct-horse-battery-staple"
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
    import ckan.plugins as p

    reset_db()
    for plugin in ("activity", "harvest", "hhs_glossary", "hhs_marketplace", "hhs_lakehouse"):
        if p.plugin_loaded(plugin):
            migrate_db_for(plugin)


@pytest.fixture
def people():
    cms = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services")
    cdc = factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")
    users = {
        n: ckan_factories.User(name=n, password=PASSWORD)["name"]
        for n in ("cms-steward", "cdc-steward", "analyst", "outsider")
    }
    helpers.call_action("organization_member_create", id=cms["id"], username="cms-steward", role="admin")
    helpers.call_action("organization_member_create", id=cdc["id"], username="cdc-steward", role="editor")
    helpers.call_action("organization_member_create", id=cms["id"], username="analyst", role="member")
    helpers.call_action("organization_member_create", id=cdc["id"], username="analyst", role="member")
    return {"cms": cms, "cdc": cdc, **users}


def lake_dataset(org: dict, name: str, fmt: str, uri: str = "", **fields) -> tuple[dict, dict]:
    dataset = factories.HhsDataset(
        owner_org=org["id"],
        name=name,
        resources=[{"url": "https://example.com/x", "name": f"{name} table", "resource_kind": "lakehouse"}],
        **fields,
    )
    resource = dataset["resources"][0]
    return dataset, resource


def register(user: str, resource: dict, uri: str, fmt: str, **extra) -> dict:
    return act(
        "hhs_lakehouse_table_register", user, id=resource["id"], table_uri=uri, table_format=fmt, queue=False, **extra
    )


def approved_term(slug: str, label: str, synonyms: list[str], abbreviation: str = "") -> None:
    helpers.call_action(
        "hhs_glossary_import",
        context={"user": ckan_factories.Sysadmin()["name"], "ignore_auth": False},
        rows=[
            {
                "name": slug,
                "displayName": label,
                "description": f"The {label} used to identify a U.S. state.",
                "synonyms": synonyms,
                "abbreviation": abbreviation,
                "status": "approved",
            }
        ],
    )


@pytest.fixture
def linked(people, lake):
    """A CMS Delta table and a CDC Iceberg table, both with a state FIPS column, and the glossary term."""
    approved_term("state-fips-code", "State FIPS code", ["state FIPS", "StateFIPS"], "FIPS")
    cms_path = write_delta(str(lake / "cms" / "enrollment"), cms_enrollment())
    cdc_path = write_iceberg("file://" + str(lake / "cdc" / "cases"), "cdc", "cases", cdc_cases())
    _, cms_res = lake_dataset(people["cms"], "cms-enrollment", "delta")
    _, cdc_res = lake_dataset(people["cdc"], "cdc-cases", "iceberg", private=True)
    register("cms-steward", cms_res, cms_path, "delta")
    register("cdc-steward", cdc_res, cdc_path, "iceberg")
    return {"cms": cms_res, "cdc": cdc_res}


def confirm_join_keys(linked: dict) -> None:
    """Each table's steward confirms its state FIPS column as the glossary term: the two tables' join key."""
    for user, res, column in (
        ("cms-steward", linked["cms"], "state_fips"),
        ("cdc-steward", linked["cdc"], "StateFIPS"),
    ):
        act("hhs_lakehouse_column_confirm", user, id=res["id"], column=column, term="state-fips-code")
