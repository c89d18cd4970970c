"""Actions of data needs, which replace data calls: posting a need, answering it with existing data or
a commitment to publish, closing it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.context import all_or_nothing as _all_or_nothing
from ckanext.hhs.logic.validation import validate

from ... import mail, objects, permissions
from ... import model as mm
from . import schema


@validate(schema.need_create)
@_all_or_nothing
def hhs_marketplace_need_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Post a data need instead of a data call. Every logged-in user sees open needs.

    :param title: the data wanted, in a line
    :param description: what data exactly
    :param why: what it is for (optional)
    :param needed_by: YYYY-MM-DD, not in the past (optional)
    :param asked: divisions asked to answer (organization names; optional)
    :rtype: dict
    """
    tk.check_access("hhs_marketplace_need_create", context, data_dict)
    user = objects.caller(context)
    needed_by = data_dict.get("needed_by")
    if needed_by and needed_by < mm.now().date():
        raise tk.ValidationError({"needed_by": [tk._("{date} is in the past").format(date=needed_by)]})
    asked = [objects.division(ref, field="asked").id for ref in data_dict.get("asked", [])]
    need = mm.Need(
        title=data_dict["title"],
        description=data_dict["description"],
        why=data_dict.get("why", ""),
        needed_by=needed_by,
        asked_org_ids=list(dict.fromkeys(asked)),
        posted_by=user.id,
    )
    model.Session.add(need)
    model.Session.flush()
    mm.record("need", need.id, user.id, "post", need.title)
    model.Session.commit()
    mail.need_posted(need)
    return _need_dict(need, user.name)


@tk.side_effect_free
@validate(schema.need_ref)
def hhs_marketplace_need_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A need with its answers (datasets each viewer may see) and history.

    :param id: the need's id
    """
    tk.check_access("hhs_marketplace_need_show", context, data_dict)
    need = _get_need(data_dict["id"])
    return _need_dict(need, context.get("user"), full=True)


@tk.side_effect_free
@validate(schema.need_list)
def hhs_marketplace_need_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Data needs, newest first.

    :param status: ``open`` or ``closed`` (optional)
    :param q: words in the title or description (optional)
    :param limit: (optional, default 50)
    :param offset: (optional)
    :returns: ``count`` and ``results``
    """
    tk.check_access("hhs_marketplace_need_list", context, data_dict)
    query = model.Session.query(mm.Need)
    if data_dict.get("status"):
        query = query.filter(mm.Need.status == data_dict["status"])
    for word in (data_dict.get("q") or "").split():
        query = query.filter(sa.or_(mm.Need.title.ilike(f"%{word}%"), mm.Need.description.ilike(f"%{word}%")))
    count = query.count()
    rows = query.order_by(mm.Need.created.desc()).offset(data_dict.get("offset", 0)).limit(data_dict.get("limit", 50))
    return {"count": count, "results": [_need_dict(n, context.get("user")) for n in rows]}


@validate(schema.need_answer)
@_all_or_nothing
def hhs_marketplace_need_answer(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Answer an open need: with existing datasets or data products (``kind=existing``), or by committing
    to publish the data (``kind=commit``, with ``publish_by``).

    :param id: the need's id
    :param kind: ``existing`` or ``commit``
    :param datasets: names of datasets or data products that answer it (``existing``)
    :param division: the answering division (organization name; optional)
    :param note: (optional)
    :param publish_by: YYYY-MM-DD (``commit``)
    """
    tk.check_access("hhs_marketplace_need_answer", context, data_dict)
    need = _get_need(data_dict["id"])
    user = objects.caller(context)
    if need.status != "open":
        raise tk.ValidationError({"id": [tk._("This need is closed")]})
    package_ids = []
    for ref in data_dict.get("datasets", []):
        pkg = model.Package.get(ref)
        if pkg is None or pkg.state != "active" or not roles.may_read(user, pkg.id):
            raise tk.ValidationError({"datasets": [tk._('"{ref}" is not a dataset you can see').format(ref=ref)]})
        package_ids.append(pkg.id)
    if data_dict["kind"] == "existing" and not package_ids:
        raise tk.ValidationError({"datasets": [tk._("Name the datasets or products that answer the need")]})
    if data_dict["kind"] == "commit":
        if not data_dict.get("publish_by"):
            raise tk.ValidationError({"publish_by": [tk._("Say by when the data will be published")]})
        if data_dict["publish_by"] < mm.now().date():
            raise tk.ValidationError(
                {"publish_by": [tk._("{date} is in the past").format(date=data_dict["publish_by"])]}
            )
    org_id = None
    if data_dict.get("division"):
        org = objects.division(data_dict["division"], field="division")
        if permissions.role_in(org.id, user.name) < 1 and not user.sysadmin:
            raise tk.ValidationError({"division": [tk._("You are not a member of {org}").format(org=org.title)]})
        org_id = org.id
    answer = mm.NeedAnswer(
        need_id=need.id,
        org_id=org_id,
        user_id=user.id,
        kind=data_dict["kind"],
        package_ids=list(dict.fromkeys(package_ids)),
        note=data_dict.get("note", ""),
        publish_by=data_dict.get("publish_by"),
    )
    model.Session.add(answer)
    model.Session.flush()
    mm.record("need", need.id, user.id, f"answer_{answer.kind}", answer.note, answer=answer.id)
    model.Session.commit()
    mail.need_answered(need)
    return _need_dict(need, user.name, full=True)


@validate(schema.need_close)
@_all_or_nothing
def hhs_marketplace_need_close(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Close a need with its answers. The poster (or a sysadmin).

    :param id: the need's id
    :param message: how it was met (optional)
    """
    tk.check_access("hhs_marketplace_need_close", context, data_dict)
    need = _get_need(data_dict["id"])
    user = objects.caller(context)
    if need.status != "open":
        raise tk.ValidationError({"id": [tk._("This need is already closed")]})
    need.status, need.closed, need.closing_note = "closed", mm.now(), data_dict.get("message", "")
    mm.record("need", need.id, user.id, "close", need.closing_note)
    model.Session.commit()
    return _need_dict(need, user.name, full=True)


def _get_need(ref: str) -> mm.Need:
    need = model.Session.get(mm.Need, ref)
    if need is None:
        raise tk.ObjectNotFound(tk._("Data need not found"))
    return need


def _need_dict(need: mm.Need, viewer: str | None, full: bool = False) -> dict[str, Any]:
    answers = (
        model.Session.query(mm.NeedAnswer).filter(mm.NeedAnswer.need_id == need.id).order_by(mm.NeedAnswer.created)
    )
    out: dict[str, Any] = {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "why": need.why,
        "needed_by": need.needed_by.isoformat() if need.needed_by else None,
        "asked": [o for o in (objects.org(oid) for oid in need.asked_org_ids or []) if o],
        "posted_by": objects.user_name(need.posted_by),
        "status": need.status,
        "closing_note": need.closing_note,
        "created": need.created.isoformat(),
        "closed": need.closed.isoformat() if need.closed else None,
        "answer_count": answers.count(),
    }
    if full:
        out["answers"] = [
            {
                "id": a.id,
                "kind": a.kind,
                "division": objects.org(a.org_id),
                "user": objects.user_name(a.user_id),
                # Only what this viewer may see: a private dataset named in an answer stays hidden.
                "datasets": [b for b in (objects.package_brief(pid, viewer) for pid in a.package_ids) if b],
                "note": a.note,
                "publish_by": a.publish_by.isoformat() if a.publish_by else None,
                "created": a.created.isoformat(),
            }
            for a in answers
        ]
        out["events"] = objects.events("need", need.id)
    return out
