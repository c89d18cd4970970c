"""`hhs_datajson`: a ckanext-harvest harvester for Project Open Data v1.1 `data.json` sources, and
DCAT-US 3.0 JSON catalogs (told from the document; importer.py).

It runs the same plan and steps as `ckan hhs import-catalog` (importer.py), split into
ckanext-harvest's stages: gather fetches and checks the catalog, compares it with the division's
datasets and makes one harvest object per record; only records to create, update or withdraw go
to the fetch queue. Unchanged and invalid records are finished in gather ("not modified",
"errored" with their errors), so a re-harvest without change costs one catalog read and a
database query, and the job report still counts every record.

Warnings (a kept record's HHS findings, repaired text) are not errors: ckanext-harvest counts any
object with an error as "errored", so they are kept on the object as the extra ``hhs_warnings`` and
counted per job by `job_warnings`. A source configured ``{"strict": true}`` refuses such records.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestGatherError, HarvestObject, HarvestObjectError, HarvestObjectExtra

from . import config, importer

log = logging.getLogger(__name__)

NAME = "hhs_datajson"
# Objects sent to the fetch queue. Not ckanext-harvest's "WAITING": `harvester run` re-sends every
# WAITING object it does not see in the Redis list, which includes the ones gather is still pushing
# and the ones a consumer has just popped, so big jobs got each object several times and, once the
# job had finished, the late copies turned imported objects into errors.
QUEUED = "QUEUED"
WARNINGS = "hhs_warnings"
# The standard of an object's record when it is not POD v1.1 (importer.DCATUS3).
STANDARD = "hhs_standard"


class DataJsonHarvester(HarvesterBase):
    def info(self) -> dict[str, str]:
        return {
            "name": NAME,
            "title": "Project Open Data data.json or DCAT-US 3.0 JSON (HHS)",
            "description": "A division's POD v1.1 data.json or DCAT-US 3.0 JSON catalog, kept in step: "
            "new records create datasets, "
            "changed ones update them in place, removed ones are withdrawn.",
            "form_config_interface": "Text",
        }

    def validate_config(self, source_config: str | None) -> str | None:
        if not source_config:
            return source_config
        try:
            settings = json.loads(source_config)
        except ValueError as e:
            raise ValueError(f"Configuration is not JSON: {e}") from e
        if not isinstance(settings, dict):
            raise ValueError('Configuration must be a JSON object, e.g. {"withdraw": "keep", "strict": true}')
        unknown = set(settings) - {"withdraw", "strict"}
        if unknown:
            raise ValueError(f"Unknown configuration keys: {', '.join(sorted(unknown))}")
        if settings.get("withdraw", "delete") not in ("delete", "keep"):
            raise ValueError('"withdraw" must be "delete" or "keep"')
        if not isinstance(settings.get("strict", False), bool):
            raise ValueError('"strict" must be true (records breaking HHS rules are refused) or false')
        return source_config

    def gather_stage(self, harvest_job: Any) -> list[str] | None:
        source = harvest_job.source
        org_id = model.Package.get(source.id).owner_org  # CKAN requires it: the source's division
        try:
            catalog = importer.load_catalog(source.url)
        except importer.CatalogError as e:
            log.warning("Harvest of %s failed: %s", source.url, e)
            return self._gather_failed(harvest_job, e.public)
        todo = importer.plan(catalog, org_id, importer.source_key(source.url))
        now = dt.datetime.utcnow()
        queued: list[HarvestObject] = []
        for step in todo.steps:
            obj = HarvestObject(guid=step.identifier, job=harvest_job, source=source, gathered=now)
            if step.kind == "failed":
                obj.state, obj.report_status = "ERROR", "errored"
                obj.content = None
                model.Session.add(obj)
                for failure in step.failures:
                    model.Session.add(
                        HarvestObjectError(object=obj, stage="Validation", message=importer.failure_message(failure))
                    )
            elif step.kind == "unchanged":
                obj.state, obj.report_status = "COMPLETE", "not modified"
                obj.package_id = step.current["id"]
                obj.import_finished = now
                model.Session.add(obj)
            else:
                obj.content = json.dumps(step.record)
                obj.package_id = step.current["id"] if step.current else None
                obj.extras = [HarvestObjectExtra(key="step", value=step.kind)]
                if step.standard != importer.POD:
                    obj.extras.append(HarvestObjectExtra(key=STANDARD, value=step.standard))
                if step.warnings:  # text repaired in the record; import_stage adds the HHS findings
                    obj.extras.append(HarvestObjectExtra(key=WARNINGS, value=json.dumps(step.warnings)))
                queued.append(obj)
        for identifier, current in todo.withdraw.items():
            obj = HarvestObject(guid=identifier, job=harvest_job, source=source, gathered=now, package_id=current["id"])
            obj.extras = [HarvestObjectExtra(key="step", value="withdraw")]
            queued.append(obj)
        for obj in queued:
            obj.state = QUEUED
        model.Session.add_all(queued)
        model.Session.commit()
        return [obj.id for obj in queued]

    def fetch_stage(self, harvest_object: Any) -> bool:
        return True  # gather read the whole catalog; each object already holds its record

    def fetch_and_import(self, harvest_object: Any) -> None:
        """ckanext-harvest's `fetch_and_import_stages` for this harvester's objects (survive.py calls it).

        ckanext-harvest commits an object five times around its import (fetching, fetched, importing,
        finished, its report status), about a tenth of the cost of a new dataset in a first harvest.
        Here the object's times, state and report status are written in the dataset's own transaction
        (`_linker`), so a dataset and its finished object are one commit; a refused or failed record
        is written once, as errored. What the object ends up holding is what ckanext-harvest writes."""
        now = dt.datetime.utcnow()
        # The fetch stage does nothing (gather read each record): fetched and importing at once.
        harvest_object.fetch_started = harvest_object.fetch_finished = harvest_object.import_started = now
        harvest_object.state = "IMPORT"
        imported = self.import_stage(harvest_object)
        if imported is True and harvest_object.state == "COMPLETE":
            return  # written with the dataset
        harvest_object.import_finished = dt.datetime.utcnow()
        if imported:
            harvest_object.state, harvest_object.report_status = "COMPLETE", _report_status(harvest_object)
        else:
            harvest_object.state, harvest_object.report_status = "ERROR", "errored"
        harvest_object.save()

    def import_stage(self, harvest_object: Any) -> bool | str:
        step_kind = next((e.value for e in harvest_object.extras if e.key == "step"), None)
        source = harvest_object.source
        context = {"user": self._get_user_name(), "ignore_auth": True}
        current = {"id": harvest_object.package_id} if harvest_object.package_id else None
        if step_kind == "withdraw":
            importer.withdraw_dataset(context, current, source_settings(source).get("withdraw", config.withdraw()))
            _make_current(harvest_object, current["id"], current=False)
            _finished(harvest_object)
            model.Session.commit()
            return True
        record = json.loads(harvest_object.content)
        org_id = model.Package.get(source.id).owner_org
        if current:
            current["name"] = model.Package.get(current["id"]).name
        package_id = current["id"] if current else str(uuid.uuid4())
        repaired = [json.loads(e.value) for e in harvest_object.extras if e.key == WARNINGS]
        followed = next((e.value for e in harvest_object.extras if e.key == STANDARD), importer.POD)
        step = importer.Step(
            step_kind, harvest_object.guid, record, current, warnings=sum(repaired, []), standard=followed
        )
        try:
            importer.apply(
                context,
                org_id,
                step,
                importer.source_key(source.url),
                new_id=package_id,
                strict=bool(source_settings(source).get("strict", False)),
                before_write=_linker(harvest_object, fresh_id=None if current else package_id),
            )
        except importer.RecordError as e:
            for failure in e.failures:
                HarvestObjectError(
                    object=harvest_object, stage="Import", message=importer.failure_message(failure)
                ).save()
            return False
        except Exception as e:  # one record's failure must not stop the job, nor lose its report
            failure = importer.record_failed(step, e)
            HarvestObjectError(object=harvest_object, stage="Import", message=importer.failure_message(failure)).save()
            return False
        set_warnings(harvest_object, step.warnings)
        return True

    def _gather_failed(self, harvest_job: Any, message: str) -> None:
        HarvestGatherError(message=message, job=harvest_job).save()


def _linker(harvest_object: Any, fresh_id: str | None = None) -> Callable[[str], None]:
    """Make the object current in the dataset's own transaction (again after a refused attempt), so
    the dataset is indexed with its harvest source (ckanext-harvest's source page searches by it).
    The id is the one written: another writer may have created the record's dataset meanwhile.
    `fresh_id` is an id made up for a new dataset: no other object can name it yet."""

    def link(package_id: str) -> None:
        if package_id == fresh_id:
            harvest_object.package_id, harvest_object.current = package_id, True
            model.Session.add(harvest_object)
        else:
            _make_current(harvest_object, package_id, current=True)
        # Finished with the dataset's commit; a refused write rolls this back with the dataset.
        _finished(harvest_object, first=package_id == fresh_id)
        model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
        model.Session.flush()

    return link


def _finished(harvest_object: Any, first: bool = False) -> None:
    """The object's record of a successful import, as ckanext-harvest's fetch_and_import_stages writes it
    (after a refused attempt rolled the session back, the times are written again). `first`: no earlier
    object wrote its dataset."""
    now = dt.datetime.utcnow()
    for started in ("fetch_started", "fetch_finished", "import_started"):
        if getattr(harvest_object, started) is None:
            setattr(harvest_object, started, now)
    harvest_object.import_finished = now
    harvest_object.state = "COMPLETE"
    harvest_object.report_status = "added" if first else _report_status(harvest_object)


def _report_status(harvest_object: Any) -> str:
    """ckanext-harvest's report status of an imported object: deleted, updated (an earlier object wrote
    the same dataset) or added."""
    if harvest_object.current is False:
        return "deleted"
    earlier = (
        model.Session.query(HarvestObject.id)
        .filter(HarvestObject.package_id == harvest_object.package_id, HarvestObject.id != harvest_object.id)
        .first()
    )
    return "updated" if earlier else "added"


def set_warnings(harvest_object: Any, warnings: list[dict[str, str]]) -> None:
    extras = [e for e in harvest_object.extras if e.key == WARNINGS]
    if not warnings and not extras:
        return
    if extras:
        extras[0].value = json.dumps(warnings)
    else:
        harvest_object.extras.append(HarvestObjectExtra(key=WARNINGS, value=json.dumps(warnings)))
    model.Session.add(harvest_object)
    model.Session.commit()


def job_warnings(job_id: str) -> dict[str, Any]:
    """The warnings of one harvest job, apart from its errors: ``count`` and, per record (guid), the list
    of {identifier, path, message, rule}."""
    rows = (
        model.Session.query(HarvestObject.guid, HarvestObjectExtra.value)
        .join(HarvestObjectExtra, HarvestObjectExtra.harvest_object_id == HarvestObject.id)
        .filter(HarvestObject.harvest_job_id == job_id, HarvestObjectExtra.key == WARNINGS)
    )
    records = {guid: json.loads(value) for guid, value in rows if value}
    records = {guid: warnings for guid, warnings in records.items() if warnings}
    return {"count": sum(len(w) for w in records.values()), "records": records}


def _make_current(harvest_object: Any, package_id: str, current: bool) -> None:
    """ckanext-harvest links a dataset to the one current object that last wrote it."""
    model.Session.query(HarvestObject).filter(
        HarvestObject.package_id == package_id,
        HarvestObject.current == True,  # noqa: E712
    ).update({"current": False}, synchronize_session=False)
    harvest_object.package_id = package_id
    harvest_object.current = current
    model.Session.add(harvest_object)


def source_settings(source: Any) -> dict[str, Any]:
    return json.loads(source.config) if source.config else {}
