"""The data dictionary on the resource page, the preview page and the query page."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from .conftest import PLUGINS, confirm_join_keys

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def test_data_dictionary_join_keys_and_preview(app, people, linked):
    confirm_join_keys(linked)
    url = f"/dataset/cms-enrollment/resource/{linked['cms']['id']}"
    page = app.get(url, extra_environ={"REMOTE_USER": "analyst"})
    assert page.status_code == 200
    body = page.body
    assert "Data dictionary" in body and "beneficiaries" in body and "cms_enrollment__cms_enrollment_table" in body
    assert "This table links to" in body and "cdc-cases" in body
    assert "Preview the first rows" in body
    # The outsider sees the dictionary of the public dataset, but no link to the private CDC one.
    outsider = app.get(url, extra_environ={"REMOTE_USER": "outsider"}).body
    assert "beneficiaries" in outsider and "/dataset/cdc-cases" not in outsider
    preview = app.get(f"{url}/table/preview", extra_environ={"REMOTE_USER": "analyst"})
    assert preview.status_code == 200 and "6000" in preview.body
    assert app.get(f"{url}/table/preview").status_code == 403


def test_steward_sees_suggestions(app, people, linked):
    url = f"/dataset/cms-enrollment/resource/{linked['cms']['id']}"
    body = app.get(url, extra_environ={"REMOTE_USER": "cms-steward"}).body
    assert "Suggested glossary terms" in body and "State FIPS code" in body


def test_query_page(app, people, linked):
    sysadmin = ckan_factories.Sysadmin()["name"]
    page = app.get("/lakehouse/query", extra_environ={"REMOTE_USER": sysadmin})
    assert page.status_code == 200 and "cdc_cases__cdc_cases_table" in page.body


def test_drift_in_the_activity_stream_page(app, people, lake):
    import pyarrow as pa

    from .conftest import act, cms_enrollment, lake_dataset, register, write_delta

    path = write_delta(str(lake / "cms" / "t"), cms_enrollment())
    dataset, resource = lake_dataset(people["cms"], "drift-page", "delta")
    register("cms-steward", resource, path, "delta")
    write_delta(path, cms_enrollment({"county": pa.array(["a", "b", "c", "d"])}), mode="overwrite", schema_mode="merge")
    act("hhs_lakehouse_table_refresh", "cms-steward", id=resource["id"], queue=False)
    page = app.get(f"/dataset/activity/{dataset['name']}", extra_environ={"REMOTE_USER": "cms-steward"})
    assert page.status_code == 200
    assert "The columns of the table" in page.body and "county" in page.body


def test_saving_a_lakehouse_resource_registers_it(app, people, lake):
    import ckan.model as model

    from ckanext.hhs.lakehouse import model as lm

    from .conftest import act, cms_enrollment, lake_dataset, write_delta

    path = write_delta(str(lake / "cms" / "t"), cms_enrollment())
    dataset, _ = lake_dataset(people["cms"], "saved", "delta")
    created = helpers.call_action(
        "resource_create",
        context={"user": "cms-steward", "ignore_auth": False},
        package_id=dataset["id"],
        url="https://example.com/saved",
        name="Saved table",
        resource_kind="lakehouse",
        table_uri=path,
        table_format="delta",
    )
    row = model.Session.get(lm.LakehouseTable, created["id"])
    assert row is not None and row.status == "pending" and row.sql_name == "saved__saved_table"
    # A URI outside the roots is not registered (the register action says why).
    outside = act(
        "resource_create",
        "cms-steward",
        package_id=dataset["id"],
        url="https://example.com/x",
        resource_kind="lakehouse",
        table_uri="/etc",
        table_format="parquet",
    )
    assert model.Session.get(lm.LakehouseTable, outside["id"]) is None
