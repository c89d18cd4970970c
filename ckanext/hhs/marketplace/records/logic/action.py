"""Actions of data-use records: a decided request's record, version by version, and the Board's export."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.logic.validation import validate

from ... import model as mm
from ... import objects
from .. import versions
from . import schema


@tk.side_effect_free
@validate(schema.use_record_show)
def hhs_marketplace_use_record_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data-use record of a decided request: the request, purpose, terms as accepted, components
    (a restricted one by its listing title), each decision with who and when, the grant's start and
    end. Versions are never changed; a change to the access adds one. For the requester, the product
    division's stewards (and second-level reviewers of a restricted product), the Data Governance Board
    and sysadmins.

    :param id: the request's id
    :param version: the version (optional, default the latest)
    :returns: ``request``, ``version``, ``change``, ``created``, ``created_by``, ``content`` and
        ``versions`` (each version's number, change and date)
    """
    tk.check_access("hhs_marketplace_use_record_show", context, data_dict)
    request = objects.access_request(data_dict["id"])
    rows = (
        model.Session.query(mm.UseRecord)
        .filter(mm.UseRecord.request_id == request.id)
        .order_by(mm.UseRecord.version)
        .all()
    )
    if not rows:
        raise tk.ObjectNotFound(tk._("This request is not decided yet: it has no data-use record"))
    wanted = data_dict.get("version")
    chosen = next((r for r in rows if r.version == wanted), None) if wanted else rows[-1]
    if chosen is None:
        raise tk.ValidationError({"version": [tk._("Request {id} has no version {n}").format(id=request.id, n=wanted)]})
    return {
        **versions.as_dict(chosen),
        "versions": [{"version": r.version, "change": r.change, "created": r.created.isoformat()} for r in rows],
    }


@tk.side_effect_free
@validate(schema.use_record_export)
def hhs_marketplace_use_record_export(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Every data-use record version, oldest first, as flat rows for the Board's CSV. The Data Governance
    Board and sysadmins. A product the caller may not see is not named.

    :param limit: (optional, default 1000)
    :param offset: (optional)
    :returns: ``count`` and ``results``: each with ``request``, ``version``, ``change``, ``recorded``,
        ``recorded_by``, ``product``, ``division``, ``requester``, ``requester_email``,
        ``requester_divisions``, ``purpose``, ``project``, ``terms``, ``components``, ``status``,
        ``decisions`` (one line each: when, what, who), ``grant_start``, ``grant_end``, ``access_ended``
    """
    tk.check_access("hhs_marketplace_use_record_export", context, data_dict)
    viewer = context.get("user")
    query = model.Session.query(mm.UseRecord)
    rows = (
        query.order_by(mm.UseRecord.created, mm.UseRecord.request_id, mm.UseRecord.version)
        .offset(data_dict.get("offset", 0))
        .limit(data_dict.get("limit", 1000))
        .all()
    )
    out = []
    for row in rows:
        c = row.content
        product = c.get("product") or {}
        pkg = model.Package.get(product.get("id") or "")
        seen = pkg is not None and roles.may_read(viewer, pkg.id)
        out.append(
            {
                "request": row.request_id,
                "version": row.version,
                "change": row.change,
                "recorded": row.created.isoformat(),
                "recorded_by": objects.user_name(row.created_by) or "system",
                "product": product.get("title") if seen else tk._("A product you cannot see"),
                "division": (c.get("division") or {}).get("title") or "",
                "requester": (c.get("requester") or {}).get("name") or "",
                "requester_email": (c.get("requester") or {}).get("email") or "",
                "requester_divisions": "; ".join(d["title"] for d in (c.get("requester") or {}).get("divisions", [])),
                "purpose": c.get("purpose") or "",
                "project": c.get("project") or "",
                "terms": c.get("terms") or "",
                "components": "; ".join(d["title"] for d in c.get("components") or []),
                "status": c.get("status") or "",
                "decisions": "\n".join(
                    f"{d['created']} {d['action']} by {d['user']}" + (f": {d['message']}" if d["message"] else "")
                    for d in c.get("decisions") or []
                ),
                "grant_start": (c.get("grant") or {}).get("start") or "",
                "grant_end": (c.get("grant") or {}).get("end") or "",
                "access_ended": (c.get("grant") or {}).get("ended") or "",
            }
        )
    return {"count": query.count(), "results": out}
