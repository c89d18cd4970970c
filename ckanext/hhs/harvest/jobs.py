"""Background jobs of the harvest feature (queued by actions with `tk.enqueue_job`)."""

from __future__ import annotations

import logging
from typing import Any

import rq

import ckan.plugins.toolkit as tk
from ckan import authz

from . import importer

log = logging.getLogger(__name__)


def import_catalog(user: str, source: str, division: str, withdraw: str, force: bool = False) -> dict[str, Any]:
    """Run one catalog import as `user`; returns the report, or ``error`` if the whole catalog failed.

    The job checks the user's right again (it may have changed while the job waited) and runs as that
    user, never with ignore_auth, so it can do nothing its caller could not."""
    context = {"user": user}
    job = rq.get_current_job()
    try:
        tk.check_access("hhs_catalog_import", dict(context), {"source": source, "division": division})
        catalog = importer.load_catalog(source, allow_path=authz.is_sysadmin(user))
    except tk.NotAuthorized as e:
        return {"error": str(e) or tk._("Not authorized"), "error_detail": str(e)}
    except importer.CatalogError as e:
        log.warning("Import of %s into %s failed: %s", source, division, e)
        return {"error": e.public, "error_detail": str(e)}
    done = 0

    def progress(step: int) -> None:
        nonlocal done
        done += step
        if job is not None and (done % 20 == 0 or done == len(catalog["dataset"])):
            job.meta["progress"] = done
            job.save_meta()

    if job is not None:
        job.meta["total"] = len(catalog["dataset"])
        job.save_meta()
    try:
        report = importer.import_catalog(context, catalog, division, source, withdraw, progress=progress, force=force)
    except Exception as e:  # each record is already its own transaction; this is the catalog as a whole
        log.exception("Import of %s into %s stopped", source, division)
        return {
            "error": tk._("The import stopped on an unexpected error; the server log has the detail"),
            "error_detail": repr(e),
        }
    return report.as_dict()
