"""action: the duplicates part of the dashboard (pairs found by the scan, the Board's decisions, the
authoritative-source flag).

Pairs are shown to board members and sysadmins only, private datasets of every division included (by
design). Resolving a pair as duplicate sets the HHS schema's `authoritative_source` flag on the chosen
dataset and `authoritative_dataset` (its id) on the other, through hhs_governance_authoritative_set.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles, values
from ckanext.hhs.logic.validation import validate

from ... import permissions
from .. import model as gm
from .. import scan as duplicates
from . import schema

__all__ = [
    "hhs_governance_authoritative_set",
    "hhs_governance_duplicate_decide",
    "hhs_governance_duplicate_list",
    "hhs_governance_duplicate_scan",
    "hhs_governance_duplicate_show",
    "hhs_governance_duplicate_summary",
]

_NOTES_SHOWN = 600


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _dataset(package_id: str, full: bool = False) -> dict[str, Any]:
    pkg = model.Package.get(package_id)
    if pkg is None:
        return {"id": package_id, "state": "deleted"}
    org = model.Group.get(pkg.owner_org) if pkg.owner_org else None
    notes = pkg.notes or ""
    out = {
        "id": pkg.id,
        "name": pkg.name,
        "title": pkg.title,
        "notes": notes if full or len(notes) <= _NOTES_SHOWN else notes[:_NOTES_SHOWN].rstrip() + "…",
        "state": pkg.state,
        "private": pkg.private,
        "organization": {"name": org.name, "title": org.title} if org else None,
        "url": pkg.url,
        "identifier": pkg.extras.get("identifier"),
        "harvested": bool(pkg.extras.get("source_catalog")),
        "authoritative_source": tk.asbool(pkg.extras.get("authoritative_source", False)),
        "authoritative_dataset": pkg.extras.get("authoritative_dataset") or None,
        "metadata_modified": _iso(pkg.metadata_modified),
    }
    if full:
        out["resources"] = [{"id": r.id, "name": r.name, "url": r.url, "format": r.format} for r in pkg.resources]
    return out


def _pair_dict(pair: gm.DuplicatePair, full: bool = False) -> dict[str, Any]:
    user = model.User.get(pair.decided_by) if pair.decided_by else None
    return {
        "id": pair.id,
        "score": round(pair.score, 4),
        "reasons": pair.reasons or {},
        "status": pair.status,
        "authoritative": pair.authoritative,
        "note": pair.note,
        "decided_by": user.name if user else None,
        "decided_at": _iso(pair.decided_at),
        "found": _iso(pair.found),
        "seen": _iso(pair.seen),
        "datasets": [_dataset(pair.dataset_a, full), _dataset(pair.dataset_b, full)],
    }


def _run_dict(run: gm.DuplicateRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    status, error = run.status, run.error
    if status == "running" and (values.now() - run.started).total_seconds() > duplicates.JOB_TIMEOUT:
        # The worker died or was stopped before it could say so (the next scan records it too).
        status, error = "failed", "interrupted (the process running it stopped)"
    return {
        "id": run.id,
        "full": run.full,
        "status": status,
        "stage": run.stage,
        "done": run.done,
        "total": run.total,
        "started": _iso(run.started),
        "finished": _iso(run.finished),
        "error": error,
        "counts": run.counts or {},
    }


def _get_pair(pair_id: str) -> gm.DuplicatePair:
    pair = model.Session.get(gm.DuplicatePair, pair_id)
    if pair is None:
        raise tk.ObjectNotFound(tk._("No such duplicate pair"))
    return pair


@tk.side_effect_free
@validate(schema.duplicate_list)
def hhs_governance_duplicate_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Likely duplicate pairs across divisions, strongest first. Board members and sysadmins only; pairs
    of private datasets are listed too (by design: the Board's remit).

    :param status: open, duplicate or distinct (optional; all by default)
    :param division: only pairs with a dataset of this division (name or id, optional)
    :param package_id: only pairs with this dataset (name or id, optional)
    :param limit: pairs per page (default 20, at most 100)
    :param offset: (optional)
    :returns: ``count`` and ``results``, each pair with its ``score``, ``reasons`` (the signals that
        matched: identifier, landing_page, download_url, data_dictionary, text, columns), ``status``,
        the decision (``authoritative``, ``note``, ``decided_by``, ``decided_at``) and its two ``datasets``
    """
    tk.check_access("hhs_governance_duplicate_list", context, data_dict)
    q = model.Session.query(gm.DuplicatePair)
    if data_dict.get("status"):
        q = q.filter(gm.DuplicatePair.status == data_dict["status"])
    if data_dict.get("package_id"):
        pkg = model.Package.get(data_dict["package_id"])
        if pkg is None:
            raise tk.ObjectNotFound(tk._("No such dataset"))
        q = q.filter(sa.or_(gm.DuplicatePair.dataset_a == pkg.id, gm.DuplicatePair.dataset_b == pkg.id))
    if data_dict.get("division"):
        org = model.Group.get(data_dict["division"])
        if org is None or not org.is_organization:
            raise tk.ObjectNotFound(tk._("No such division"))
        in_org = sa.select(model.Package.id).where(model.Package.owner_org == org.id)
        q = q.filter(sa.or_(gm.DuplicatePair.dataset_a.in_(in_org), gm.DuplicatePair.dataset_b.in_(in_org)))
    count = q.count()
    order = sa.case((gm.DuplicatePair.status == "open", 0), else_=1)
    page = (
        q.order_by(order, gm.DuplicatePair.score.desc(), gm.DuplicatePair.found.desc(), gm.DuplicatePair.id)
        .offset(data_dict["offset"])
        .limit(data_dict["limit"])
    )
    return {"count": count, "results": [_pair_dict(pair) for pair in page]}


@tk.side_effect_free
@validate(schema.duplicate_show)
def hhs_governance_duplicate_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One pair with its signals, decision and both datasets in full (description, resources).
    Board members and sysadmins only.

    :param id: the pair's id
    """
    tk.check_access("hhs_governance_duplicate_show", context, data_dict)
    return _pair_dict(_get_pair(data_dict["id"]), full=True)


@tk.side_effect_free
@validate(schema.duplicate_summary)
def hhs_governance_duplicate_summary(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Pairs by status and the last scan. Board members and sysadmins only.

    :returns: ``open``, ``duplicate``, ``distinct`` (counts), ``last_scan`` (when the newest scan
        finished, or started if it has not), ``last_scan_status`` (finished, failed, running or None)
        and ``scan`` (the newest scan: stage, progress, error, counts)
    """
    tk.check_access("hhs_governance_duplicate_summary", context, data_dict)
    counts = dict(model.Session.query(gm.DuplicatePair.status, sa.func.count()).group_by(gm.DuplicatePair.status).all())
    run = model.Session.query(gm.DuplicateRun).order_by(gm.DuplicateRun.started.desc()).first()
    scan = _run_dict(run)
    return {
        **{status: counts.get(status, 0) for status in gm.PAIR_STATUSES},
        "last_scan": _iso(run.finished or run.started) if run else None,
        "last_scan_status": scan["status"] if scan else None,
        "scan": scan,
    }


@validate(schema.duplicate_scan)
def hhs_governance_duplicate_scan(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Queue a duplicate scan (a `ckan jobs worker` runs it). Board editors and sysadmins.

    :param full: compare every dataset with every other and embed all texts again (default: only the
        datasets changed since the last scan are embedded and compared against all)
    :returns: ``job_id``
    """
    tk.check_access("hhs_governance_duplicate_scan", context, data_dict)
    return {"job_id": duplicates.enqueue(bool(data_dict["full"]))}


@validate(schema.duplicate_decide)
def hhs_governance_duplicate_decide(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Decide a pair: the same data (`duplicate`, naming the authoritative one of the two) or `distinct`.
    A duplicate sets the authoritative-source flag on the chosen dataset and links the other to it
    (hhs_governance_authoritative_set, recorded in both activity streams). The decision is kept: later
    scans do not reopen a distinct pair unless the evidence gets materially stronger. Board editors and
    sysadmins.

    :param id: the pair's id
    :param decision: ``duplicate`` or ``distinct``
    :param authoritative: for a duplicate, the id (or name) of the dataset of the pair that is the
        authoritative source
    :param note: why (optional)
    """
    tk.check_access("hhs_governance_duplicate_decide", context, data_dict)
    pair = _get_pair(data_dict["id"])
    user = permissions.user_of(context)
    pair_ids = (pair.dataset_a, pair.dataset_b)
    chosen = None
    if data_dict["decision"] == "duplicate":
        pkg = model.Package.get(data_dict.get("authoritative") or "")
        if pkg is None or pkg.id not in pair_ids:
            raise tk.ValidationError({"authoritative": [tk._("Pick one of the two datasets of the pair")]})
        chosen = pkg.id
        # Both datasets are written below: refuse before the first write if either is gone.
        if any((model.Package.get(pid) is None or model.Package.get(pid).state == "deleted") for pid in pair_ids):
            raise tk.ValidationError({"id": [tk._("A dataset of this pair was deleted; decide it as distinct")]})
    set_flag = tk.get_action("hhs_governance_authoritative_set")
    actor = {"user": context["user"]}
    if chosen:
        other = pair_ids[1] if chosen == pair_ids[0] else pair_ids[0]
        set_flag(dict(actor), {"id": chosen, "authoritative": True, "authoritative_dataset": ""})
        # The pair is the Board's to decide, private datasets included (by design): the link may name one.
        link = {"id": other, "authoritative": False, "authoritative_dataset": chosen}
        set_flag(dict(actor, hhs_board_pair=True), link)
    elif pair.status == "duplicate" and pair.authoritative:
        # Undoing a duplicate: the link goes; the flag stays (the dataset may be authoritative anyway).
        other = pair_ids[1] if pair.authoritative == pair_ids[0] else pair_ids[0]
        linked = model.Package.get(other)
        if linked is not None and linked.extras.get("authoritative_dataset") == pair.authoritative:
            set_flag(dict(actor), {"id": other, "authoritative_dataset": ""})
    pair = _get_pair(data_dict["id"])
    pair.status = data_dict["decision"]
    pair.authoritative = chosen
    pair.note = data_dict.get("note") or None
    pair.decided_by = user.id if user else None
    pair.decided_at = values.now()
    pair.decided_score, pair.decided_reasons = pair.score, dict(pair.reasons or {})
    model.Session.commit()
    return _pair_dict(pair)


@validate(schema.authoritative_set)
def hhs_governance_authoritative_set(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Set the Board's fields of a dataset, and nothing else: its authoritative-source flag and the link
    to the dataset that is authoritative for it. Board editors and sysadmins, on any division's dataset
    (they need not be able to edit it). The dataset is not written through package_update, so a harvested
    dataset keeps its source record (`pod_record`) and hash and stays the division's record; the change
    is recorded in the dataset's activity stream under the caller's name and the index is updated.

    :param id: the dataset's id or name
    :param authoritative: true or false (optional)
    :param authoritative_dataset: the id or name of the dataset that is the authoritative source of this
        one, or "" to remove the link (optional)
    :returns: the dataset's Board fields (``id``, ``authoritative_source``, ``authoritative_dataset``)
    """
    tk.check_access("hhs_governance_authoritative_set", context, data_dict)
    pkg = model.Package.get(data_dict["id"])
    if pkg is None or pkg.state == "deleted":
        raise tk.ObjectNotFound(tk._("No such dataset"))
    if "authoritative" not in data_dict and "authoritative_dataset" not in data_dict:
        raise tk.ValidationError({"authoritative": [tk._("Give authoritative or authoritative_dataset")]})
    changes: dict[str, str | None] = {}
    if "authoritative" in data_dict:
        changes["authoritative_source"] = "true" if data_dict["authoritative"] else "false"
    if "authoritative_dataset" in data_dict:
        target = None
        if data_dict["authoritative_dataset"]:
            linked = model.Package.get(data_dict["authoritative_dataset"])
            # One the caller may not see answers as a missing one (no existence oracle, no link to it).
            hidden = (
                not context.get("hhs_board_pair") and not roles.may_read(context.get("user"), linked.id)
                if linked
                else True
            )
            if linked is None or linked.state == "deleted" or hidden:
                raise tk.ValidationError({"authoritative_dataset": [tk._("No such dataset")]})
            if linked.id == pkg.id:
                raise tk.ValidationError({"authoritative_dataset": [tk._("A dataset cannot be its own source")]})
            target = linked.id
        changes["authoritative_dataset"] = target
    before = {key: pkg.extras.get(key) or None for key in changes}
    if before != changes:
        for key, value in changes.items():
            if value is None:
                pkg.extras.pop(key, None)
            else:
                pkg.extras[key] = value
        pkg.metadata_modified = values.now()
        # The commit re-indexes the dataset (CKAN's modification notifier sees its extras change); a
        # second, explicit rebuild here doubled the Solr writes and commits of every decision.
        model.Session.commit()
        _record_activity(pkg, permissions.user_of(context))
    return {
        "id": pkg.id,
        "authoritative_source": tk.asbool(pkg.extras.get("authoritative_source", False)),
        "authoritative_dataset": pkg.extras.get("authoritative_dataset") or None,
    }


def _record_activity(pkg: model.Package, user: model.User | None) -> None:
    """A "changed package" activity as package_update would record it (the dataset as it now is)."""
    if not p.plugin_loaded("activity") or user is None:
        return
    from ckan.lib.plugins import get_permission_labels

    from ckanext.activity.model import Activity

    shown = tk.get_action("package_show")({"ignore_auth": True, "for_view": False}, {"id": pkg.id})
    model.Session.add(
        Activity(
            user_id=user.id,
            object_id=pkg.id,
            activity_type="changed package",
            data={"package": shown, "actor": user.name},
            permission_labels=get_permission_labels().get_dataset_labels(pkg),
        )
    )
    model.Session.commit()
