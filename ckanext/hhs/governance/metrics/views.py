"""The dashboard page /governance (HHS-wide or one division), its refresh button and the CSV download
of each section. Everything is read through the actions, whose auth keeps it to the Board."""

from __future__ import annotations

import csv
import io
from typing import Any

import flask
from flask import Blueprint

import ckan.plugins.toolkit as tk

from ckanext.hhs import vocab
from ckanext.hhs.text import csv_cell

from .. import permissions
from ..pages import call, context
from . import health
from .figures import headline

# Each part's summary, read through its action when that part is loaded (see docs/governance.md).
SUMMARIES = {
    "duplicates": "hhs_governance_duplicate_summary",
    "quality": "hhs_governance_quality_summary",
    "gaps": "hhs_governance_gap_summary",
}
SECTIONS = ("catalog", "stale", "links", "harvest", "imported", "roi", "trend")


def _call(action: str, data: dict[str, Any]) -> Any:
    return call(
        action,
        data,
        not_found=tk._("Division not found"),
        forbidden=tk._("The governance dashboard is for the Data Governance Board and sysadmins"),
    )


def _division() -> dict[str, Any]:
    name = tk.request.args.get("division", "")
    return {"division": name} if name else {}


def _summaries() -> dict[str, Any]:
    """Each other part's summary, or None where that part is not available (yet)."""
    out: dict[str, Any] = {}
    for part, action in SUMMARIES.items():
        try:
            out[part] = tk.get_action(action)(context(), {})
        except (KeyError, tk.NotAuthorized, tk.ObjectNotFound, tk.ValidationError):
            out[part] = None
    return out


def index():
    scope = _division()
    shown = _call("hhs_governance_metrics_show", scope)
    everything = shown if not scope else _call("hhs_governance_metrics_show", {})
    history = _call("hhs_governance_metrics_history", scope)
    summaries = _summaries()
    return tk.render(
        "hhs_governance/index.html",
        {
            "shown": shown,
            "figures": shown["figures"],
            "history": history["points"],
            "division_choices": [(d["division"], d["title"]) for d in everything["divisions"]],
            "roi": roi_figures((shown["figures"] or {}).get("roi")),
            "summaries": summaries,
            "part_urls": {
                part: tk.h.url_for(f"hhs_governance.{part}")
                if summaries[part] is not None and f"hhs_governance.{part}" in flask.current_app.view_functions
                else None
                for part in SUMMARIES
            },
            "access_labels": {**vocab.ACCESS_LEVELS, "unset": tk._("Not set")},
            "may_refresh": permissions.may_decide(permissions.user_of(context())),
            "scope": scope,
            "frequency_words": health.frequency_words,
        },
    )


def refresh():
    _call("hhs_governance_metrics_refresh", {"links": tk.request.form.get("links", "1") == "1"})
    tk.h.flash_success(tk._("The figures are being computed; reload this page in a few minutes."))
    return tk.h.redirect_to("hhs_governance.index", **_division())


def section_csv(section: str):
    if section not in SECTIONS:
        return tk.abort(404, tk._("No such section"))
    scope = _division()
    shown = _call("hhs_governance_metrics_show", scope)
    header, rows = _ROWS[section](shown, scope)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    name = f"governance-{section}-{scope.get('division') or 'hhs'}-{(shown['computed_at'] or 'none')[:10]}.csv"
    return flask.Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


# ---------------------------------------------------------------- the rows of each CSV

_CATALOG = (
    "datasets",
    "private",
    "access_public",
    "access_restricted_public",
    "access_non_public",
    "access_unset",
    "completeness_avg",
    "with_data_dictionary_pct",
    "with_glossary_terms_pct",
    "with_steward_pct",
    "stale",
    "broken_links",
    "harvest_failures",
)


def _catalog_rows(shown: dict[str, Any], scope: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    figures = shown["figures"]
    header = ["computed_at", "division", "title", *_CATALOG]
    if figures is None:
        return header, []
    own = headline(shown["division"], figures)
    rows = [
        [shown["computed_at"], shown["division"] or "hhs", figures["division"]["title"], *(own[k] for k in _CATALOG)]
    ]
    for d in shown["divisions"]:
        rows.append([shown["computed_at"], d["division"], d["title"], *(d.get(k) for k in _CATALOG)])
    return header, rows


def _stale_rows(shown: dict[str, Any], scope: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["computed_at", "dataset", "title", "last_modified", "update_frequency"]
    stale = (shown["figures"] or {}).get("catalog", {}).get("stale_datasets", [])
    return header, [[shown["computed_at"], d["name"], d["title"], d["modified"], d["frequency"]] for d in stale]


def _links_rows(shown: dict[str, Any], scope: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The failing links of the snapshot the page shows (not a live read: the page and its CSV agree)."""
    keys = ["division", "dataset", "dataset_title", "resource_name", "url", "status", "http_status", "error", "checked"]
    links = (shown["figures"] or {}).get("links") or {}
    return ["computed_at", *keys], [
        [shown["computed_at"], *(r.get(k) for k in keys)] for r in links.get("broken_links", [])
    ]


_HARVEST = (
    "name",
    "title",
    "division",
    "last_run",
    "last_status",
    "last_finished",
    "added",
    "updated",
    "not_modified",
    "deleted",
    "failures",
    "datasets_with_findings",
    "findings",
    "source_records",
    "catalog_datasets",
    "difference",
)


def _harvest_rows(shown: dict[str, Any], scope: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    sources = (shown["figures"] or {}).get("harvest") or []
    return ["computed_at", *_HARVEST], [[shown["computed_at"], *(s[k] for k in _HARVEST)] for s in sources]


_IMPORTED = ("source_catalog", "division", "datasets", "datasets_with_findings", "findings", "last_import")


def _imported_rows(shown: dict[str, Any], scope: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    catalogs = (shown["figures"] or {}).get("imported") or []
    return ["computed_at", *_IMPORTED], [[shown["computed_at"], *(c.get(k) for k in _IMPORTED)] for c in catalogs]


def roi_figures(roi: dict[str, Any] | None) -> list[tuple[str, str, Any]]:
    """The ROI figures as (key, label, value), in the order the page and the CSV show them; a figure
    that does not apply (another plugin off, or HHS-wide only) is left out."""
    if not roi:
        return []
    out: list[tuple[str, str, Any]] = []
    market = roi.get("marketplace")
    if market:
        for status, n in market["requests_by_status"].items():
            out.append(
                (f"requests_{status}", tk._("Access requests: {status}").format(status=status.replace("_", " ")), n)
            )
        out += [
            ("requests_total", tk._("Access requests in all"), market["requests_total"]),
            (
                "access_granted",
                tk._("Requests that led to access (ever; including those since expired, withdrawn or revoked)"),
                market["access_granted"],
            ),
            (
                "median_hours_to_access",
                tk._("Median hours from request to access"),
                market.get("median_hours_to_access"),
            ),
            (
                "median_days_to_access",
                tk._("Median days from request to access (over the requests that led to access)"),
                market["median_days_to_access"],
            ),
            ("baseline_days", tk._("Days a traditional data use agreement takes (baseline)"), roi["baseline_days"]),
            (
                "days_saved_per_request",
                tk._("Days saved per request: the baseline minus the median days to access"),
                market["days_saved_per_request"],
            ),
        ]
        out += _grant_figures(market)
        if market["needs_answered_from_existing_data"] is not None:
            out.append(
                (
                    "needs_answered_existing",
                    tk._("Data needs answered from existing data"),
                    market["needs_answered_from_existing_data"],
                )
            )
    licences = roi.get("licences")
    if licences:
        out += [
            ("licences_held", tk._("Third-party licences held"), licences["held"]),
            ("licences_reused", tk._("Licences reused by other divisions"), licences["reused"]),
            ("licence_reuses", tk._("Divisions covered instead of buying"), licences["reuses"]),
            ("cost_avoided", tk._("Licence cost avoided (USD)"), licences["cost_avoided"]),
        ]
    if roi.get("duplicates_resolved") is not None:
        out.append(("duplicates_resolved", tk._("Duplicate datasets resolved"), roi["duplicates_resolved"]))
    hours = roi.get("hours_saved") or {}
    labels = {
        "dua": tk._("Staff hours saved: data use agreements avoided"),
        "data_call": tk._("Staff hours saved: data calls avoided"),
        "duplicate_cleanup": tk._("Staff hours saved: duplicate cleanups avoided"),
        "total": tk._("Staff hours saved in all (estimate)"),
    }
    out += [(f"hours_saved_{k}", labels[k], hours[k]) for k in labels if k in hours]
    if roi.get("reuse"):
        out += [
            ("dataset_views", tk._("Dataset page views"), roi["reuse"]["views"]),
            ("resource_downloads", tk._("Resource downloads"), roi["reuse"]["downloads"]),
        ]
    if roi.get("lakehouse"):
        out += [
            ("lakehouse_tables", tk._("Lakehouse tables registered"), roi["lakehouse"]["tables"]),
            ("lakehouse_stale", tk._("Lakehouse tables stale"), roi["lakehouse"]["stale"]),
        ]
    return out


def _grant_figures(market: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Time to grant (median, 90th percentile) overall, per division and per product, and the grants
    given, live and used, as the marketplace metrics action counted them (absent from older snapshots)."""
    out: list[tuple[str, str, Any]] = []
    ttg = market.get("time_to_grant")
    if ttg:
        out += [
            ("time_to_grant_median_hours", tk._("Median hours from request to grant"), ttg["median"]),
            ("time_to_grant_p90_hours", tk._("90th percentile hours from request to grant"), ttg["p90"]),
        ]
        for kind, rows in (("division", ttg["by_division"]), ("product", ttg["by_product"])):
            for row in rows:
                name, title = row[kind], row["title"] or row[kind]
                out += [
                    (
                        f"time_to_grant_median_hours.{kind}.{name}",
                        tk._("Median hours from request to grant: {title}").format(title=title),
                        row["median"],
                    ),
                    (
                        f"time_to_grant_p90_hours.{kind}.{name}",
                        tk._("90th percentile hours from request to grant: {title}").format(title=title),
                        row["p90"],
                    ),
                    (
                        f"grants_given.{kind}.{name}",
                        tk._("Requests granted: {title}").format(title=title),
                        row["count"],
                    ),
                ]
    if market.get("grants_active") is not None:
        out.append(("grants_active", tk._("Grants live now"), market["grants_active"]))
    if market.get("grants"):
        out += [
            ("grants_total", tk._("Grants given (ever)"), market["grants"]["total"]),
            ("grants_used", tk._("Grants used: a download or a query by the holder during the grant"),
             market["grants"]["used"]),
        ]  # fmt: skip
    return out


def _roi_rows(shown: dict[str, Any], scope: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    roi = (shown["figures"] or {}).get("roi")
    return ["computed_at", "division", "figure", "label", "value"], [
        [shown["computed_at"], shown["division"] or "hhs", key, label, value] for key, label, value in roi_figures(roi)
    ]


_TREND = (
    "datasets",
    "private",
    "completeness_avg",
    "with_data_dictionary_pct",
    "with_glossary_terms_pct",
    "with_steward_pct",
    "stale",
    "broken_links",
)


def _trend_rows(shown: dict[str, Any], scope: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    points = _call("hhs_governance_metrics_history", scope)["points"]
    return ["date", "computed_at", *_TREND], [[p["date"], p["computed_at"], *(p[k] for k in _TREND)] for p in points]


_ROWS = {
    "catalog": _catalog_rows,
    "stale": _stale_rows,
    "links": _links_rows,
    "harvest": _harvest_rows,
    "imported": _imported_rows,
    "roi": _roi_rows,
    "trend": _trend_rows,
}


def add_routes(blueprint: Blueprint) -> None:
    """These pages on the governance blueprint (views.py): endpoint `hhs_governance.<function name>`."""
    blueprint.add_url_rule("/", view_func=index)
    blueprint.add_url_rule("/refresh", view_func=refresh, methods=["POST"])
    blueprint.add_url_rule("/<section>.csv", view_func=section_csv)
