"""Harvest consumers that survive any one source or record.

ckanext-harvest's gather consumer re-raises whatever a harvester's gather stage raises, and its fetch
consumer calls the fetch and import stages with no guard at all: one exception ends the consumer
process, and with it all harvesting until someone restarts it. A source that redirects to ftp://, an
RDF document rdflib chokes on in a way ckanext-dcat does not catch, a database error in one record:
each stopped every harvest. The two stage functions the consumers (and `harvester run-test`) call are
wrapped here, for every harvester: a failure becomes a harvest error on the job or on the object,
the session is rolled back, and the consumer goes on with the next message.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import ckan.model as model

from ckanext.harvest import queue
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError

log = logging.getLogger(__name__)


def install() -> None:
    """Wrap ckanext-harvest's stage functions (once, however often the plugin is loaded)."""
    if not getattr(queue.gather_stage, "hhs_survives", False):
        queue.gather_stage = _gather_stage(queue.gather_stage)
    if not getattr(queue.fetch_and_import_stages, "hhs_survives", False):
        queue.fetch_and_import_stages = _fetch_and_import_stages(queue.fetch_and_import_stages)


def _gather_stage(original: Any) -> Any:
    def gather_stage(harvester: Any, job: Any) -> list[str] | None:
        try:
            return original(harvester, job)
        except Exception as e:  # not KeyboardInterrupt / SystemExit: a consumer told to stop stops
            log.exception("Gather of harvest job %s failed", job.id)
            try:
                _gather_failed(job.id, e)
            except Exception:  # the database itself is gone: the consumer goes on all the same
                log.exception("Recording the failure of harvest job %s failed", job.id)
                model.Session.remove()
            return None  # ckanext-harvest: "gather stage failed"; the job finishes with no objects

    gather_stage.hhs_survives = True  # type: ignore[attr-defined]
    return gather_stage


def _gather_failed(job_id: str, error: Exception) -> None:
    model.Session.rollback()
    job = HarvestJob.get(job_id)
    job.gather_finished = job.gather_finished or dt.datetime.utcnow()
    # Objects the stage saved before it failed were sent nowhere: errored, so the job can finish
    # (ckanext-harvest deletes them when it can; `harvester run` would send waiting ones again).
    model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_job_id == job_id, HarvestObject.state.notin_(("COMPLETE", "ERROR"))
    ).update({"state": "ERROR", "report_status": "errored"}, synchronize_session=False)
    model.Session.add(
        HarvestGatherError(
            job=job,
            message=f"The harvest stopped on an unexpected error ({type(error).__name__}); "
            "the server log has the detail. The next harvest tries again.",
        )
    )
    model.Session.commit()


def _fetch_and_import_stages(original: Any) -> Any:
    def fetch_and_import_stages(harvester: Any, obj: Any) -> None:
        try:
            # A harvester that keeps its objects' record itself (the data.json one) does it in fewer commits.
            own = getattr(harvester, "fetch_and_import", None)
            if own:
                own(obj)
            else:
                original(harvester, obj)
        except Exception as e:
            log.exception("Harvest object %s failed", obj.id)
            try:
                _object_failed(obj.id, e)
            except Exception:
                log.exception("Recording the failure of harvest object %s failed", obj.id)
                model.Session.remove()

    fetch_and_import_stages.hhs_survives = True  # type: ignore[attr-defined]
    return fetch_and_import_stages


def _object_failed(object_id: str, error: Exception) -> None:
    model.Session.rollback()
    obj = HarvestObject.get(object_id)
    if obj is None:
        return
    obj.state, obj.report_status = "ERROR", "errored"
    obj.import_finished = dt.datetime.utcnow()
    model.Session.add(
        HarvestObjectError(
            object=obj,
            stage="Import",
            message=f"{obj.guid}: the record could not be stored ({type(error).__name__}); nothing of it was written",
        )
    )
    model.Session.commit()
