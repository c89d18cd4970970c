"""The data dictionary on the resource page, the preview page and the query page."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories

from .conftest import PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def test_data_dictionary_join_keys_and_preview(app, people, linked):
    from ckan.tests import helpers

    for user, res, column in (
        ("cms-steward", linked["cms"], "state_fips"),
        ("cdc-steward", linked["cdc"], "StateFIPS"),
    ):
        helpers.call_action(
            "hhs_lakehouse_column_confirm",
            context={"user": user, "ignore_auth": False},
            id=res["id"],
            column=column,
            term="state-fips-code",
        )
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
