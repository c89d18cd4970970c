"""action: quality checks with suggestions, one-click accept, the harvest sources' fix lists, and the
validation results of tabular resources (the work is in quality/checks.py and quality/tabular.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import values
from ckanext.hhs.logic.validation import validate

from ... import permissions
from .. import checks as quality
from .. import model as qm
from . import schema

__all__ = [
    "hhs_governance_fixlist_show",
    "hhs_governance_quality_check",
    "hhs_governance_quality_summary",
    "hhs_governance_suggestion_accept",
    "hhs_governance_suggestion_dismiss",
    "hhs_governance_suggestion_list",
]

FIXLIST_COLUMNS = ("identifier", "field", "current", "suggested", "reason")


@validate(schema.quality_check)
def hhs_governance_quality_check(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Check one dataset, or every dataset changed since it was last checked, for missing and weak
    fields; validate its tabular resources against their Table Schema. Runs as a background job.

    :param id: a dataset's name or id (optional; without it every dataset due is checked)
    :param force: check every dataset again, changed or not (optional, only without ``id``)
    :param wait: run now instead of queuing a job (optional; for one dataset and for tests)
    :returns: the run: ``id``, ``scope``, ``status`` (queued, running, finished, failed), ``error``,
        ``checked``, ``failed``, ``created``, ``finished``
    """
    tk.check_access("hhs_governance_quality_check", context, data_dict)
    scope = "all"
    if data_dict.get("id"):
        pkg = model.Package.get(data_dict["id"])
        if pkg is None or pkg.state != "active" or pkg.type != "dataset":
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        scope = pkg.id
    run = quality.start(scope, force=bool(data_dict.get("force")), wait=bool(data_dict.get("wait")))
    return _run_dict(run)


@tk.side_effect_free
@validate(schema.suggestion_list)
def hhs_governance_suggestion_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Suggestions for one dataset (its editors and board members), or across datasets (board members).

    :param id: a dataset's name or id (optional for board members)
    :param division: only this division's datasets (organization name; optional)
    :param kind: missing, weak, encoding, glossary, theme, contact or steward (optional)
    :param status: open (default), accepted, dismissed or resolved
    :param limit: (optional, default 50, at most 500)
    :param offset: (optional)
    :returns: ``count``, ``results`` (each with the dataset's ``name`` and ``title``) and, for one
        dataset, its ``validation`` results by resource id and when it was ``checked``
    """
    tk.check_access("hhs_governance_suggestion_list", context, data_dict)
    s, pkg = qm.Suggestion, model.Package
    query = (
        model.Session.query(s, pkg.name, pkg.title)
        .join(pkg, pkg.id == s.package_id)
        .filter(pkg.state == "active", s.status == data_dict.get("status", "open"))
    )
    result: dict[str, Any] = {}
    if data_dict.get("id"):
        dataset = model.Package.get(data_dict["id"])
        if dataset is None or dataset.state != "active":
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        query = query.filter(s.package_id == dataset.id)
        row = model.Session.get(qm.QualityDataset, dataset.id)
        result["validation"] = row.validation if row else {}
        result["checked"] = row.checked_at.isoformat() if row else None
    if data_dict.get("division"):
        org = model.Group.get(data_dict["division"])
        query = query.filter(s.owner_org == (org.id if org else None))
    if data_dict.get("kind"):
        query = query.filter(s.kind == data_dict["kind"])
    count = query.count()
    rows = (
        query.order_by(pkg.title, s.field, s.created)
        .offset(data_dict.get("offset", 0))
        .limit(min(data_dict.get("limit", 50), 500))
        .all()
    )
    result.update(count=count, results=[{**quality.suggestion_dict(r), "name": n, "title": t} for r, n, t in rows])
    return result


@validate(schema.suggestion_ref)
def hhs_governance_suggestion_accept(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Accept a suggestion. On a dataset authored in the hub the value is written to it with
    package_patch as the caller (so it is in the activity stream); on a harvested or imported dataset
    the source stays the truth: the suggestion goes onto its harvest source's fix list instead.

    :param id: the suggestion's id
    :returns: the suggestion, with ``outcome`` ``applied`` or ``fix_list``
    """
    tk.check_access("hhs_governance_suggestion_accept", context, data_dict)
    suggestion = _open_suggestion(data_dict["id"])
    user = permissions.user_of(context)
    pkg = tk.get_action("package_show")(
        {"user": context.get("user"), "ignore_auth": False}, {"id": suggestion.package_id}
    )
    if suggestion.suggested is None:
        raise tk.ValidationError(
            {"suggested": [tk._("There is no suggested value to accept: this is a finding to fix by hand")]}
        )
    if quality.is_harvested(pkg):
        outcome = "fix_list"
        suggestion.source = suggestion.source or quality.source_of(pkg)
    else:
        patch = quality.patch_for(suggestion, pkg)
        tk.get_action("package_patch")({"user": context.get("user"), "ignore_auth": False}, patch)
        outcome = "applied"
    suggestion.status, suggestion.outcome = "accepted", outcome
    suggestion.decided_by, suggestion.decided_at = (user.id if user else None), values.now()
    model.Session.commit()
    result = quality.suggestion_dict(suggestion)
    _record_activity(pkg, user, result)
    return result


@validate(schema.suggestion_ref)
def hhs_governance_suggestion_dismiss(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Dismiss a suggestion: it is not made again for this dataset unless what it suggests changes.

    :param id: the suggestion's id
    :returns: the suggestion
    """
    tk.check_access("hhs_governance_suggestion_dismiss", context, data_dict)
    suggestion = _open_suggestion(data_dict["id"])
    user = permissions.user_of(context)
    suggestion.status = "dismissed"
    suggestion.decided_by, suggestion.decided_at = (user.id if user else None), values.now()
    model.Session.commit()
    return quality.suggestion_dict(suggestion)


@tk.side_effect_free
@validate(schema.fixlist_show)
def hhs_governance_fixlist_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The fix list of a division's catalog: accepted suggestions for its harvested or imported datasets,
    for the division to fix at the source (the next harvest brings the fix).

    :param division: the division (organization name or id)
    :param source: only this harvest source (its id or name) or source catalog URL (optional)
    :returns: ``division``, ``source`` and ``rows``, each with identifier, field, current, suggested,
        reason, and the dataset's ``name`` and ``source``
    """
    tk.check_access("hhs_governance_fixlist_show", context, data_dict)
    org = model.Group.get(data_dict["division"])
    if org is None or not org.is_organization or org.state != "active":
        raise tk.ObjectNotFound(tk._("Division not found"))
    s, pkg = qm.Suggestion, model.Package
    query = (
        model.Session.query(s, pkg.name)
        .join(pkg, pkg.id == s.package_id)
        .filter(pkg.state == "active", pkg.owner_org == org.id, s.status == "accepted", s.outcome == "fix_list")
    )
    source = data_dict.get("source")
    if source:
        query = query.filter(s.source.in_(_source_keys(context, source)))
    rows = query.order_by(s.identifier, s.field).all()
    return {
        "division": org.name,
        "source": source,
        "rows": [
            {
                "identifier": r.identifier,
                "field": r.field,
                "current": quality.display(r.current),
                "suggested": quality.display(r.suggested),
                "reason": r.reason,
                "name": name,
                "source": quality.source_name(r.source),
            }
            for r, name in rows
        ],
    }


@tk.side_effect_free
@validate(schema.quality_summary)
def hhs_governance_quality_summary(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Quality figures for the governance dashboard (board members): datasets checked, suggestions open
    and accepted, by division, and the last run.

    :returns: ``datasets_checked``, ``suggestions_open``, ``suggestions_accepted``, ``suggestions_dismissed``,
        ``by_division`` ({division name: {datasets_checked, open, accepted, dismissed}}), ``last_run``
        (iso or None), ``last_run_status`` and ``last_run_error``
    """
    tk.check_access("hhs_governance_quality_summary", context, data_dict)
    s, org = qm.Suggestion, model.Group
    active = model.Session.query(model.Package.id).filter(model.Package.state == "active")
    by_division: dict[str, dict[str, int]] = {}
    counts = (
        model.Session.query(org.name, s.status, sa.func.count(s.id))
        .join(org, org.id == s.owner_org)
        .filter(s.package_id.in_(active))
        .group_by(org.name, s.status)
    )
    for name, status, n in counts:
        by_division.setdefault(name, _empty())[status] = n
    checked = (
        model.Session.query(org.name, sa.func.count(qm.QualityDataset.package_id))
        .join(org, org.id == qm.QualityDataset.owner_org)
        .filter(qm.QualityDataset.package_id.in_(active))
        .group_by(org.name)
    )
    for name, n in checked:
        by_division.setdefault(name, _empty())["datasets_checked"] = n
    last = model.Session.query(qm.QualityRun).order_by(qm.QualityRun.created.desc()).first()
    total = lambda key: sum(d.get(key, 0) for d in by_division.values())  # noqa: E731
    return {
        "datasets_checked": total("datasets_checked"),
        "suggestions_open": total("open"),
        "suggestions_accepted": total("accepted"),
        "suggestions_dismissed": total("dismissed"),
        "by_division": dict(sorted(by_division.items())),
        "last_run": quality.iso(last.finished or last.created) if last else None,
        "last_run_status": last.status if last else None,
        "last_run_error": last.error if last else None,
    }


# ---------------------------------------------------------------- helpers


def _open_suggestion(ref: str) -> qm.Suggestion:
    suggestion = model.Session.get(qm.Suggestion, ref)
    if suggestion is None:
        raise tk.ObjectNotFound(tk._("Suggestion not found"))
    if suggestion.status != "open":
        raise tk.ValidationError(
            {"id": [tk._("This suggestion was already decided ({status})").format(status=suggestion.status)]}
        )
    return suggestion


ACTIVITY_TYPE = "accepted quality suggestion"


def _record_activity(pkg: dict[str, Any], user: model.User | None, suggestion: dict[str, Any]) -> None:
    """What was accepted, in the dataset's activity stream under the caller's name: the field and the
    value (a glossary term by its name), and for a harvested dataset that it went onto the fix list of
    the division that publishes the catalog. The package_patch activity of a hub dataset does not say it:
    CKAN's changes view compares no schema field such as glossary_terms."""
    if not p.plugin_loaded("activity") or user is None:
        return
    from ckan.lib.plugins import get_permission_labels

    from ckanext.activity.model import Activity

    dataset = model.Package.get(pkg["id"])
    org = pkg.get("organization") or {}
    model.Session.add(
        Activity(
            user_id=user.id,
            object_id=pkg["id"],
            activity_type=ACTIVITY_TYPE,
            data={
                "package": {"id": pkg["id"], "name": pkg["name"], "title": pkg.get("title"), "type": pkg["type"]},
                "suggestion": {
                    k: suggestion[k] for k in ("id", "kind", "field", "label", "suggested_text", "outcome", "reason")
                },
                "division": {"name": org.get("name"), "title": org.get("title") or org.get("name")},
            },
            permission_labels=get_permission_labels().get_dataset_labels(dataset),
        )
    )
    model.Session.commit()


def _source_keys(context: Context, source: str) -> list[str]:
    """How a harvest source's datasets record it: its URL (source_catalog), or harvest:<id>; a catalog
    file imported on the server also by the name its datasets show everyone but sysadmins."""
    shown = model.Session.query(qm.Suggestion.source).filter(qm.Suggestion.source.like("/%")).distinct()
    keys = [source, *(stored for (stored,) in shown if quality.source_name(stored) == source)]
    try:
        harvest = tk.get_action("harvest_source_show")(
            {"user": context.get("user"), "ignore_auth": True}, {"id": source}
        )
    except (KeyError, tk.ObjectNotFound, tk.ValidationError):
        return keys
    return [*keys, harvest["url"], f"harvest:{harvest['id']}"]


def _run_dict(run: qm.QualityRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "scope": run.scope,
        "status": run.status,
        "error": run.error,
        "checked": run.checked,
        "failed": run.failed,
        "created": quality.iso(run.created),
        "finished": quality.iso(run.finished),
    }


def _empty() -> dict[str, int]:
    return {"datasets_checked": 0, "open": 0, "accepted": 0, "dismissed": 0, "resolved": 0}
