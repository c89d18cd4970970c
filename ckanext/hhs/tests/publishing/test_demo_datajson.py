"""The demo portal's catalogs, seeded through the demo seed commands (`ckan hhs seed-demo`: divisions,
then each feature's seed): /data.json valid against POD v1.1 (#24), the HHS and CMS DCAT-US 3.0 JSON
valid against the official Catalog.json and the HHS and CMS catalog.ttl with no SHACL violation (#25),
and nothing an anonymous visitor reads names a server path or a file: URI (#24)."""

from __future__ import annotations

import json
import re

import pytest

from ckan.cli.cli import ckan as ckan_cli

from ckanext.hhs import dcatus3, pod
from ckanext.hhs.tests.catalog.test_shacl import _graph, violations

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis")]

SERVER_PATH = re.compile(r"file:|/(?:work|tmp|var|home|root|srv|opt)/[\w.-]+/")


def _text(app, path: str) -> str:
    response = app.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_seeded_demo_catalogs_are_valid_and_name_no_server_path(app, cli, mail_server):
    result = cli.invoke(ckan_cli, ["hhs", "seed-demo"])
    assert result.exit_code == 0, result.output
    catalog = json.loads(_text(app, "/data.json"))
    assert len(catalog["dataset"]) > 10
    assert pod.schema_errors("catalog.json", catalog) == []
    for path in ("/dcat-us-3.json", "/organization/cms/dcat-us-3.json"):
        assert dcatus3.schema_errors(json.loads(_text(app, path))) == [], path
    for path in ("/catalog.ttl", "/organization/cms/catalog.ttl"):
        assert violations(_graph(app, path)) == [], path
    for path in ("/data.json", "/dcat-us-3.json", "/catalog.ttl", "/api/3/action/package_search?rows=1000"):
        assert not SERVER_PATH.findall(_text(app, path)), path
