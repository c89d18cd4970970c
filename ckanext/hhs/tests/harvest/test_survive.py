"""Harvest consumers and sources that survive anything (issue #23): a source that fails in any way is an
error on its job, never the end of the consumer; a job left running by a crash never blocks its source."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest

import ckan.lib.jobs as ckan_jobs
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import act, cms_demo_catalog

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

# Valid XML that rdflib refuses with its own ParserError, which ckanext-dcat does not catch.
RDF_PARSER_ERROR = (
    '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="http://x.test/" rdf:aboutEach="y"/></rdf:RDF>'
)


@pytest.fixture
def staff():
    users = {k: ckan_factories.User(name=k) for k in ("cms_admin", "cms_editor", "fda_admin")}
    cms = factories.Division(
        name="cms",
        users=[{"name": "cms_admin", "capacity": "admin"}, {"name": "cms_editor", "capacity": "editor"}],
    )
    fda = factories.Division(name="fda", users=[{"name": "fda_admin", "capacity": "admin"}])
    return {"cms": cms, "fda": fda, **users}


def _source(url, division, source_type="hhs_datajson", name="cms-catalog"):
    return helpers.call_action(
        "harvest_source_create", name=name, title=name, url=url, source_type=source_type, owner_org=division["id"]
    )


def _small_catalog():
    return json.dumps(cms_demo_catalog(2))


def _gather_through_the_queue(source):
    """The gather consumer's own callback on the job's real Redis message."""
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    gather = queue.get_gather_consumer()
    gather.queue_purge()
    helpers.call_action("harvest_send_job_to_gather_queue", id=job["id"])
    queue.gather_callback(gather, *gather.basic_get(queue=queue.get_gather_queue_name()))
    helpers.call_action("harvest_jobs_run", source_id=source["id"])
    return helpers.call_action("harvest_job_show", id=job["id"])


def _gather_errors(job_id):
    return [e.message for e in HarvestJob.get(job_id).get_gather_errors()]


@pytest.mark.parametrize(
    ("source_type", "route"),
    [
        # CKAN's /download of an ftp:// resource answers 302 to it: requests' InvalidSchema.
        ("hhs_datajson", {"status": 302, "headers": {"Location": "ftp://127.0.0.1/data.json"}}),
        ("dcat_rdf", {"status": 302, "headers": {"Location": "ftp://127.0.0.1/data.json"}}),
        ("dcat_rdf", {"status": 302, "headers": {"Location": "http://" + "a" * 70 + ".test/"}}),
        ("dcat_rdf", {"body": RDF_PARSER_ERROR.encode(), "content_type": "application/rdf+xml"}),
        ("dcat_rdf", {"body": b"<rdf:RDF>\xff</rdf:RDF>", "content_type": "application/rdf+xml"}),
    ],
)
def test_a_failing_source_is_a_gather_error_and_the_consumer_goes_on(catalog_server, staff, source_type, route):
    catalog_server.routes["/catalog"] = {"body": b"", **route}
    source = _source(catalog_server.url("/catalog"), staff["cms"], source_type)
    job = _gather_through_the_queue(source)  # raised before: the consumer process ended
    assert job["status"] == "Finished"
    assert _gather_errors(job["id"])
    # The next job of a good source goes through.
    good = _source(catalog_server.serve("/data.json", _small_catalog()), staff["cms"], name="cms-good")
    assert _gather_through_the_queue(good)["stats"]["errored"] == 0
    assert model.Session.query(HarvestObject).filter_by(harvest_job_id=_last_job(good)).count() == 2


def _last_job(source):
    return (
        model.Session.query(HarvestJob.id)
        .filter_by(source_id=source["id"])
        .order_by(HarvestJob.created.desc())
        .scalar()
    )


class _Broken:
    """A harvester whose import stage raises, as any could on a database or programming error."""

    def fetch_stage(self, obj):
        return True

    def import_stage(self, obj):
        raise RuntimeError("boom")


def test_a_record_that_raises_is_an_object_error_not_the_end_of_the_fetch_consumer(catalog_server, staff):
    source = _source(catalog_server.serve("/data.json", _small_catalog()), staff["cms"])
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    obj = HarvestObject(guid="x-1", job=HarvestJob.get(job["id"]), source=HarvestJob.get(job["id"]).source)
    obj.save()
    queue.fetch_and_import_stages(_Broken(), obj)
    obj = HarvestObject.get(obj.id)
    assert (obj.state, obj.report_status) == ("ERROR", "errored")
    assert "could not be stored (RuntimeError)" in obj.errors[0].message


def test_the_real_gather_consumer_process_survives_a_failing_source(catalog_server, staff, tmp_path):
    """`ckan harvester gather-consumer` itself: a source redirecting to ftp:// used to end the process."""
    # The test's own ini, with the catalog server allow-listed as the fixture does in this process.
    with open(tk.config["__file__"], encoding="utf-8") as f:
        text = f.read()
    ini = tmp_path / "consumer.ini"
    ini.write_text(
        text.replace(
            "[app:main]\n",
            f"[app:main]\nckanext.hhs.allowed_private_hosts = 127.0.0.1:{catalog_server.port}\n",
            1,
        ).replace("%(here)s", os.path.dirname(os.path.abspath(tk.config["__file__"])))
    )
    bad = _source(catalog_server.redirect("/bad", "ftp://127.0.0.1/data.json"), staff["cms"], name="cms-bad")
    good = _source(catalog_server.serve("/data.json", _small_catalog()), staff["cms"], name="cms-good")
    queue.get_gather_consumer().queue_purge()
    jobs = [helpers.call_action("harvest_job_create", source_id=s["id"], run=True) for s in (bad, good)]
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    consumer = subprocess.Popen(
        [ckan, "-c", str(ini), "harvester", "gather-consumer"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and consumer.poll() is None:
            model.Session.remove()
            if HarvestJob.get(jobs[1]["id"]).gather_finished:
                break
            time.sleep(0.5)
        alive = consumer.poll() is None
    finally:
        consumer.terminate()
        _out, err = consumer.communicate(timeout=30)
    assert alive, err.decode()[-3000:]
    model.Session.remove()
    assert _gather_errors(jobs[0]["id"])
    assert model.Session.query(HarvestObject).filter_by(harvest_job_id=jobs[1]["id"]).count() == 2


# A crash mid-harvest


def _crashed_job(source, minutes_ago):
    """A job as a consumer killed mid-harvest leaves it: Running, objects queued, nothing since."""
    then = dt.datetime.utcnow() - dt.timedelta(minutes=minutes_ago)
    job = HarvestJob(source_id=source["id"], status="Running", created=then, gather_started=then)
    job.save()
    for n in range(2):
        HarvestObject(guid=f"rec-{n}", job=job, harvest_source_id=source["id"], state="QUEUED", gathered=then).save()
    return job.id


@pytest.mark.ckan_config("ckanext.hhs.harvest.job_timeout", "30")
def test_a_stale_job_is_finished_when_a_new_one_is_asked_for(catalog_server, staff):
    source = _source(catalog_server.serve("/data.json", _small_catalog()), staff["cms"])
    stale = _crashed_job(source, minutes_ago=45)
    job = act("harvest_job_create", "cms_editor", source_id=source["id"], run=False)
    assert HarvestJob.get(stale).status == "Finished"
    assert {o.state for o in HarvestJob.get(stale).objects} == {"ERROR"}
    assert "did nothing for 30 minutes" in _gather_errors(stale)[0]
    assert job["status"] == "New"


@pytest.mark.ckan_config("ckanext.hhs.harvest.job_timeout", "30")
def test_harvester_run_finishes_stale_jobs(catalog_server, staff):
    source = _source(catalog_server.serve("/data.json", _small_catalog()), staff["cms"])
    stale = _crashed_job(source, minutes_ago=45)
    other = _source(catalog_server.url("/other.json"), staff["cms"], name="other")
    live = _crashed_job(other, minutes_ago=5)
    helpers.call_action("harvest_jobs_run")
    assert HarvestJob.get(stale).status == "Finished"
    assert HarvestJob.get(live).status == "Running"


def test_a_running_job_is_a_clear_409(app, catalog_server, staff):
    source = _source(catalog_server.serve("/data.json", _small_catalog()), staff["cms"])
    _crashed_job(source, minutes_ago=1)
    with pytest.raises(tk.ValidationError) as e:
        act("harvest_job_create", "cms_admin", source_id=source["id"])
    assert "already running" in e.value.error_dict["source_id"][0]
    token = helpers.call_action("api_token_create", user="cms_admin", name="t")["token"]
    response = app.post(
        "/api/3/action/harvest_job_create",
        json={"source_id": source["id"]},
        headers={"Authorization": token},
        status=409,
    )
    assert "already running" in response.json["error"]["source_id"][0]


def test_the_divisions_admins_may_abort_its_sources_job(catalog_server, staff):
    source = _source(catalog_server.serve("/data.json", _small_catalog()), staff["cms"])
    job = _crashed_job(source, minutes_ago=1)
    for outsider in ("cms_editor", "fda_admin"):
        with pytest.raises(tk.NotAuthorized):
            act("harvest_job_abort", outsider, source_id=source["id"])
    act("harvest_job_abort", "cms_admin", source_id=source["id"])
    assert HarvestJob.get(job).status == "Finished"
    job = _crashed_job(source, minutes_ago=1)
    act("harvest_job_abort", "cms_admin", id=job)  # by the job's id too
    assert HarvestJob.get(job).status == "Finished"
    assert act("harvest_job_create", "cms_admin", source_id=source["id"], run=False)["status"] == "New"


# Imports that hold the job worker


@pytest.mark.ckan_config("ckanext.hhs.harvest.max_queued_imports", "2")
def test_a_division_may_queue_only_so_many_imports(staff):
    ckan_jobs.get_queue().empty()
    url = "http://192.0.2.1/data.json"  # unreachable: each would hold the worker to the fetch deadline
    for _ in range(2):
        act("hhs_catalog_import", "cms_admin", source=url, division="cms")
    with pytest.raises(tk.ValidationError) as e:
        act("hhs_catalog_import", "cms_admin", source=url, division="cms")
    assert "already has 2 catalog import(s) waiting or running" in e.value.error_dict["division"][0]
    act("hhs_catalog_import", "fda_admin", source=url, division="fda")  # another division's are its own
    ckan_jobs.get_queue().empty()
    act("hhs_catalog_import", "cms_admin", source=url, division="cms")
    ckan_jobs.get_queue().empty()


def test_a_job_for_no_source_is_a_field_error(staff):
    with pytest.raises(tk.ValidationError) as e:
        act("harvest_job_create", "cms_admin")
    assert "source_id" in e.value.error_dict
