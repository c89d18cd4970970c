"""action: the metrics part of the dashboard (catalog and harvest health, link check, ROI).

The figures are computed by background jobs (metrics/figures.py, queued by metrics/jobs.py) with full
visibility and stored as dated snapshots; these actions read them, for board members and sysadmins only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import values
from ckanext.hhs.logic.validation import validate

from ...quality import checks as quality
from .. import jobs, runs
from .. import model as gm
from ..figures import headline
from . import schema

__all__ = [
    "hhs_governance_linkcheck_list",
    "hhs_governance_metrics_history",
    "hhs_governance_metrics_refresh",
    "hhs_governance_metrics_show",
]


def _run_dict(run: gm.MetricsRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    status = run.status
    if status == "running" and (values.now() - run.started).total_seconds() > runs.JOB_TIMEOUT:
        status = "interrupted"  # the worker died or timed out before it could say so
    return {
        "id": run.id,
        "kind": run.kind,
        "status": status,
        "started": run.started.isoformat(timespec="seconds"),
        "finished": run.finished.isoformat(timespec="seconds") if run.finished else None,
        "error": run.error,
        "counts": run.counts or {},
    }


def _last_run(kind: str) -> gm.MetricsRun | None:
    return (
        model.Session.query(gm.MetricsRun)
        .filter(gm.MetricsRun.kind == kind)
        .order_by(gm.MetricsRun.started.desc())
        .first()
    )


def _finished_snapshots(division: str) -> Any:
    return (
        model.Session.query(gm.MetricsSnapshot)
        .join(gm.MetricsRun, gm.MetricsRun.id == gm.MetricsSnapshot.run_id)
        .filter(gm.MetricsRun.status == "finished", gm.MetricsSnapshot.division == division)
    )


def _light_figures() -> Any:
    """A snapshot's figures without its long lists (stale datasets, failing links, harvest and imported
    rows): what the headline figures need, read from the database without the rest."""
    figures = gm.MetricsSnapshot.figures
    for path in ("{catalog,stale_datasets}", "{links,broken_links}", "{imported}", "{roi}"):
        figures = figures.op("#-")(sa.cast(path, ARRAY(sa.UnicodeText)))
    return figures.label("figures")


def _division_name(data_dict: DataDict) -> str:
    name = data_dict.get("division") or gm.HHS_WIDE
    if name and model.Group.get(name) is None:
        raise tk.ObjectNotFound(tk._("No such division"))
    return model.Group.get(name).name if name else name


@tk.side_effect_free
@validate(schema.metrics_show)
def hhs_governance_metrics_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The stored governance figures: the newest snapshot, or the one in force on a date; HHS-wide or
    for one division. Board members and sysadmins only; the figures count every division's private
    datasets too (by design: the Board's remit).

    :param division: a division's name (optional; HHS-wide by default)
    :param date: the figures as they stood at the end of this day, YYYY-MM-DD (optional)
    :returns: ``division``, ``computed_at`` (None before the first run), ``figures`` (``catalog``,
        ``links``, ``harvest``, ``roi``), ``divisions`` (HHS-wide: each division's headline figures of
        the same run), ``last_run`` and ``last_linkcheck`` (status ``running``, ``finished``, ``failed``
        or ``interrupted``, with the error), ``outdated`` (true when a run after these figures failed
        or was interrupted: they are not current) and ``queued`` (titles of governance jobs waiting in the
        queue, not started yet)
    """
    tk.check_access("hhs_governance_metrics_show", context, data_dict)
    division = _division_name(data_dict)
    query = _finished_snapshots(division)
    if data_dict.get("date"):
        end_of_day = dt.datetime.combine(data_dict["date"] + dt.timedelta(days=1), dt.time())
        query = query.filter(gm.MetricsSnapshot.computed_at < end_of_day)
    snapshot = query.order_by(gm.MetricsSnapshot.computed_at.desc()).first()
    last_run = _run_dict(_last_run("figures"))
    computed = snapshot.computed_at if snapshot else None
    outdated = bool(
        last_run
        and last_run["status"] in ("failed", "interrupted")
        and (computed is None or dt.datetime.fromisoformat(last_run["started"]) >= computed.replace(microsecond=0))
    )
    divisions = []
    if snapshot is not None and division == gm.HHS_WIDE:
        rows = model.Session.query(gm.MetricsSnapshot.division, _light_figures()).filter(
            gm.MetricsSnapshot.run_id == snapshot.run_id, gm.MetricsSnapshot.division != gm.HHS_WIDE
        )
        divisions = [headline(name, figures) for name, figures in rows.order_by(gm.MetricsSnapshot.division)]
    return {
        "division": division,
        "computed_at": computed.isoformat(timespec="seconds") if computed else None,
        "figures": _for_viewer(snapshot.figures, context) if snapshot else None,
        "divisions": divisions,
        "last_run": last_run,
        "last_linkcheck": _run_dict(_last_run("linkcheck")),
        "outdated": outdated,
        "queued": jobs.queued(),
    }


def _for_viewer(figures: dict[str, Any], context: Context) -> dict[str, Any]:
    """The figures as the caller may see them: a catalog imported from a file on the server is named by
    its file name to all but sysadmins (its path tells the server's layout; package_show hides it too)."""
    if authz.is_sysadmin(context.get("user")) or not figures.get("imported"):
        return figures
    imported = [{**row, "source_catalog": quality.source_name(row["source_catalog"])} for row in figures["imported"]]
    return {**figures, "imported": imported}


@tk.side_effect_free
@validate(schema.metrics_history)
def hhs_governance_metrics_history(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The trend of the headline figures, one point a day (the day's last finished run). Board members
    and sysadmins only.

    :param division: a division's name (optional; HHS-wide by default)
    :param days: how many days back (optional, default 90, at most 3660)
    :returns: ``division`` and ``points`` (oldest first), each the date, ``computed_at`` and the
        headline figures
    """
    tk.check_access("hhs_governance_metrics_history", context, data_dict)
    division = _division_name(data_dict)
    since = values.now() - dt.timedelta(days=data_dict["days"])
    day = sa.func.date(gm.MetricsSnapshot.computed_at)
    newest = (
        _finished_snapshots(division)
        .filter(gm.MetricsSnapshot.computed_at >= since)
        .with_entities(sa.func.max(gm.MetricsSnapshot.computed_at))
        .group_by(day)
    )
    rows = (
        _finished_snapshots(division)
        .filter(gm.MetricsSnapshot.computed_at.in_(newest.scalar_subquery()))
        .with_entities(gm.MetricsSnapshot.computed_at, _light_figures())
        .order_by(gm.MetricsSnapshot.computed_at)
    )
    points = []
    for computed_at, figures in rows:
        point = headline(division, figures)
        for key in ("division", "title"):
            point.pop(key)
        points.append(
            {
                "date": computed_at.date().isoformat(),
                "computed_at": computed_at.isoformat(timespec="seconds"),
                **point,
            }
        )
    return {"division": division, "points": points}


@validate(schema.metrics_refresh)
def hhs_governance_metrics_refresh(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Queue a recomputation of the figures and, unless ``links`` is false, a link-check batch as a
    separate job (the figures do not wait for the link check). Editors of the Data Governance Board
    and sysadmins.

    :param links: also queue a batch of resource link checks (optional, default true)
    :returns: ``job_id`` of the figures job and ``linkcheck_job_id`` (None when not queued)
    """
    tk.check_access("hhs_governance_metrics_refresh", context, data_dict)
    queued = jobs.enqueue_refresh(links=data_dict["links"])
    return {"job_id": queued["figures"], "linkcheck_job_id": queued.get("linkcheck")}


@tk.side_effect_free
@validate(schema.linkcheck_list)
def hhs_governance_linkcheck_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Resource links by the status their last check found (the current URL of each resource only).
    Board members and sysadmins only: private datasets are listed too.

    :param division: a division's name (optional)
    :param status: ``broken`` (default), ``refused`` (not a public http(s) address), ``unknown``
        (could not check: the host name did not resolve) or ``ok``
    :param limit: (optional, default 100, at most 1000)
    :param offset: (optional)
    :returns: ``count`` and ``results``: dataset, division, resource, URL, HTTP status, error, when
        checked and how many checks in a row failed
    """
    tk.check_access("hhs_governance_linkcheck_list", context, data_dict)
    status = gm.LinkStatus
    query = (
        model.Session.query(status, model.Resource, model.Package, model.Group.name)
        .join(model.Resource, sa.and_(model.Resource.id == status.resource_id, model.Resource.url == status.url))
        .join(model.Package, model.Package.id == model.Resource.package_id)
        .outerjoin(model.Group, model.Group.id == model.Package.owner_org)
        .filter(
            status.status == data_dict["status"],
            model.Resource.state == "active",
            model.Package.state == "active",
        )
    )
    if data_dict.get("division"):
        query = query.filter(model.Group.name == _division_name(data_dict))
    count = query.count()
    rows = (
        query.order_by(status.checked.desc(), status.resource_id).offset(data_dict["offset"]).limit(data_dict["limit"])
    )
    return {
        "count": count,
        "results": [
            {
                "dataset": package.name,
                "dataset_title": package.title or package.name,
                "division": division or "",
                "resource_id": resource.id,
                "resource_name": resource.name or "",
                "url": link.url,
                "status": link.status,
                "http_status": link.http_status,
                "error": link.error,
                "checked": link.checked.isoformat(timespec="seconds"),
                "failures": link.failures,
            }
            for link, resource, package, division in rows
        ],
    }
