"""The ROI figures: access requests and grants (marketplace), licences reused, duplicates resolved,
reuse (CKAN's tracking) and lakehouse tables, each read through the other plugin's action or tables
when that plugin is loaded, and the staff hours they save by the configured estimates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from .. import config
from . import model as gm
from . import scopes


def _action(name: str) -> Callable[..., Any] | None:
    """Another plugin's action, or None where that plugin is not loaded (or that part not built yet)."""
    try:
        return tk.get_action(name)
    except (KeyError, AttributeError):
        return None


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _name(org: Any) -> str:
    """A division's name from an organization dict or name."""
    return (org.get("name") or "") if isinstance(org, dict) else (org or "")


def licences(context: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Each licence's cost and the divisions it covers besides the one that bought it."""
    search = _action("hhs_marketplace_licence_search")
    if search is None:
        return None
    found, offset = [], 0
    while True:
        page = search({**context}, {"limit": 100, "offset": offset})
        for licence in page["results"]:
            holder = _name(licence.get("holder"))
            covered = {_name(c) for c in licence.get("covered") or []} - {holder, ""}
            found.append({"cost": _money(licence.get("cost")), "covered": sorted(covered)})
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            return found


def reuse(divisions: dict[str, tuple[str, str]]) -> dict[str, dict[str, int]] | None:
    """Views of dataset pages and resource downloads per division id and HHS-wide, from CKAN's
    tracking tables (None when the tracking plugin is off: nothing is counted then)."""
    if not p.plugin_loaded("tracking"):
        return None
    from ckanext.tracking.model import TrackingSummary as ts

    out: dict[str, dict[str, int]] = defaultdict(lambda: {"views": 0, "downloads": 0})
    views = (
        model.Session.query(model.Package.owner_org, sa.func.coalesce(sa.func.sum(ts.count), 0))
        .join(ts, ts.package_id == model.Package.id)
        .filter(ts.tracking_type == "page", model.Package.type == "dataset")
        .group_by(model.Package.owner_org)
    )
    downloads = (
        model.Session.query(model.Package.owner_org, sa.func.coalesce(sa.func.sum(ts.count), 0))
        .select_from(ts)
        .join(model.Resource, model.Resource.url == ts.url)
        .join(model.Package, model.Package.id == model.Resource.package_id)
        .filter(ts.tracking_type == "resource", model.Package.type == "dataset")
        .group_by(model.Package.owner_org)
    )
    for kind, query in (("views", views), ("downloads", downloads)):
        for org_id, count in query:
            out[gm.HHS_WIDE][kind] += int(count)
            if org_id in divisions:
                out[org_id][kind] += int(count)
    return out


def lakehouse(context: dict[str, Any], divisions: dict[str, tuple[str, str]]) -> dict[str, dict[str, int]] | None:
    """Registered lakehouse tables and stale ones per division id and HHS-wide (None without the plugin)."""
    table_list = _action("hhs_lakehouse_table_list")
    if table_list is None:
        return None
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"tables": 0, "stale": 0})
    owners: dict[str, str] = {}
    offset = 0
    while True:
        page = table_list({**context}, {"limit": 100, "offset": offset})
        ids = {t["package_id"] for t in page["results"]} - owners.keys()
        if ids:
            owners.update(
                model.Session.query(model.Package.id, model.Package.owner_org).filter(model.Package.id.in_(ids)).all()
            )
        for table in page["results"]:
            for key in scopes.of(owners.get(table["package_id"]), divisions):
                out[key]["tables"] += 1
                out[key]["stale"] += bool(table["stale"])
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            return out


def figures(
    context: dict[str, Any],
    division: str,
    licences: list[dict[str, Any]] | None,
    duplicates: int | None,
    reuse: dict[str, int] | None,
    lakehouse: dict[str, int] | None,
) -> dict[str, Any]:
    """The ROI figures of one scope. Data needs and duplicates are HHS-wide: the division view leaves them out."""
    hhs_wide = division == gm.HHS_WIDE
    baseline = config.dua_baseline_days()
    out: dict[str, Any] = {
        "baseline_days": baseline,
        "marketplace": None,
        "licences": None,
        "duplicates_resolved": duplicates if hhs_wide else None,
        "reuse": reuse,
        "lakehouse": lakehouse,
    }
    hours: dict[str, float] = {}
    metrics = _action("hhs_marketplace_metrics")
    if metrics is not None:
        m = metrics({**context}, {} if hhs_wide else {"division": division})
        median_hours = m["hours_to_access"]["median"]
        median_days = round(median_hours / 24, 1) if median_hours is not None else None
        granted = m["hours_to_access"]["count"]
        out["marketplace"] = {
            "requests_by_status": m["requests_by_status"],
            "requests_total": m["requests_total"],
            "access_granted": granted,
            "median_hours_to_access": median_hours,
            "median_days_to_access": median_days,
            "days_saved_per_request": round(baseline - median_days, 1) if median_days is not None else None,
            "needs_answered_from_existing_data": m["needs"]["answered_by_existing_data"] if hhs_wide else None,
            "needs_open": m["needs"]["open"] if hhs_wide else None,
            # Time to grant (median, p90) per division and product, and the grants given, live and used.
            "time_to_grant": m.get("time_to_grant"),
            "grants_active": m.get("grants_active"),
            "grants": m.get("grants"),
        }
        hours["dua"] = granted * config.hours_per_dua()
        if hhs_wide:
            hours["data_call"] = m["needs"]["answered_by_existing_data"] * config.hours_per_data_call()
    if licences is not None:
        if hhs_wide:
            reused = [lc for lc in licences if lc["covered"]]
            avoided = sum((lc["cost"] * len(lc["covered"]) for lc in reused), Decimal(0))
            reusing = sum(len(lc["covered"]) for lc in reused)
        else:
            reused = [lc for lc in licences if division in lc["covered"]]
            avoided = sum((lc["cost"] for lc in reused), Decimal(0))
            reusing = len(reused)
        out["licences"] = {
            "held": len(licences),
            "reused": len(reused),
            "reuses": reusing,
            "cost_avoided": float(avoided),
        }
    if hhs_wide and duplicates is not None:
        hours["duplicate_cleanup"] = duplicates * config.hours_per_duplicate()
    out["hours_saved"] = {**{k: round(v, 1) for k, v in hours.items()}, "total": round(sum(hours.values()), 1)}
    return out


def duplicates_resolved(context: dict[str, Any]) -> int | None:
    """Duplicate pairs the Board resolved, from the duplicates part's summary (None when not loaded)."""
    summary = _action("hhs_governance_duplicate_summary")
    return summary({**context}, {}).get("duplicate") if summary else None
