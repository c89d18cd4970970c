"""The data.json harvester keeps each harvest object's record (times, state, report status) in the
dataset's own transaction: one commit per new record instead of ckanext-harvest's six (#29)."""

from __future__ import annotations

import json
import os

import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import helpers

from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.hhs import vocab
from ckanext.hhs.harvest import importer
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests import factories

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")]


@pytest.fixture
def gathered(catalog_server):
    """A source of three CMS records, gathered: the ids of the objects waiting to be imported."""
    with open(CMS, encoding="utf-8") as f:
        cms = json.load(f)
    cms["dataset"] = cms["dataset"][:3]
    division = factories.Division(name="cms", bureau_code="009:38")
    source = helpers.call_action(
        "harvest_source_create",
        name="cms-catalog",
        title="CMS catalog",
        url=catalog_server.serve("/data.json", json.dumps(cms)),
        source_type="hhs_datajson",
        owner_org=division["id"],
    )
    ids = _gather(source["id"])
    return cms, ids


def _gather(source_id):
    """A job of the source, running and gathered, as ckanext-harvest's gather consumer leaves it."""
    job = HarvestJob.get(helpers.call_action("harvest_job_create", source_id=source_id, run=False)["id"])
    job.status = "Running"
    job.save()
    ids = queue.gather_stage(HhsHarvestPlugin(), job)
    model.Session.remove()
    return ids


class _Commits:
    def __init__(self):
        self.count = 0

    def __call__(self, session):
        self.count += 1


@pytest.fixture
def commits():
    counter = _Commits()
    sa.event.listen(model.Session, "after_commit", counter)
    yield counter
    sa.event.remove(model.Session, "after_commit", counter)


def test_a_new_record_is_one_commit_with_its_finished_object_and_is_found_at_once(gathered, commits):
    cms, ids = gathered
    records = cms["dataset"]
    for object_id in ids:
        queue.fetch_and_import_stages(HhsHarvestPlugin(), HarvestObject.get(object_id))
        model.Session.remove()
    assert commits.count == len(ids)  # ckanext-harvest's own bookkeeping made it six per record

    for object_id in ids:
        obj = HarvestObject.get(object_id)
        assert (obj.state, obj.report_status, obj.current) == ("COMPLETE", "added", True)
        assert None not in (obj.fetch_started, obj.fetch_finished, obj.import_started, obj.import_finished)
        assert obj.fetch_started <= obj.import_finished
        assert model.Package.get(obj.package_id).state == "active"
    found = helpers.call_action("package_search", q=f'title:"{records[0]["title"]}"')["results"]
    assert [d["identifier"] for d in found] == [records[0]["identifier"]]


def test_a_record_that_fails_is_errored_and_writes_no_dataset(gathered, monkeypatch):
    _cms, ids = gathered

    def fails(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(importer, "_write", fails)
    queue.fetch_and_import_stages(HhsHarvestPlugin(), HarvestObject.get(ids[0]))
    model.Session.remove()

    obj = HarvestObject.get(ids[0])
    assert (obj.state, obj.report_status) == ("ERROR", "errored")
    assert obj.import_finished is not None
    assert obj.package_id is None
    assert "could not be stored (RuntimeError)" in obj.errors[0].message
    assert model.Session.query(model.Package).filter(model.Package.type == "dataset").count() == 0


def test_an_object_updated_by_a_later_harvest_is_reported_updated(gathered, catalog_server):
    cms, ids = gathered
    for object_id in ids:
        queue.fetch_and_import_stages(HhsHarvestPlugin(), HarvestObject.get(object_id))
    model.Session.remove()
    source = HarvestObject.get(ids[0]).source
    helpers.call_action("harvest_jobs_run", source_id=source.id)  # the first job finishes
    cms["dataset"][0]["title"] = "Medicare claims, revised"
    catalog_server.serve("/data.json", json.dumps(cms))
    [again] = _gather(source.id)
    queue.fetch_and_import_stages(HhsHarvestPlugin(), HarvestObject.get(again))
    model.Session.remove()

    obj, first = HarvestObject.get(again), HarvestObject.get(ids[0])
    assert (obj.state, obj.report_status, obj.current) == ("COMPLETE", "updated", True)
    assert obj.package_id == first.package_id
    assert first.current is False
    assert model.Package.get(obj.package_id).title == "Medicare claims, revised"
