"""The hhs_datajson and DCAT RDF harvesters on ckanext-harvest, against sources served over HTTP."""

from __future__ import annotations

import json
import os

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs import vocab
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests import factories

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
pytestmark = [
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def catalog():
    with open(CMS, encoding="utf-8") as f:
        cms = json.load(f)
    cms["dataset"] = cms["dataset"][:5]
    return cms


@pytest.fixture
def division():
    return factories.Division(name="cms", bureau_code="009:38")


def _source(url, division, source_type="hhs_datajson", **kw):
    return helpers.call_action(
        "harvest_source_create",
        name="cms-catalog",
        title="CMS catalog",
        url=url,
        source_type=source_type,
        owner_org=division["id"] if division else None,
        **kw,
    )


def _harvest(source):
    """One job through the gather, fetch and import stages (without the queues)."""
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
    job = helpers.call_action("harvest_job_show", id=job["id"])
    assert job["status"] == "Finished"
    return job, helpers.call_action("harvest_job_report", id=job["id"])


def _datasets():
    return {
        d["identifier"]: d for d in helpers.call_action("package_search", fq="organization:cms", rows=100)["results"]
    }


def test_first_harvest_through_the_redis_queues_creates_one_dataset_per_record(catalog_server, division, catalog):
    source = _source(catalog_server.serve("/data.json", json.dumps(catalog)), division)
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=True)

    gather = queue.get_gather_consumer()
    gather.queue_purge()
    fetch = queue.get_fetch_consumer()
    fetch.queue_purge()
    helpers.call_action("harvest_send_job_to_gather_queue", id=job["id"])
    queue.gather_callback(gather, *gather.basic_get(queue=queue.get_gather_queue_name()))
    while (message := fetch.basic_get(queue=queue.get_fetch_queue_name()))[2]:
        queue.fetch_callback(fetch, *message)
    helpers.call_action("harvest_jobs_run", source_id=source["id"])

    job = helpers.call_action("harvest_job_show", id=job["id"])
    assert job["status"] == "Finished"
    assert job["stats"] == {"added": 5, "updated": 0, "not modified": 0, "errored": 0, "deleted": 0}
    datasets = _datasets()
    assert set(datasets) == {r["identifier"] for r in catalog["dataset"]}
    for record in catalog["dataset"]:
        dataset = datasets[record["identifier"]]
        assert dataset["title"] == record["title"]
        assert dataset["source_catalog"] == source["url"]
        assert dataset["bureau_code"] == ["009:38"]
    # ckanext-harvest links each dataset to its source: the source page lists them.
    shown = helpers.call_action("package_show", id=next(iter(datasets.values()))["id"])
    assert {e["key"]: e["value"] for e in shown["extras"]}["harvest_source_id"] == source["id"]


def test_rerun_without_change_changes_nothing(catalog_server, division, catalog):
    source = _source(catalog_server.serve("/data.json", json.dumps(catalog)), division)
    _harvest(source)
    before = {i: (d["id"], d["name"], d["metadata_modified"]) for i, d in _datasets().items()}
    job, _ = _harvest(source)
    assert job["stats"] == {"added": 0, "updated": 0, "not modified": 5, "errored": 0, "deleted": 0}
    assert {i: (d["id"], d["name"], d["metadata_modified"]) for i, d in _datasets().items()} == before


def test_change_removal_and_corruption_show_on_the_next_run(catalog_server, division, catalog):
    url = catalog_server.serve("/data.json", json.dumps(catalog))
    source = _source(url, division)
    _harvest(source)
    before = _datasets()

    changed, gone, corrupt = catalog["dataset"][0], catalog["dataset"][1], catalog["dataset"][2]
    changed["title"] = "Medicare claims, revised"
    changed["modified"] = "2026-11-01"
    del corrupt["title"]
    catalog["dataset"].remove(gone)
    catalog_server.serve("/data.json", json.dumps(catalog))
    job, report = _harvest(source)

    assert job["stats"] == {"added": 0, "updated": 1, "not modified": 2, "errored": 1, "deleted": 1}
    after = _datasets()
    revised, original = after[changed["identifier"]], before[changed["identifier"]]
    assert (revised["id"], revised["name"]) == (original["id"], original["name"])
    assert revised["title"] == "Medicare claims, revised"
    assert gone["identifier"] not in after
    assert after[corrupt["identifier"]]["title"] == before[corrupt["identifier"]]["title"]  # left as it was
    [errors] = report["object_errors"].values()
    assert errors["guid"] == corrupt["identifier"]
    assert any("'title' is a required property" in e["message"] for e in errors["errors"])


def test_withdrawn_record_kept_marked_when_the_source_says_so(catalog_server, division, catalog):
    url = catalog_server.serve("/data.json", json.dumps(catalog))
    source = _source(url, division, config=json.dumps({"withdraw": "keep"}))
    _harvest(source)
    gone = catalog["dataset"].pop()
    catalog_server.serve("/data.json", json.dumps(catalog))
    job, _ = _harvest(source)
    assert job["stats"]["deleted"] == 1
    kept = _datasets()[gone["identifier"]]
    assert kept["source_withdrawn"] is True


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>Service unavailable</html>", "is not JSON"),
        ('{"datasets": []}', "is neither a POD v1.1 nor a DCAT-US 3.0 catalog"),
        ('{"conformsTo": "nope", "dataset": []}', "fails the POD v1.1 catalog schema at $.conformsTo"),
    ],
)
def test_a_bad_source_fails_the_job_with_the_reason(catalog_server, division, body, reason):
    source = _source(catalog_server.serve("/data.json", body), division)
    job, report = _harvest(source)
    assert job["stats"]["errored"] == 1
    assert reason in report["gather_errors"][0]["message"]
    assert _datasets() == {}


@pytest.mark.ckan_config("ckanext.hhs.fetch_timeout", "1")
def test_a_slow_source_times_out_with_a_clear_error(catalog_server, division, catalog):
    source = _source(catalog_server.serve("/data.json", json.dumps(catalog), delay=3), division)
    _job, report = _harvest(source)
    assert report["gather_errors"][0]["message"] == "The source did not answer within 1 s"


def test_a_source_needs_a_division(catalog_server, catalog):
    with pytest.raises(tk.ValidationError) as e:
        _source(catalog_server.serve("/data.json", json.dumps(catalog)), None)
    assert "owner_org" in e.value.error_dict


def test_source_configuration_is_checked():
    with pytest.raises(Exception, match="withdraw"):
        HhsHarvestPlugin().validate_config(json.dumps({"withdraw": "sometimes"}))
    with pytest.raises(ValueError, match="Unknown configuration keys: frequency"):
        HhsHarvestPlugin().validate_config(json.dumps({"frequency": "daily"}))


def test_dcat_rdf_source_is_mapped_to_the_hhs_schema(app, catalog_server, division):
    health = {
        "coding_system": ["ICD-10-CM", "LOINC"],
        "phi_classification": "limited-data-set",
        "number_of_records": 1000,
        "access_level": "restricted public",
        "access_rights": "Available under a data use agreement.",
    }
    cdc = factories.Division(name="cdc", bureau_code="009:20")
    origin = factories.HhsDataset(owner_org=cdc["id"], bureau_code=["009:20"], **health)
    turtle = app.get(f"/dataset/{origin['name']}.ttl").get_data(as_text=True)
    url = catalog_server.serve("/catalog.ttl", turtle, content_type="text/turtle")
    source = _source(url, division, source_type="dcat_rdf")
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    from ckanext.dcat.harvesters.rdf import DCATRDFHarvester

    run_harvest_job(HarvestJob.get(job["id"]), DCATRDFHarvester())
    assert helpers.call_action("harvest_job_show", id=job["id"])["stats"]["added"] == 1
    [harvested] = _datasets().values()
    for key, value in health.items():
        if key != "access_rights":
            assert harvested[key] == value, key
    assert harvested["source_catalog"] == url
    assert harvested["bureau_code"] == ["009:20"]
    assert harvested["organization"]["name"] == "cms"


def test_job_report_page_shows_counts_record_errors_and_history(app, catalog_server, division, catalog):
    del catalog["dataset"][0]["title"]
    source = _source(catalog_server.serve("/data.json", json.dumps(catalog)), division)
    job, _ = _harvest(source)
    _harvest(source)
    admin = ckan_factories.Sysadmin()
    token = helpers.call_action("api_token_create", context={"user": admin["name"]}, user=admin["name"], name="t")
    headers = {"Authorization": token["token"]}
    page = app.get(f"/harvest/{source['name']}/job/{job['id']}", headers=headers).get_data(as_text=True)
    assert catalog["dataset"][0]["identifier"] in page
    assert "&#39;title&#39; is a required property" in page or "'title' is a required property" in page
    history = app.get(f"/harvest/{source['name']}/job", headers=headers).get_data(as_text=True)
    assert history.count(f"/harvest/{source['name']}/job/") >= 2  # both runs listed


def test_harvest_is_in_the_navigation_for_those_who_may_add_a_source(app, division):
    admin = ckan_factories.SysadminWithToken()
    assert 'href="/harvest/"' in app.get("/", headers={"Authorization": admin["token"]}).get_data(as_text=True)
    assert 'href="/harvest/"' not in app.get("/").get_data(as_text=True)
