"""A catalog imported from a file on the server is recorded by its path, which only sysadmins read (#24).

package_search answers anyone from the index: q, fq and facet.field probe every indexed field
(``fq=extras_source_catalog:*var*`` counted the imported datasets, a facet on it listed the path's words).
Probed here as anonymous and as another division's editor, through the API."""

from __future__ import annotations

import json

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests.helpers import division_with, import_pod_records, pod_record
from ckanext.hhs.tests.publishing.forms import logged_in, submit

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

RECORD = pod_record(
    "cms-zebrafinch-1", "Zebrafinch claims", "Claims of a made-up program, to be found by its title word only."
)
# Words of the server path only (the file's own name is what others are shown).
PROBES = [
    "fq=extras_source_catalog:*var*",
    "fq=extras_source_catalog:*quokkadir*",
    "fq=extras_source_catalog:[* TO *]",
    "q=extras_source_catalog:*quokkadir*",
    "q=quokkadir",
    "q=var",
    "fq=text:*quokkadir*",
    "fq=validated_data_dict:*quokkadir*",
    "fq=data_dict:*quokkadir*",
    "fq=source_catalog:*quokkadir*",
]


@pytest.fixture
def imported(tmp_path):
    sysadmin = ckan_factories.Sysadmin()
    cms_editor, _ = division_with("editor", "cms", bureau_code="009:38")
    fda_editor, _ = division_with("editor", "fda", bureau_code="009:10")
    path = tmp_path / "var" / "quokkadir" / "cms-catalog.json"
    path.parent.mkdir(parents=True)
    report = import_pod_records(sysadmin["name"], path, [RECORD], "cms")
    assert report["summary"]["created"] == 1, report
    (dataset,) = helpers.call_action("package_search", fq="organization:cms")["results"]
    return {"path": str(path), "dataset": dataset, "sysadmin": sysadmin, "cms": cms_editor, "fda": fda_editor}


def _search(app, params: str, user: dict | None) -> tuple[int, str]:
    headers = {}
    if user:
        headers["Authorization"] = helpers.call_action("api_token_create", user=user["name"], name="probe")["token"]
    body = app.get(f"/api/3/action/package_search?{params}", headers=headers).get_data(as_text=True)
    return json.loads(body)["result"]["count"], body


def _probe(app, imported, who: str | None) -> None:
    user = imported[who] if who else None
    # The dataset is there to be found: the same search by its title word finds it.
    assert _search(app, "q=zebrafinch", user)[0] == 1
    for params in PROBES:
        count, body = _search(app, params, user)
        assert count == 0, (who, params)
        assert "quokkadir" not in body, (who, params)
    facets = _search(app, 'facet.field=["extras_source_catalog","source_catalog"]&facet.limit=-1', user)[1]
    assert "quokkadir" not in facets and '"var"' not in facets, who


@pytest.mark.parametrize("who", [None, "fda"])
def test_the_server_path_is_in_no_field_others_can_query(app, imported, who):
    _probe(app, imported, who)


def test_after_a_division_editor_saves_the_form_the_path_is_still_hidden_and_kept(app, imported):
    """A save by the division's editor (who reads the file name) neither puts the path back into a queried
    field nor the file name into the stored record: sysadmins and the governance figures read the path."""
    name = imported["dataset"]["name"]
    submit(logged_in(app, imported["cms"]), f"/dataset/edit/{name}", "dataset-edit")
    model.Session.remove()
    assert model.Package.get(name).extras["source_catalog"] == imported["path"]
    for who in (None, "fda"):
        _probe(app, imported, who)
    # Sysadmins read the path, from the database and from the index's stored record.
    token = helpers.call_action("api_token_create", user=imported["sysadmin"]["name"], name="t")["token"]
    shown = app.get(f"/api/3/action/package_show?id={name}", headers={"Authorization": token}).json["result"]
    assert shown["source_catalog"] == imported["path"]
    found = app.get("/api/3/action/package_search?q=zebrafinch", headers={"Authorization": token}).json["result"]
    assert found["results"][0]["source_catalog"] == imported["path"]
    # Others read the file's name.
    assert _search(app, "q=zebrafinch", None)[1].count("cms-catalog.json (file)") >= 1
