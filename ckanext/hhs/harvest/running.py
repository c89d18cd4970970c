"""A source's running harvest job: stale ones are finished, so a crash never blocks a source.

A consumer killed mid-harvest leaves its job "Running" and objects queued; ckanext-harvest then
refuses every new job for the source (HarvestJobExists, an HTTP 500 through the API) and only
sysadmins may abort. A job that has done nothing for `ckanext.hhs.harvest.job_timeout` minutes is
finished here, its unfinished objects marked errored (the next harvest brings their records again:
the data.json harvester compares each record with its dataset, the RDF one by its triples).
"""

from __future__ import annotations

import datetime as dt
import logging

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.harvest.logic import HarvestJobExists
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError

from . import config

log = logging.getLogger(__name__)

_UNFINISHED = ("New", "Running")


class JobRunning(tk.ValidationError, HarvestJobExists):
    """A job is running: a 409 through the API, and ckanext-harvest's own notice on its pages."""


def current(source_id: str) -> HarvestJob | None:
    """The source's New or Running job, if any."""
    return (
        model.Session.query(HarvestJob)
        .filter(HarvestJob.source_id == source_id, HarvestJob.status.in_(_UNFINISHED))
        .order_by(HarvestJob.created.desc())
        .first()
    )


def is_stale(job: HarvestJob, now: dt.datetime | None = None) -> bool:
    idle = (now or dt.datetime.utcnow()) - (job.get_last_action_time() or job.created)
    return idle > dt.timedelta(minutes=config.job_timeout())


def finish_stale(source_id: str | None = None) -> list[str]:
    """Finish every stale job (of one source, or all); returns their ids."""
    query = model.Session.query(HarvestJob).filter(HarvestJob.status.in_(_UNFINISHED))
    if source_id:
        query = query.filter(HarvestJob.source_id == source_id)
    stale = [job for job in query if is_stale(job)]
    for job in stale:
        _finish(job)
    if stale:
        model.Session.commit()
    return [job.id for job in stale]


def check_can_start(source_id: str) -> None:
    """Refuse a new job while one is under way; a stale one is finished first."""
    finish_stale(source_id)
    job = current(source_id)
    if job is not None:
        raise JobRunning(
            {
                "source_id": [
                    tk._(
                        "A harvest job of this source is already {status} (since {since:%Y-%m-%d %H:%M} UTC): "
                        "wait for it to finish, or abort it"
                    ).format(status=job.status.lower(), since=job.created)
                ]
            }
        )


def _finish(job: HarvestJob) -> None:
    minutes = config.job_timeout()
    log.warning("Harvest job %s of source %s did nothing for %s minutes: finished", job.id, job.source_id, minutes)
    now = dt.datetime.utcnow()
    job.status, job.finished = "Finished", now
    job.gather_finished = job.gather_finished or now
    model.Session.add(
        HarvestGatherError(
            job=job,
            message=f"The job did nothing for {minutes} minutes (a harvest process stopped): it was finished, "
            "and the next harvest brings the records it had not imported",
        )
    )
    unfinished = model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_job_id == job.id, HarvestObject.state.notin_(("COMPLETE", "ERROR"))
    )
    for obj in unfinished:
        obj.state, obj.report_status = "ERROR", "errored"
        model.Session.add(
            HarvestObjectError(object=obj, stage="Import", message=f"{obj.guid}: not imported before the job timed out")
        )
