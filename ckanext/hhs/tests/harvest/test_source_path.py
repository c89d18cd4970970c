"""A catalog imported from a file on the server is recorded by its path; only sysadmins see it (#24)."""

from __future__ import annotations

import json
import os

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import vocab
from ckanext.hhs.harvest import importer
from ckanext.hhs.tests import factories

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def imported(sysadmin_context):
    factories.Division(name="cms", bureau_code="009:38")
    factories.Division(
        name="fda", users=[{"name": ckan_factories.User(name="fda_editor")["name"], "capacity": "editor"}]
    )
    with open(CMS, encoding="utf-8") as f:
        catalog = json.load(f)
    catalog["dataset"] = catalog["dataset"][:1]
    report = importer.import_catalog(sysadmin_context, catalog, "cms", CMS)
    (identifier,) = report.created
    return helpers.call_action("package_search", fq=f'identifier:"{identifier}"')["results"][0]


def _shown(value):
    return value == "cms-data.json (file)"


@pytest.mark.parametrize("user", [None, "fda_editor"])
def test_others_see_the_file_name_not_the_server_path(app, imported, user):
    headers = {}
    if user:
        headers["Authorization"] = helpers.call_action("api_token_create", user=user, name="t")["token"]
    shown = app.get(f"/api/3/action/package_show?id={imported['id']}", headers=headers).json["result"]
    assert _shown(shown["source_catalog"])
    for params in ("q=*:*", "q=*:*&fl=id,validated_data_dict,data_dict,extras_source_catalog"):
        body = app.get(f"/api/3/action/package_search?{params}", headers=headers).get_data(as_text=True)
        assert "ckanext/hhs/data" not in body and "cms-data.json (file)" in body
    page = app.get(f"/dataset/{imported['name']}", headers=headers).get_data(as_text=True)
    assert "ckanext/hhs/data" not in page


def test_sysadmins_see_the_path_and_an_edit_keeps_it(app, imported):
    sysadmin = ckan_factories.Sysadmin()
    token = helpers.call_action("api_token_create", user=sysadmin["name"], name="t")["token"]
    shown = app.get(f"/api/3/action/package_show?id={imported['id']}", headers={"Authorization": token}).json
    assert shown["result"]["source_catalog"] == CMS
    # An admin of the division reads the file name and sends the whole dict back: the path stays.
    admin = ckan_factories.User()
    helpers.call_action("member_create", id="cms", object=admin["name"], object_type="user", capacity="admin")
    context = {"user": admin["name"], "ignore_auth": False}
    pkg = helpers.call_action("package_show", context=dict(context), id=imported["id"])
    assert _shown(pkg["source_catalog"])
    helpers.call_action("package_update", context=dict(context), **{**pkg, "notes": pkg["notes"] + " (edited)"})
    stored = model.Package.get(imported["id"])
    assert stored.notes.endswith(" (edited)") and stored.extras["source_catalog"] == CMS
