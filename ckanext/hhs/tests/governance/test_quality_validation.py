"""Tabular resources validated against their declared Table Schema: read through the fetch guard only,
results stored and shown (escaped) to the dataset's editors on the dataset page."""

from __future__ import annotations

import json

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.governance.quality import tabular
from ckanext.hhs.tests import factories

SCHEMA = {
    "fields": [
        {"name": "provider_id", "type": "integer", "constraints": {"required": True}},
        {"name": "state", "type": "string", "constraints": {"pattern": "[A-Z]{2}"}},
        {"name": "beds", "type": "integer"},
    ],
    "primaryKey": ["provider_id"],
    # Nothing Frictionless could follow is kept: no foreign keys to other resources, no remote profile.
    "foreignKeys": [{"fields": ["state"], "reference": {"resource": "http://169.254.169.254/states", "fields": ["x"]}}],
}
VALID = "provider_id,state,beds\n1,MD,120\n2,VA,80\n"
INVALID = "provider_id,state,beds\n1,MD,120\n2,Virginia,<script>alert(1)</script>\n2,VA,5\n"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def steward():
    user = ckan_factories.User()
    org = factories.Division(name="cms", bureau_code="009:38", users=[{"name": user["name"], "capacity": "editor"}])
    return {"user": user, "org": org}


def _dataset(steward, resources):
    return factories.HhsDataset(owner_org=steward["org"]["id"], resources=resources)


def _check(steward, dataset):
    run = helpers.call_action(
        "hhs_governance_quality_check",
        context={"user": steward["user"]["name"], "ignore_auth": False},
        id=dataset["id"],
        wait=True,
    )
    assert run["status"] == "finished", run["error"]
    listed = helpers.call_action(
        "hhs_governance_suggestion_list",
        context={"user": steward["user"]["name"], "ignore_auth": False},
        id=dataset["id"],
    )
    return listed["validation"]


def test_valid_and_invalid_csv_against_their_schema(steward, catalog_server, app):
    schema_url = catalog_server.serve("/schema.json", json.dumps(SCHEMA))
    good = catalog_server.serve("/good.csv", VALID, content_type="text/csv")
    bad = catalog_server.serve("/bad.csv", INVALID, content_type="text/csv")
    dataset = _dataset(
        steward,
        [
            {"url": good, "format": "CSV", "name": "Good beds", "schema_url": schema_url},
            {"url": bad, "format": "CSV", "name": "Bad beds", "schema_url": schema_url},
            {"url": bad, "format": "JSON", "name": "Not tabular", "schema_url": schema_url},
        ],
    )
    results = _check(steward, dataset)
    by_name = {r["name"]: r for r in results.values()}
    assert set(by_name) == {"Good beds", "Bad beds"}
    assert by_name["Good beds"]["status"] == "valid" and by_name["Good beds"]["errors"] == []
    bad_result = by_name["Bad beds"]
    assert bad_result["status"] == "invalid"
    found = {(e["row"], e["field"]) for e in bad_result["errors"]}
    assert (3, "state") in found  # "Virginia" breaks the pattern
    assert (3, "beds") in found  # not an integer
    assert any("primary key" in e["message"] for e in bad_result["errors"])

    # On the dataset page, for its editor, escaped; nothing for anonymous viewers.
    token = helpers.call_action(
        "api_token_create", context={"user": steward["user"]["name"]}, user=steward["user"]["name"], name="t"
    )["token"]
    page = app.get(f"/dataset/{dataset['name']}", headers={"Authorization": token}).get_data(as_text=True)
    assert "Validation against the declared Table Schema" in page
    assert "Bad beds" in page and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    anonymous = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
    assert "Quality suggestions" not in anonymous and "Bad beds" in anonymous  # the resource, not the results


def test_errors_are_capped(steward, catalog_server, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.hhs.governance.validation_max_errors", 5)
    schema_url = catalog_server.serve("/schema.json", json.dumps(SCHEMA))
    rows = "".join(f"{n},XX,many\n" for n in range(1, 40))
    url = catalog_server.serve("/many.csv", "provider_id,state,beds\n" + rows, content_type="text/csv")
    results = _check(
        steward, _dataset(steward, [{"url": url, "format": "CSV", "name": "Many", "schema_url": schema_url}])
    )
    (result,) = results.values()
    assert result["status"] == "invalid" and len(result["errors"]) == 5 and result["capped"]


@pytest.mark.parametrize(
    "schema_url",
    [
        "http://169.254.169.254/latest/meta-data/schema.json",  # cloud metadata: a private address
        "http://127.0.0.1:1/schema.json",  # loopback, not allow-listed
        "http://localhost:5432/schema.json",
    ],
)
def test_hostile_schema_url_is_refused(steward, catalog_server, schema_url):
    data = catalog_server.serve("/good.csv", VALID, content_type="text/csv")
    results = _check(
        steward, _dataset(steward, [{"url": data, "format": "CSV", "name": "Beds", "schema_url": schema_url}])
    )
    (result,) = results.values()
    assert result["status"] == "error"
    assert "could not be read" in result["message"]
    assert "not a public address" in result["message"]  # the guard's public answer, no internal detail


def test_hostile_data_url_is_refused_and_schema_must_be_a_table_schema(steward, catalog_server):
    schema_url = catalog_server.serve("/schema.json", json.dumps(SCHEMA))
    not_schema = catalog_server.serve("/page.json", json.dumps({"title": "a page"}))
    data = catalog_server.serve("/good.csv", VALID, content_type="text/csv")
    results = _check(
        steward,
        _dataset(
            steward,
            [
                {"url": "http://10.0.0.8/beds.csv", "format": "CSV", "name": "Internal", "schema_url": schema_url},
                {"url": data, "format": "CSV", "name": "No schema", "schema_url": not_schema},
            ],
        ),
    )
    by_name = {r["name"]: r for r in results.values()}
    assert by_name["Internal"]["status"] == "error" and "data could not be read" in by_name["Internal"]["message"]
    assert by_name["No schema"]["status"] == "error" and "not a Table Schema" in by_name["No schema"]["message"]


def test_frictionless_never_opens_a_url_itself(steward, catalog_server, monkeypatch):
    """Every byte validated came through the fetch guard: the only reader is net.fetch_bytes."""
    fetched = []
    real = tabular.net.fetch_bytes
    monkeypatch.setattr(tabular.net, "fetch_bytes", lambda url: fetched.append(url) or real(url))
    schema_url = catalog_server.serve("/schema.json", json.dumps(SCHEMA))
    data = catalog_server.serve("/good.csv", VALID, content_type="text/csv")
    _check(steward, _dataset(steward, [{"url": data, "format": "CSV", "name": "Beds", "schema_url": schema_url}]))
    assert sorted(fetched) == sorted([schema_url, data])


@pytest.mark.ckan_config(
    "ckan.plugins", "hhs hhs_catalog scheming_datasets scheming_organizations dcat structured_data"
)
def test_dataset_and_division_pages_work_without_hhs_governance(app, steward):
    dataset = _dataset(steward, [])
    token = helpers.call_action(
        "api_token_create", context={"user": steward["user"]["name"]}, user=steward["user"]["name"], name="t"
    )["token"]
    page = app.get(f"/dataset/{dataset['name']}", headers={"Authorization": token}, status=200).get_data(as_text=True)
    assert dataset["title"] in page and "Quality suggestions" not in page
    division = app.get("/organization/cms", headers={"Authorization": token}, status=200).get_data(as_text=True)
    assert "fixlist" not in division
