"""A division harvesting a catalog another division already publishes here is warned on the source page
after the first run (the records it brought in are counted against other divisions' identifiers), and
can cancel the source, which removes it and the copies. The harvest form says "Division"."""

from __future__ import annotations

import json
import re

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.harvest.model import HarvestJob
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import cms_demo_catalog

PASSWORD = "overlap-test-password-1"
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def catalog():
    return cms_demo_catalog(4)


@pytest.fixture
def world(catalog):
    """CMS holds the first three records of its catalog (one of them private); CDC's editor harvests the
    whole catalog into CDC."""
    cms = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", bureau_code="009:38")
    cdc_editor = ckan_factories.User(password=PASSWORD)
    cdc = factories.Division(
        name="cdc",
        title="Centers for Disease Control and Prevention",
        bureau_code="009:20",
        users=[{"name": cdc_editor["name"], "capacity": "editor"}],
    )
    held = []
    for n, record in enumerate(catalog["dataset"][:3]):
        held.append(
            factories.HhsDataset(
                owner_org=cms["id"], identifier=record["identifier"], title=f"CMS copy {n}", private=(n == 2)
            )
        )
    return {"cms": cms, "cdc": cdc, "cdc_editor": cdc_editor, "held": held}


def _harvest_into_cdc(catalog_server, catalog, world) -> dict:
    url = catalog_server.serve("/data.json", json.dumps(catalog))
    source = helpers.call_action(
        "harvest_source_create",
        context={"user": world["cdc_editor"]["name"]},
        name="cdc-copy-of-cms",
        title="CMS catalog (by CDC)",
        url=url,
        source_type="hhs_datajson",
        owner_org=world["cdc"]["id"],
    )
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
    return source


def _client(app, user: dict):
    client = app.test_client()
    page = client.get("/user/login").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    client.post("/user/login", data={"login": user["name"], "password": PASSWORD, "_csrf_token": token})
    return client


def test_overlap_counts_only_what_the_caller_may_see(catalog_server, catalog, world):
    source = _harvest_into_cdc(catalog_server, catalog, world)
    found = helpers.call_action(
        "hhs_harvest_source_overlap",
        context={"user": world["cdc_editor"]["name"], "ignore_auth": False},
        id=source["name"],
    )
    assert found["harvested"] == 4
    # CMS's private copy is neither counted nor named to CDC's editor.
    assert found["shared"] == 2
    assert [(d["name"], d["count"]) for d in found["divisions"]] == [("cms", 2)]
    assert {e["title"] for e in found["divisions"][0]["examples"]} == {"CMS copy 0", "CMS copy 1"}
    sysadmin = ckan_factories.Sysadmin()
    assert (
        helpers.call_action("hhs_harvest_source_overlap", context={"user": sysadmin["name"]}, id=source["id"])["shared"]
        == 3
    )
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action(
            "hhs_harvest_source_overlap",
            context={"user": ckan_factories.User()["name"], "ignore_auth": False},
            id=source["id"],
        )


def test_no_warning_for_a_division_harvesting_its_own_catalog(catalog_server, catalog, world):
    own = catalog["dataset"][3]["identifier"]
    catalog["dataset"] = catalog["dataset"][3:]
    source = _harvest_into_cdc(catalog_server, catalog, world)
    found = helpers.call_action(
        "hhs_harvest_source_overlap",
        context={"user": world["cdc_editor"]["name"], "ignore_auth": False},
        id=source["id"],
    )
    assert found == {"harvested": 1, "shared": 0, "divisions": []}
    assert own


def test_source_page_warns_and_the_editor_cancels_the_source(app, catalog_server, catalog, world):
    # CDC's own dataset, made in the hub, which the harvest then updates (same identifier, same division).
    own = factories.HhsDataset(owner_org=world["cdc"]["id"], identifier=catalog["dataset"][3]["identifier"])
    source = _harvest_into_cdc(catalog_server, catalog, world)
    created = [
        d["id"]
        for d in helpers.call_action("package_search", fq=f"owner_org:{world['cdc']['id']}")["results"]
        if d["id"] != own["id"]
    ]
    assert len(created) == 3
    client = _client(app, world["cdc_editor"])
    page = client.get(f"/harvest/{source['name']}").get_data(as_text=True)
    assert "Another division already publishes these datasets" in page
    assert "2 of the 4 datasets harvested from this catalog have identifiers" in page
    assert "Centers for Medicare &amp; Medicaid Services" in page
    assert "CMS copy 2" not in page  # private: not named
    # A visitor sees no warning (and no numbers).
    assert "Another division" not in app.get(f"/harvest/{source['name']}").get_data(as_text=True)

    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    page = client.post(f"/harvest/{source['name']}/cancel", data={"_csrf_token": token}).get_data(as_text=True)
    assert "The harvest source was cancelled" in page
    assert model.Package.get(source["id"]).state == "deleted"
    # The datasets it created are deleted (soft: a sysadmin can restore them), the one it only updated stays.
    cdc_left = helpers.call_action("package_search", fq=f"owner_org:{world['cdc']['id']}")["results"]
    assert [d["id"] for d in cdc_left] == [own["id"]]
    assert {model.Package.get(i).state for i in created} == {"deleted"}
    cms_left = helpers.call_action("package_search", fq=f"owner_org:{world['cms']['id']}", include_private=True)
    assert cms_left["count"] == 3  # the other division's datasets stay


def test_cancel_is_for_the_sources_editors(app, catalog_server, catalog, world):
    source = _harvest_into_cdc(catalog_server, catalog, world)
    outsider = ckan_factories.User(password=PASSWORD)
    client = _client(app, outsider)
    page = client.get("/dataset/").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    data = {"_csrf_token": token.group(1)} if token else {}
    assert client.post(f"/harvest/{source['name']}/cancel", data=data).status_code == 403
    assert model.Package.get(source["id"]).state == "active"


def test_harvest_form_says_division(app, world):
    client = _client(app, world["cdc_editor"])
    page = client.get("/harvest/new").get_data(as_text=True)
    form = page[page.index('<form id="source-new"') :]
    form = form[: form.index("</form>")]
    assert ">Division<" in form
    assert "Organization" not in form and "organization</" not in form
    assert "Centers for Disease Control and Prevention" in form  # divisions by full name
    assert "CSW" not in page and "Web Accessible Folder" not in page


def test_a_source_added_on_the_form_is_confirmed(app, catalog_server, catalog, world):
    client = _client(app, world["cdc_editor"])
    page = client.get("/harvest/new").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    page = client.post(
        "/harvest/new",
        data={
            "url": catalog_server.serve("/data.json", json.dumps(catalog)),
            "title": "CDC catalog",
            "name": "cdc-catalog",
            "source_type": "hhs_datajson",
            "owner_org": world["cdc"]["id"],
            "frequency": "MANUAL",
            "save": "Save",
            "_csrf_token": token,
        },
    ).get_data(as_text=True)
    assert "The harvest source was created." in page
    assert helpers.call_action("harvest_source_show", id="cdc-catalog")["owner_org"] == world["cdc"]["id"]
