"""The column signal: two divisions' lakehouse tables with the same column names (once normalised:
StateFIPS = state_fips) make a pair even when their titles and descriptions differ."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.governance.duplicates import model as gm
from ckanext.hhs.governance.duplicates import scan as duplicates
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _table_dataset(org: dict, name: str, title: str, notes: str, path, table: pa.Table, admin: str) -> dict:
    pq.write_to_dataset(table, str(path))
    dataset = factories.HhsDataset(
        owner_org=org["id"],
        name=name,
        title=title,
        notes=notes,
        resources=[{"url": f"https://example.com/{name}", "name": f"{name} table", "resource_kind": "lakehouse"}],
    )
    helpers.call_action(
        "hhs_lakehouse_table_register",
        context={"user": admin, "ignore_auth": False},
        id=dataset["resources"][0]["id"],
        table_uri=str(path),
        table_format="parquet",
        queue=False,
    )
    return dataset


def test_same_columns_across_divisions_make_a_pair(tmp_path, monkeypatch):
    root = tmp_path / "lake"
    root.mkdir()
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", str(root))
    admin = ckan_factories.Sysadmin()["name"]
    cms = factories.Division(name="cms")
    cdc = factories.Division(name="cdc", bureau_code="009:20")
    fips = pa.array(["01", "02"])
    counts = pa.array([10, 20], pa.int64())
    years = pa.array([2024, 2024], pa.int32())
    enrollment = _table_dataset(
        cms,
        "cms-enrollment",
        "Medicare enrollment by state",
        "Beneficiaries enrolled in Medicare, per state and year.",
        root / "cms",
        pa.table({"state_fips": fips, "year": years, "beneficiaries": counts}),
        admin,
    )
    surveillance = _table_dataset(
        cdc,
        "cdc-surveillance",
        "Vaccination survey extract",
        "Quarterly extract of an immunization survey.",
        root / "cdc",
        pa.table({"StateFIPS": fips, "Year": years, "Beneficiaries": counts}),
        admin,
    )
    duplicates.scan()
    pair = model.Session.query(gm.DuplicatePair).one()
    assert {pair.dataset_a, pair.dataset_b} == {enrollment["id"], surveillance["id"]}
    assert pair.reasons == {"columns": 1.0}
