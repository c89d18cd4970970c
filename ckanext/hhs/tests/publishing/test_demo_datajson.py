"""The demo portal's /data.json, seeded through the demo seed commands (`ckan hhs seed-demo`: divisions,
then each feature's seed), is valid against the POD v1.1 catalog schema (#24, done when)."""

from __future__ import annotations

import json

import pytest

from ckan.cli.cli import ckan as ckan_cli

from ckanext.hhs import pod

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")]


def test_the_seeded_demo_catalog_is_valid_pod(app, cli, mail_server):
    result = cli.invoke(ckan_cli, ["hhs", "seed-demo"])
    assert result.exit_code == 0, result.output
    response = app.get("/data.json")
    assert response.status_code == 200
    catalog = json.loads(response.get_data(as_text=True))
    assert len(catalog["dataset"]) > 10
    assert pod.schema_errors("catalog.json", catalog) == []
