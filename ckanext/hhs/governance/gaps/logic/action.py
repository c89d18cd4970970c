"""action: the gaps tracker. Gaps the Data Governance Board follows (what is missing or wrong, which
division owns the fix, how bad, by when), with comments and a history of every change.

Gaps are closed, never deleted: a board answers for what it tracked, so a closed gap keeps its
resolution, comments and history, and can be reopened. There is no delete action on purpose.

Who may do what is in auth.py: board members see all gaps and comment, board editors create,
change, close and reopen them, the owner division's admins comment and move an open gap to in progress.
Linked datasets are returned only when the viewer may see them (package_show), so a private dataset
never leaks through a gap; linked glossary terms likewise follow the glossary's own visibility.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.context import all_or_nothing as _all_or_nothing
from ckanext.hhs.logic.validation import validate

from ... import permissions
from .. import model as gm
from . import auth, schema

__all__ = [
    "hhs_governance_gap_comment_create",
    "hhs_governance_gap_create",
    "hhs_governance_gap_list",
    "hhs_governance_gap_show",
    "hhs_governance_gap_summary",
    "hhs_governance_gap_update",
]

_SEVERITY_RANK = {s: n for n, s in enumerate(gm.GAP_SEVERITIES)}
_EDITABLE = ("title", "description", "severity", "due_date")


@validate(schema.gap_create)
@_all_or_nothing
def hhs_governance_gap_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Record a governance gap. Board editors and admins (and sysadmins).

    A due date in the past is accepted (a gap found late is overdue at once, and shows so).

    :param title: the gap, in a line
    :param description: what is missing or wrong, and what "closed" means (optional)
    :param division: the owner division, which fixes it (organization name or id)
    :param severity: ``low``, ``medium`` (default), ``high`` or ``critical``
    :param due_date: YYYY-MM-DD (optional)
    :param datasets: linked datasets, names or ids the caller may see (list or comma-separated; optional)
    :param terms: linked glossary terms, slugs (list or comma-separated; optional)
    :returns: the gap, as ``hhs_governance_gap_show`` returns it
    :rtype: dict
    """
    tk.check_access("hhs_governance_gap_create", context, data_dict)
    user = _user(context)
    gap = gm.Gap(
        title=data_dict["title"],
        description=data_dict.get("description", ""),
        owner_org_id=_division(data_dict["division"]).id,
        severity=data_dict["severity"],
        status="open",
        due_date=data_dict.get("due_date"),
        package_ids=_dataset_ids(data_dict.get("datasets", []), user),
        term_slugs=_term_slugs(data_dict.get("terms", []), context),
        created_by=user.id,
    )
    model.Session.add(gap)
    model.Session.flush()
    gm.record_gap_event(gap.id, user.id, "create", gap.title)
    model.Session.commit()
    return _dictize(gap, user, full=True)


@validate(schema.gap_update)
@_all_or_nothing
def hhs_governance_gap_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Change a gap; fields left out keep their values. Board editors and admins change anything; the
    owner division's admins may only move an open gap to ``in_progress``.

    Closing needs a ``message`` saying how the gap was closed (kept as its resolution); reopening a
    closed gap (status ``open`` or ``in_progress``) clears the closing date and keeps the history.

    :param id: the gap's id
    :param title: (optional)
    :param description: (optional)
    :param division: the owner division (optional)
    :param severity: (optional)
    :param due_date: YYYY-MM-DD, or empty to remove it (optional)
    :param datasets: the linked datasets (replaces the list; links to datasets the caller cannot see
        are kept, since the caller was never shown them; optional)
    :param terms: the linked glossary terms (replaces the list; optional)
    :param status: ``open``, ``in_progress`` or ``closed`` (optional)
    :param message: why; required when closing (the resolution)
    :returns: the gap
    :rtype: dict
    """
    tk.check_access("hhs_governance_gap_update", context, data_dict)
    user = _user(context)
    gap = _get(data_dict["id"])
    changes: dict[str, list[Any]] = {}

    def change(field: str, new: Any, shown_old: Any = None, shown_new: Any = None) -> None:
        old = getattr(gap, field)
        if old != new:
            changes[field] = [
                _plain(old if shown_old is None else shown_old),
                _plain(new if shown_new is None else shown_new),
            ]
            setattr(gap, field, new)

    for field in _EDITABLE:
        if field in data_dict:
            change(field, data_dict[field] if field != "description" else data_dict[field] or "")
    if "division" in data_dict:
        org = _division(data_dict["division"])
        change("owner_org_id", org.id, _org_name(gap.owner_org_id), org.name)
    if "datasets" in data_dict:
        hidden = [pid for pid in gap.package_ids or [] if not roles.may_read(user, pid)]
        new_ids = list(dict.fromkeys([*_dataset_ids(data_dict["datasets"], user), *hidden]))
        if set(new_ids) != set(gap.package_ids or []):
            # Ids in the history: each viewer is shown the names of those they may see (_dictize).
            changes["datasets"] = [
                [pid for pid in gap.package_ids or [] if pid not in hidden],
                [pid for pid in new_ids if pid not in hidden],
            ]
            gap.package_ids = new_ids
    if "terms" in data_dict:
        change("term_slugs", _term_slugs(data_dict["terms"], context))
    message = data_dict.get("message", "")
    status = data_dict.get("status")
    if status and status != gap.status:
        if status == "closed" and not message:
            raise tk.ValidationError({"message": [tk._("Say how the gap was closed (the resolution)")]})
        changes["status"] = [gap.status, status]
        if status == "closed":
            gap.closed, gap.resolution = gm.gap_now(), message
        elif gap.status == "closed":
            gap.closed = None
        gap.status = status
    if not changes:
        return _dictize(gap, user, full=True)
    gap.modified = gm.gap_now()
    gm.record_gap_event(gap.id, user.id, "status" if set(changes) == {"status"} else "update", message, changes=changes)
    model.Session.commit()
    return _dictize(gap, user, full=True)


@tk.side_effect_free
@validate(schema.gap_ref)
def hhs_governance_gap_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A gap with its comments and history. Board members, and admins of the owner division.

    :param id: the gap's id
    :returns: the gap: ``id``, ``title``, ``description``, ``division`` (id, name, title), ``severity``,
        ``status``, ``due_date``, ``overdue``, ``datasets`` (name and title of those the caller may see),
        ``terms`` (slug and label), ``resolution``, ``created_by``, ``created``, ``modified``, ``closed``,
        ``comments`` (user, created, text), ``history`` (user, action, message, changes, created) and
        ``may`` (what the caller may do: ``change``, ``comment``, ``start``)
    :rtype: dict
    """
    tk.check_access("hhs_governance_gap_show", context, data_dict)
    return _dictize(_get(data_dict["id"]), permissions.user_of(context), full=True)


@tk.side_effect_free
@validate(schema.gap_list)
def hhs_governance_gap_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Gaps, the most pressing first: not closed before closed, overdue first, then by severity and due
    date. Board members see all gaps; a division admin who is not on the Board sees their divisions'.

    :param status: ``open``, ``in_progress``, ``closed`` or ``not_closed`` (optional)
    :param severity: ``low``, ``medium``, ``high`` or ``critical`` (optional)
    :param division: the owner division's name or id (optional)
    :param overdue: true for gaps past their due date and not closed (optional)
    :param q: words in the title or description (optional)
    :param limit: (optional, default 50)
    :param offset: (optional)
    :returns: ``count`` and ``results`` (gaps without comments and history)
    :rtype: dict
    """
    tk.check_access("hhs_governance_gap_list", context, data_dict)
    user = permissions.user_of(context)
    query = model.Session.query(gm.Gap)
    if not permissions.is_board_member(user):
        query = query.filter(gm.Gap.owner_org_id.in_(roles.division_ids(user, least=roles.ROLES["admin"]) or [""]))
    query = _filtered(query, data_dict)
    overdue = _overdue_clause()
    rank = sa.case({s: n for s, n in _SEVERITY_RANK.items()}, value=gm.Gap.severity, else_=0)
    count = query.count()
    rows = (
        query.order_by(
            sa.asc(gm.Gap.status == "closed"),
            sa.desc(overdue),
            rank.desc(),
            gm.Gap.due_date.asc().nullslast(),
            gm.Gap.created.desc(),
        )
        .offset(data_dict.get("offset", 0))
        .limit(data_dict.get("limit", 50))
        .all()
    )
    return {"count": count, "results": [_dictize(g, user) for g in rows]}


@validate(schema.gap_comment_create)
@_all_or_nothing
def hhs_governance_gap_comment_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Comment on a gap. Board members, and admins of the owner division. Closed gaps take comments too
    (a reason to reopen starts as one).

    :param id: the gap's id
    :param text: the comment
    :returns: the gap with its comments
    :rtype: dict
    """
    tk.check_access("hhs_governance_gap_comment_create", context, data_dict)
    user = _user(context)
    gap = _get(data_dict["id"])
    model.Session.add(gm.GapComment(gap_id=gap.id, user_id=user.id, text=data_dict["text"]))
    gm.record_gap_event(gap.id, user.id, "comment")
    gap.modified = gm.gap_now()
    model.Session.commit()
    return _dictize(gap, user, full=True)


@tk.side_effect_free
@validate(schema.gap_summary)
def hhs_governance_gap_summary(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Counts for the dashboard. Board members.

    :param division: only this owner division's gaps (name or id; optional)
    :returns: ``open``, ``in_progress``, ``closed``, ``overdue`` (not closed and past the due date) and
        ``by_severity`` (gaps not closed, per severity: ``low``, ``medium``, ``high``, ``critical``)
    :rtype: dict
    """
    tk.check_access("hhs_governance_gap_summary", context, data_dict)
    scope = sa.true()
    if data_dict.get("division"):
        scope = gm.Gap.owner_org_id == _division(data_dict["division"]).id
    by_status = dict(model.Session.query(gm.Gap.status, sa.func.count()).filter(scope).group_by(gm.Gap.status).all())
    by_severity = dict(
        model.Session.query(gm.Gap.severity, sa.func.count())
        .filter(scope, gm.Gap.status != "closed")
        .group_by(gm.Gap.severity)
        .all()
    )
    overdue = model.Session.query(sa.func.count(gm.Gap.id)).filter(scope, _overdue_clause()).scalar()
    return {
        **{s: by_status.get(s, 0) for s in gm.GAP_STATUSES},
        "overdue": overdue or 0,
        "by_severity": {s: by_severity.get(s, 0) for s in gm.GAP_SEVERITIES},
    }


# ---------------------------------------------------------------- helpers


def _user(context: Context) -> model.User:
    user = permissions.user_of(context)
    if user is None:
        raise tk.NotAuthorized(tk._("You must be logged in"))
    return user


def _get(ref: str) -> gm.Gap:
    gap = model.Session.get(gm.Gap, ref)
    if gap is None:
        raise tk.ObjectNotFound(tk._("Gap not found"))
    return gap


def _division(ref: str) -> model.Group:
    org = model.Group.get(ref)
    if org is None or not org.is_organization or org.state != "active":
        raise tk.ValidationError({"division": [tk._('"{ref}" is not a division').format(ref=ref)]})
    return org


def _dataset_ids(refs: list[str], user: model.User) -> list[str]:
    """Ids of the named datasets; one the caller may not see gets the same error as a missing one."""
    ids = []
    for ref in refs:
        pkg = model.Package.get(ref)
        if pkg is None or pkg.state != "active" or not roles.may_read(user, pkg.id):
            raise tk.ValidationError({"datasets": [tk._('"{ref}" is not a dataset you can see').format(ref=ref)]})
        ids.append(pkg.id)
    return list(dict.fromkeys(ids))


def _term_slugs(refs: list[str], context: Context) -> list[str]:
    """Slugs of glossary terms the caller may see (the glossary's own rule decides)."""
    if not refs:
        return []
    try:
        show = tk.get_action("hhs_glossary_term_show")
    except KeyError as e:
        raise tk.ValidationError({"terms": [tk._("The glossary is not enabled on this portal")]}) from e
    slugs = []
    for ref in refs:
        try:
            slugs.append(show({"user": context.get("user") or ""}, {"id": ref})["slug"])
        except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError) as e:
            raise tk.ValidationError({"terms": [tk._('"{ref}" is not a glossary term').format(ref=ref)]}) from e
    return list(dict.fromkeys(slugs))


def _terms_shown(slugs: list[str], viewer: model.User | None) -> list[dict[str, str]]:
    try:
        show = tk.get_action("hhs_glossary_term_show")
    except KeyError:
        return []
    out = []
    for slug in slugs:
        try:
            term = show({"user": viewer.name if viewer else ""}, {"id": slug})
        except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
            continue
        out.append({"slug": term["slug"], "label": term.get("label") or term["slug"]})
    return out


def _datasets_shown(package_ids: list[str], viewer: model.User | None) -> list[dict[str, str]]:
    out = []
    for pid in package_ids:
        pkg = model.Session.get(model.Package, pid)
        if pkg is not None and pkg.state == "active" and roles.may_read(viewer, pkg.id):
            out.append({"name": pkg.name, "title": pkg.title or pkg.name})
    return out


def _changes_shown(changes: dict[str, list[Any]], viewer: model.User | None) -> dict[str, list[Any]]:
    """A history entry's changes; linked datasets by the names the viewer may see."""
    if "datasets" not in changes:
        return changes
    names = [[d["name"] for d in _datasets_shown(ids, viewer)] for ids in changes["datasets"]]
    return {**changes, "datasets": names}


def _org_name(org_id: str) -> str:
    return model.Session.query(model.Group.name).filter(model.Group.id == org_id).scalar() or org_id


def _user_name(user_id: str | None) -> str | None:
    if not user_id:
        return None
    return model.Session.query(model.User.name).filter(model.User.id == user_id).scalar()


def _plain(value: Any) -> Any:
    """A value as JSON stores it (dates as YYYY-MM-DD)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _overdue_clause() -> Any:
    return sa.and_(gm.Gap.status != "closed", gm.Gap.due_date.isnot(None), gm.Gap.due_date < gm.gap_today())


def _filtered(query: Any, data_dict: DataDict) -> Any:
    status = data_dict.get("status")
    if status == "not_closed":
        query = query.filter(gm.Gap.status != "closed")
    elif status:
        query = query.filter(gm.Gap.status == status)
    if data_dict.get("severity"):
        query = query.filter(gm.Gap.severity == data_dict["severity"])
    if data_dict.get("division"):
        query = query.filter(gm.Gap.owner_org_id == _division(data_dict["division"]).id)
    if data_dict.get("overdue"):
        query = query.filter(_overdue_clause())
    for word in (data_dict.get("q") or "").lower().split():
        query = query.filter(
            sa.or_(
                sa.func.lower(gm.Gap.title).contains(word, autoescape=True),
                sa.func.lower(gm.Gap.description).contains(word, autoescape=True),
            )
        )
    return query


def _dictize(gap: gm.Gap, viewer: model.User | None, full: bool = False) -> dict[str, Any]:
    org = model.Session.query(model.Group.name, model.Group.title).filter(model.Group.id == gap.owner_org_id).first()
    overdue = gap.status != "closed" and gap.due_date is not None and gap.due_date < gm.gap_today()
    out: dict[str, Any] = {
        "id": gap.id,
        "title": gap.title,
        "description": gap.description,
        "division": {"id": gap.owner_org_id, "name": org[0], "title": org[1] or org[0]} if org else None,
        "severity": gap.severity,
        "status": gap.status,
        "due_date": gap.due_date.isoformat() if gap.due_date else None,
        "overdue": overdue,
        "datasets": _datasets_shown(gap.package_ids or [], viewer),
        "terms": _terms_shown(gap.term_slugs or [], viewer),
        "resolution": gap.resolution,
        "created_by": _user_name(gap.created_by),
        "created": gap.created.isoformat(),
        "modified": gap.modified.isoformat(),
        "closed": gap.closed.isoformat() if gap.closed else None,
    }
    if full:
        comments = (
            model.Session.query(gm.GapComment).filter(gm.GapComment.gap_id == gap.id).order_by(gm.GapComment.created)
        )
        out["comments"] = [
            {"user": _user_name(c.user_id), "created": c.created.isoformat(), "text": c.text} for c in comments
        ]
        events = model.Session.query(gm.GapEvent).filter(gm.GapEvent.gap_id == gap.id).order_by(gm.GapEvent.created)
        out["history"] = [
            {
                "user": _user_name(e.user_id),
                "action": e.action,
                "message": e.message,
                "changes": _changes_shown((e.data or {}).get("changes", {}), viewer),
                "created": e.created.isoformat(),
            }
            for e in events
        ]
        decides = permissions.may_decide(viewer)
        admin = auth.is_division_admin(viewer, gap.owner_org_id)
        out["may"] = {
            "change": decides,
            "comment": permissions.is_board_member(viewer) or admin,
            "start": decides or (admin and gap.status == "open"),
        }
    return out
