"""The data-use record of a decided request: each step that changes the access adds a version, and
versions are never changed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from .. import model as mm
from .. import objects, permissions


def as_dict(row: mm.UseRecord) -> dict[str, Any]:
    return {
        "request": row.request_id,
        "version": row.version,
        "change": row.change,
        "created": row.created.isoformat(),
        "created_by": objects.user_name(row.created_by) or "system",
        "content": row.content,
    }


def keep(request: mm.AccessRequest, user_id: str | None, change: str) -> mm.UseRecord:
    """Add the next version of the request's data-use record and commit it with the step that made it."""
    model.Session.flush()
    last = model.Session.query(sa.func.max(mm.UseRecord.version)).filter(mm.UseRecord.request_id == request.id).scalar()
    row = mm.UseRecord(
        request_id=request.id,
        version=(last or 0) + 1,
        change=change,
        created_by=user_id,
        content=_content(request),
    )
    model.Session.add(row)
    model.Session.commit()
    return row


def _content(request: mm.AccessRequest) -> dict[str, Any]:
    """What the agreement says now: no private dataset's name, id or title (a restricted component by the
    listing title its division published), so the record can be read by all its readers alike."""
    product = model.Session.get(model.Package, request.product_id)
    requester = model.Session.get(model.User, request.requester_id)
    grants = model.Session.query(mm.Grant).filter(mm.Grant.request_id == request.id).all()
    ended = [g.revoked for g in grants if g.revoked is not None]
    if request.status in ("withdrawn", "expired") and not ended and request.granted:
        ended = [request.modified]
    return {
        "request": request.id,
        "product": {"id": product.id, "name": product.name, "title": product.title or product.name}
        if product
        else None,
        "division": objects.org(request.owner_org_id),
        "requester": {
            "name": requester.name,
            "display_name": requester.display_name,
            "email": requester.email or "",
            "divisions": [
                {"name": o["name"], "title": o["title"]}
                for o in (objects.org(gid) for gid in permissions.division_ids(requester))
                if o
            ],
        },
        "status": request.status,
        "purpose": request.purpose,
        "project": request.project,
        "columns": request.columns,
        "terms": request.terms_accepted,
        "second_level": request.second_level,
        "components": _components(request, product),
        "decisions": objects.events("request", request.id),
        "grant": {
            "start": request.granted.isoformat() if request.granted else None,
            "end": request.end_date.isoformat(),
            "ended": max(ended).isoformat() if ended else None,
        },
        "requested": request.created.isoformat(),
    }


def _components(request: mm.AccessRequest, product: model.Package | None) -> list[dict[str, Any]]:
    if product is None:
        return []
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": product.id})
    out = []
    for n, dataset in enumerate(objects.components(pkg), start=1):
        if request.datasets and dataset.id not in request.datasets:
            continue
        extras = dataset.extras
        restricted = bool(dataset.private)
        out.append(
            {
                "title": (extras.get("listing_title") or tk._("Restricted dataset {n}").format(n=n))
                if restricted
                else dataset.title or dataset.name,
                "name": None if restricted else dataset.name,
                "restricted": restricted,
                "access_level": extras.get("access_level") or "",
                "phi_classification": extras.get("phi_classification") or "",
                "granted": restricted and dataset.owner_org == product.owner_org,
            }
        )
    return out
