"""Run records of the metrics jobs (figures, link check): each run is stored as running, then finished
or failed with a neutral message (the exception goes to the log only), so the dashboard shows a failed
run instead of presenting older figures as new."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import ckan.model as model

from ckanext.hhs import values

from ..failures import failure_message
from . import model as gm

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# A run still "running" after this long was killed (worker restart, timeout): shown as interrupted.
JOB_TIMEOUT = 2 * 3600


def start(kind: str) -> gm.MetricsRun:
    run = gm.MetricsRun(kind=kind, status="running", started=values.now(), counts={})
    model.Session.add(run)
    model.Session.commit()
    return run


def end(run: gm.MetricsRun, error: BaseException | None = None) -> None:
    if error is not None:
        model.Session.rollback()
        run = model.Session.get(gm.MetricsRun, run.id)
        run.status, run.error = "failed", failure_message(run.id)
        log.error("governance %s run %s failed:\n%s", run.kind, run.id, traceback.format_exc())
    else:
        run.status = "finished"
    run.finished = values.now()
    model.Session.commit()
