"""Actions of the harvest feature."""

from __future__ import annotations

from typing import Any

import rq

import ckan.lib.jobs as jobs
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import Context, DataDict

from ckanext.hhs import divisions, net
from ckanext.hhs.context import db_key
from ckanext.hhs.logic.validation import validate

from .. import config, dcat, edits, importer, overlap, running
from .. import jobs as import_jobs
from . import schema

# Long enough for a catalog of 100,000 records on a slow machine; the result is kept a week.
JOB_TIMEOUT = 6 * 3600
RESULT_TTL = 7 * 24 * 3600


@validate(schema.catalog_import)
def hhs_catalog_import(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Queue the import of a Project Open Data v1.1 catalog into one division, in step with its source.

    The import runs as a background job (a web request never waits for a remote catalog): new
    records create datasets, changed ones update the same dataset, unchanged ones are skipped,
    records gone from the source are withdrawn; each bad record is reported and the rest go through.
    Read its progress and report with ``hhs_catalog_import_status``.

    :param source: a catalog URL (http or https), or a path on the server (sysadmins only)
    :type source: string
    :param division: the division (organization) name or id the datasets belong to
    :type division: string
    :param withdraw: ``delete`` or ``keep`` (mark withdrawn) records gone from the source;
        default from ``ckanext.hhs.harvest.withdraw``
    :type withdraw: string
    :param force: update unchanged records too (optional, default false)
    :type force: bool
    :returns: ``job_id`` and ``status`` (``queued``)
    :rtype: dict
    """
    tk.check_access("hhs_catalog_import", context, data_dict)
    org = divisions.find(data_dict["division"])
    if org is None:  # refused by the auth function, but sysadmins skip it
        raise tk.ValidationError({"division": [tk._("Catalogs are imported into an HHS division (an organization)")]})
    # Each import of a slow or unreachable source holds a job worker up to the fetch deadline.
    limit = config.max_queued_imports()
    if _imports_under_way(org.name) >= limit:
        raise tk.ValidationError(
            {
                "division": [
                    tk._(
                        "{division} already has {limit} catalog import(s) waiting or running: "
                        "try again when one has finished"
                    ).format(division=org.name, limit=limit)
                ]
            }
        )
    job = tk.enqueue_job(
        import_jobs.import_catalog,
        [
            context.get("user"),
            data_dict["source"],
            org.id,
            data_dict.get("withdraw") or config.withdraw(),
            bool(data_dict.get("force")),
        ],
        title=f"Import {data_dict['source']} into {org.name}",
        rq_kwargs={
            "timeout": JOB_TIMEOUT,
            "result_ttl": RESULT_TTL,
            "meta": {"hhs_user": context.get("user"), "hhs_division": org.name, "hhs_source": data_dict["source"]},
        },
    )
    return {"job_id": job.id, "status": job.get_status()}


@tk.side_effect_free
@validate(schema.catalog_import_status)
def hhs_catalog_import_status(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The state of a catalog import queued by ``hhs_catalog_import``: yours, or any for sysadmins.

    :param id: the job id ``hhs_catalog_import`` returned
    :type id: string
    :returns: ``job_id``, ``status`` (``queued``, ``started``, ``finished``, ``failed``), ``division``,
        ``source``, ``progress`` and ``total`` (records), and once finished the ``report`` (as the CLI
        prints it: ``created``, ``updated``, ``unchanged``, ``withdrawn``, ``failed`` and ``summary``)
        or the ``error`` that stopped the whole catalog
    :rtype: dict
    """
    tk.check_access("hhs_catalog_import_status", context, data_dict)
    user = context.get("user")
    try:
        job = jobs.job_from_id(data_dict["id"])
    except KeyError as e:
        raise tk.ObjectNotFound(tk._("No such import job (finished jobs are kept a week)")) from e
    if "hhs_source" not in job.meta or (job.meta.get("hhs_user") != user and not authz.is_sysadmin(user)):
        raise tk.ObjectNotFound(tk._("No such import job (finished jobs are kept a week)"))
    status = job.get_status()
    out: dict[str, Any] = {
        "job_id": job.id,
        "status": status,
        "division": job.meta["hhs_division"],
        "source": job.meta["hhs_source"],
        "progress": job.meta.get("progress", 0),
        "total": job.meta.get("total"),
    }
    result = job.return_value() if status == "finished" else None
    if isinstance(result, dict):
        if "error" in result:
            out["error"] = result["error_detail"] if authz.is_sysadmin(user) else result["error"]
        else:
            out["report"] = result
    elif status == "failed":
        out["error"] = tk._("The import stopped on an unexpected error; the server log has the detail")
    return out


def _imports_under_way(division: str) -> int:
    queue = jobs.get_queue()
    ids = [*queue.get_job_ids(), *queue.started_job_registry.get_job_ids()]
    under_way = (job for job in rq.job.Job.fetch_many(ids, connection=queue.connection) if job is not None)
    return sum(1 for job in under_way if job.meta.get("hhs_division") == division and "hhs_source" in job.meta)


@tk.chained_action
def harvest_job_create(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    # ckanext-harvest answers a running job with HarvestJobExists (an HTTP 500), and a job left
    # running by a crashed consumer blocked its source for good: a stale job is finished, a live
    # one is a 409 naming the field.
    if not data_dict.get("source_id"):
        raise tk.ValidationError({"source_id": [tk._("Missing value")]})
    tk.check_access("harvest_job_create", context, data_dict)
    source = model.Package.get(db_key(data_dict.get("source_id")))
    if source is not None:
        running.check_can_start(source.id)
    return up_func(context, data_dict)


@tk.chained_action
def harvest_jobs_run(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    # `ckan harvester run` (cron) finishes jobs whose consumer stopped, before it looks for finished ones.
    tk.check_access("harvest_jobs_run", context, data_dict)
    running.finish_stale(data_dict.get("source_id"))
    return up_func(context, data_dict)


# ckanext-harvest's sources are datasets of type "harvest": they are created and changed through
# package_create / package_update (the /harvest/new form calls them directly). Their run status (also
# part of package_show) quotes the errors of the last run, which can quote the source's content.


@tk.chained_action
def package_create(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    _check_source_url(data_dict, data_dict.get("type"))
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    current = context["model"].Package.get(db_key(data_dict.get("id") or data_dict.get("name")))
    _check_source_url(data_dict, data_dict.get("type") or (current.type if current else None))
    stored = current.extras.get("source_catalog") if current else None
    if stored and data_dict.get("source_catalog") == importer.source_label(stored):
        data_dict["source_catalog"] = stored  # what package_show showed a non-sysadmin, sent back
    if current is None or dcat.harvest_write(current.id):
        return up_func(context, data_dict)
    # An edit of hub-only fields keeps a harvested dataset's source record (edits.py says which).
    keep = edits.keep_source_context(context, data_dict)
    return up_func(*keep) if keep else up_func(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def harvest_source_show_status(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    status = up_func(context, data_dict)
    if status.get("last_job") and not _allowed("harvest_source_update", context.get("user"), data_dict["id"]):
        for key in ("gather_error_summary", "object_error_summary"):
            status["last_job"].pop(key, None)
    return status


@tk.chained_action
@tk.side_effect_free
def harvest_source_list(up_func: Any, context: Context, data_dict: DataDict) -> Any:
    # ckanext-harvest lists every source, private and deleted ones too, to anonymous callers (and
    # checks no auth at all).
    tk.check_access("harvest_source_list", context, data_dict)
    user = context.get("user")
    return [source for source in up_func(context, data_dict) if _allowed("package_show", user, source["id"])]


@tk.side_effect_free
@validate(schema.source_overlap)
def hhs_harvest_source_overlap(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Identifiers the datasets harvested from this source share with datasets that other divisions
    already hold: the sign that a division harvests a catalog another division publishes (each record
    is then in the hub twice). Counted over what the source's harvests brought in; datasets the caller
    may not see are neither counted nor named. The source's editors.

    :param id: the harvest source's id or name
    :returns: ``harvested`` (identifiers this source brought in), ``shared`` (of those, held by another
        division) and ``divisions`` (name, title, count, up to five ``examples``: identifier, name, title)
    :rtype: dict
    """
    tk.check_access("hhs_harvest_source_overlap", context, data_dict)
    source = None if "\x00" in data_dict["id"] else model.Package.get(data_dict["id"])
    if source is None or source.type != "harvest":
        raise tk.ObjectNotFound(tk._("Harvest source not found"))
    return overlap.shared_identifiers(source, context.get("user"))


def _check_source_url(data_dict: DataDict, package_type: str | None) -> None:
    """A harvest source is an http(s) URL that passes the fetch guard; server paths are the CLI's."""
    if package_type != "harvest" or "url" not in data_dict:
        return
    try:
        net.check_url(str(data_dict["url"] or "").strip())
    except net.FetchError as e:
        raise tk.ValidationError({"url": [e.public]}) from e


def _allowed(action: str, user: str | None, source_id: str) -> bool:
    try:
        tk.check_access(action, {"model": model, "user": user or ""}, {"id": source_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True
