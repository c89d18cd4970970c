"""Validation is bounded work: a Table Schema `pattern` runs on a linear-time engine (RE2), so a pattern
that backtracks exponentially in Python's `re` cannot hold a worker, and the validation of one
dataset stops at a configurable time limit (issue #23)."""

from __future__ import annotations

import json
import time

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.governance.quality import tabular
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

EVIL = {"fields": [{"name": "code", "type": "string", "constraints": {"pattern": "(a+)+$"}}]}


@pytest.fixture
def steward():
    user = ckan_factories.User()
    org = factories.Division(name="cms", bureau_code="009:38", users=[{"name": user["name"], "capacity": "editor"}])
    return {"user": user, "org": org}


def _validate(steward, catalog_server, schema, csv):
    schema_url = catalog_server.serve("/schema.json", json.dumps(schema))
    url = catalog_server.serve("/data.csv", csv, content_type="text/csv")
    dataset = factories.HhsDataset(
        owner_org=steward["org"]["id"],
        resources=[{"url": url, "format": "CSV", "name": "Codes", "schema_url": schema_url}],
    )
    (result,) = tabular.validate_dataset(dataset["id"]).values()
    return result


def test_a_backtracking_pattern_takes_no_time(steward, catalog_server):
    """`(a+)+$` against 27 a's and a '!' took Python's re ~4 s a row (doubling per character)."""
    rows = "".join(f"{'a' * 27}!\n" for _ in range(3))
    started = time.monotonic()
    result = _validate(steward, catalog_server, EVIL, "code\naaa\n" + rows)
    assert time.monotonic() - started < 3
    assert result["status"] == "invalid"
    # The same error Frictionless gives for a pattern, on the rows that break it and only those.
    assert [e["row"] for e in result["errors"]] == [3, 4, 5]
    assert all(e["field"] == "code" and 'constraint "pattern" is "(a+)+$"' in e["message"] for e in result["errors"])


def test_a_long_cell_is_matched_in_linear_time(steward, catalog_server):
    started = time.monotonic()
    result = _validate(steward, catalog_server, EVIL, f"code\n{'a' * 200_000}!\n{'a' * 200_000}\n")
    assert time.monotonic() - started < 3
    assert result["status"] == "invalid" and [e["row"] for e in result["errors"]] == [2]


def test_the_whole_value_must_match(steward, catalog_server):
    """Table Schema patterns match the whole value (Frictionless wrapped them in ^...$; RE2 fullmatch)."""
    schema = {"fields": [{"name": "state", "type": "string", "constraints": {"pattern": "MD|VA"}}]}
    result = _validate(steward, catalog_server, schema, "state\nMD\nVA\nMDX\nXVA\n")
    assert [e["row"] for e in result["errors"]] == [4, 5]


@pytest.mark.parametrize("pattern", ["(?=a)b", "(a)\\1", "[", 42])
def test_a_pattern_re2_cannot_run_is_a_schema_error(steward, catalog_server, pattern):
    """Lookarounds and backreferences are not Table Schema (XML Schema) regular expressions."""
    schema = {"fields": [{"name": "code", "type": "string", "constraints": {"pattern": pattern}}]}
    result = _validate(steward, catalog_server, schema, "code\na\n")
    assert result["status"] == "error"
    assert "not a Table Schema" in result["message"] and "code" in result["message"]


def test_the_validation_of_a_dataset_has_a_time_limit(steward, catalog_server, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.hhs.governance.validation_timeout", 0.2)
    schema = {"fields": [{"name": "n", "type": "integer"}, {"name": "code", "type": "string"}]}
    csv = "n,code\n" + "".join(f"{n},x{n}\n" for n in range(200_000))
    started = time.monotonic()
    result = _validate(steward, catalog_server, schema, csv)
    assert time.monotonic() - started < 5
    assert result["status"] == "error" and "time limit" in result["message"]


def test_the_quality_check_page_stays_within_the_limit(steward, catalog_server, monkeypatch, app):
    """The dataset page's "check now" validates in the web worker: bounded there too."""
    monkeypatch.setitem(tk.config, "ckanext.hhs.governance.validation_timeout", 0.2)
    schema_url = catalog_server.serve("/schema.json", json.dumps(EVIL))
    url = catalog_server.serve("/data.csv", "code\n" + f"{'a' * 27}!\n" * 50, content_type="text/csv")
    dataset = factories.HhsDataset(
        owner_org=steward["org"]["id"],
        resources=[{"url": url, "format": "CSV", "name": "Codes", "schema_url": schema_url}],
    )
    started = time.monotonic()
    run = helpers.call_action(
        "hhs_governance_quality_check",
        context={"user": steward["user"]["name"], "ignore_auth": False},
        id=dataset["id"],
        wait=True,
    )
    assert run["status"] == "finished" and time.monotonic() - started < 5
