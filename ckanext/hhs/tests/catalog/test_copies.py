"""Catalog exports are served from a stored copy, rebuilt by a background job when the catalog changes."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ckan.lib import jobs
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.catalog import copies, export
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import auth_headers

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis", "with_test_worker"),
    pytest.mark.ckan_config("ckanext.hhs.catalog.rebuild_delay", "0"),
]


@pytest.fixture
def cms():
    return factories.Division(name="cms")


@pytest.fixture
def builds(monkeypatch):
    """Every build of a copy, by kind (our own function counted, not replaced)."""
    made: list[str] = []
    document = export.document

    def counting(spec):
        made.append(spec["kind"])
        return document(spec)

    monkeypatch.setattr(export, "document", counting)
    return made


@pytest.fixture
def worker():
    """A job worker is running (registered as RQ registers it), so writes queue a rebuild and an
    out-of-date copy is served meanwhile; `worker()` then runs the queued jobs."""
    idle = jobs.Worker([jobs.DEFAULT_QUEUE_NAME])
    idle.register_birth()

    def run():
        idle.register_death()
        jobs.Worker([jobs.DEFAULT_QUEUE_NAME]).work(burst=True)
        idle.register_birth()

    yield run
    idle.register_death()


def _titles(response):
    return {d["title"] for d in json.loads(response.get_data(as_text=True))["dataset"]}


def test_a_change_goes_out_after_the_rebuild_and_the_old_copy_is_served_meanwhile(app, cms, builds, worker):
    dataset = factories.HhsDataset(owner_org=cms["id"], title="Claims")
    first = app.get("/data.json")
    assert _titles(first) == {"Claims"} and builds == ["datajson"]

    helpers.call_action("package_patch", id=dataset["id"], title="Claims, revised")
    assert len(jobs.get_queue()) == 1  # the write queued the rebuild
    meanwhile = app.get("/data.json")
    assert _titles(meanwhile) == {"Claims"} and builds == ["datajson"]  # not built in the request
    assert app.get("/data.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    worker()
    after = app.get("/data.json")
    assert _titles(after) == {"Claims, revised"}
    assert after.headers["ETag"] != first.headers["ETag"]
    assert builds == ["datajson", "datajson"]  # by the job; the request only read it


def test_many_writes_queue_one_rebuild(app, cms, builds, worker):
    datasets = [factories.HhsDataset(owner_org=cms["id"], title=f"Set {i}") for i in range(3)]
    app.get("/data.json")
    app.get("/organization/cms/data.json")
    for i, dataset in enumerate(datasets):
        helpers.call_action("package_patch", id=dataset["id"], title=f"Set {i} revised")
    assert len(jobs.get_queue()) == 1
    worker()
    assert builds == ["datajson"] * 4  # each copy built once, then rebuilt once
    assert _titles(app.get("/organization/cms/data.json")) == {f"Set {i} revised" for i in range(3)}


def test_concurrent_requests_for_a_missing_copy_cause_one_build(app, cms, builds, monkeypatch):
    factories.HhsDataset(owner_org=cms["id"], title="Claims")
    document = export.document

    def slow(spec):
        time.sleep(1)  # long enough for every request to arrive while the first one builds
        return document(spec)

    monkeypatch.setattr(export, "document", slow)
    answers = []

    def fetch():
        answers.append(app.get("/data.json"))

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 6
    assert {a.get_data() for a in answers} == {answers[0].get_data()}
    assert builds == ["datajson"]


def test_a_dataset_leaving_the_public_catalog_is_never_served_from_an_old_copy(app, cms, worker):
    public = factories.HhsDataset(owner_org=cms["id"], title="Public")
    other = factories.HhsDataset(owner_org=cms["id"], title="Other")
    factories.HhsDataset(owner_org=cms["id"], title="Private", private=True)
    assert _titles(app.get("/data.json")) == {"Public", "Other"}
    assert _titles(app.get("/organization/cms/data.json")) == {"Public", "Other"}

    helpers.call_action("package_patch", id=public["id"], private=True)
    # A worker is running and the job has not: still, the request does not give the old copy.
    assert _titles(app.get("/data.json")) == {"Other"}
    assert _titles(app.get("/organization/cms/data.json")) == {"Other"}
    helpers.call_action("package_patch", id=other["id"], access_level="non-public", access_rights="Internal.")
    assert _titles(app.get("/data.json")) == set()
    worker()
    assert _titles(app.get("/data.json")) == set()

    helpers.call_action("package_patch", id=public["id"], private=False)
    worker()
    assert _titles(app.get("/data.json")) == {"Public"}
    helpers.call_action(
        "bulk_update_private", {"user": ckan_factories.Sysadmin()["name"]}, datasets=[public["id"]], org_id=cms["id"]
    )
    assert _titles(app.get("/data.json")) == set()


def test_the_inventory_is_never_served_from_an_old_copy(app, cms, worker):
    factories.HhsDataset(owner_org=cms["id"], title="Internal", private=True)
    member = ckan_factories.User()
    helpers.call_action("organization_member_create", id="cms", username=member["name"], role="member")
    auth = auth_headers(member["name"])
    assert _titles(app.get("/inventory/data.json", headers=auth)) == {"Internal"}
    # Moved to another division: sees that one's private datasets, no longer CMS's, at once.
    factories.Division(name="cdc", bureau_code="009:20")
    helpers.call_action("organization_member_create", id="cdc", username=member["name"], role="member")
    sysadmin = {"user": ckan_factories.Sysadmin()["name"]}
    helpers.call_action("organization_member_delete", sysadmin, id="cms", username=member["name"])
    assert _titles(app.get("/inventory/data.json", headers=auth)) == set()


def test_the_stored_copy_is_served_while_the_search_index_is_down(app, cms, request):
    factories.HhsDataset(owner_org=cms["id"], title="Claims")
    before = app.get("/data.json").get_data()
    request.getfixturevalue("solr_down")
    during = app.get("/data.json")
    assert during.status_code == 200 and during.get_data() == before
    assert app.get("/organization/cms/data.json").status_code == 503  # never built: nothing to serve


def test_the_rebuild_forgets_copies_of_divisions_that_are_gone(app, cms, builds, worker):
    app.get("/organization/cms/data.json")
    helpers.call_action("organization_purge", {"user": ckan_factories.Sysadmin()["name"]}, id=cms["id"])
    assert copies.rebuild() == 0
    assert not copies.connect_to_redis().hkeys(copies.KNOWN)


def test_the_hhs_rdf_catalog_is_served_from_a_copy_and_searches_still_reach_ckanext_dcat(app, cms, builds):
    factories.HhsDataset(owner_org=cms["id"], title="Claims")
    factories.HhsDataset(owner_org=cms["id"], title="Internal", access_level="non-public", access_rights="No.")
    first = app.get("/catalog.ttl")
    assert first.get_data() == app.get("/catalog.ttl").get_data()
    assert builds == ["rdf"]
    text = first.get_data(as_text=True)
    assert "Claims" in text and "Internal" not in text  # the public listing, as /data.json
    search = app.get("/catalog.ttl", query_string={"q": "Claims"})
    assert search.status_code == 200 and "Claims" in search.get_data(as_text=True)
    assert builds == ["rdf"]
