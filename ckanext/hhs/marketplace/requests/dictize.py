"""An access request as the API shows it: to its requester and its deciders, each seeing only the
datasets and products they may see."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs import roles

from .. import model as mm
from .. import objects


def _requested_brief(package_id: str, request: mm.AccessRequest, viewer: str | None) -> dict[str, Any] | None:
    """A requested dataset as the viewer may know it: by name when they may open it, else (a restricted
    component of the product's own division, asked for as "#n") by the listing title its division chose."""
    brief = objects.package_brief(package_id, viewer)
    if brief is not None:
        return brief
    pkg = model.Session.get(model.Package, package_id)
    product = model.Session.get(model.Package, request.product_id) if request.product_id else None
    if pkg is None or product is None or pkg.owner_org != product.owner_org:
        return None
    return {"title": pkg.extras.get("listing_title") or tk._("Restricted dataset"), "restricted": True}


def request_dict(request: mm.AccessRequest, viewer: str | None, full: bool = False) -> dict[str, Any]:
    product = model.Session.get(model.Package, request.product_id)
    out: dict[str, Any] = {
        "id": request.id,
        "product": {"id": product.id, "name": product.name, "title": product.title} if product else None,
        "division": objects.org(request.owner_org_id),
        "requester": objects.user_name(request.requester_id),
        "status": request.status,
        "purpose": request.purpose,
        "project": request.project,
        "columns": request.columns,
        "end_date": request.end_date.isoformat(),
        "second_level": request.second_level,
        "first_decided_by": objects.user_name(request.first_decided_by),
        "decided_by": objects.user_name(request.decided_by),
        "decided": request.decided.isoformat() if request.decided else None,
        "granted": request.granted.isoformat() if request.granted else None,
        "created": request.created.isoformat(),
        "modified": request.modified.isoformat(),
    }
    if full:
        out["datasets"] = [b for b in (_requested_brief(pid, request, viewer) for pid in request.datasets) if b]
        out["terms_accepted"] = request.terms_accepted
        out["grants"] = [
            {
                "dataset": objects.package_brief(g.package_id, viewer),
                "end_date": g.end_date.isoformat(),
                "revoked": g.revoked.isoformat() if g.revoked else None,
                "revoke_reason": g.revoke_reason,
            }
            for g in model.Session.query(mm.Grant).filter(mm.Grant.request_id == request.id).order_by(mm.Grant.created)
        ]
        out["events"] = objects.events("request", request.id)
        out["requester_details"] = _requester_details(request, viewer)
        out["records"] = [
            {"version": v, "change": c, "created": t.isoformat()}
            for v, c, t in model.Session.query(mm.UseRecord.version, mm.UseRecord.change, mm.UseRecord.created)
            .filter(mm.UseRecord.request_id == request.id)
            .order_by(mm.UseRecord.version)
        ]
    return out


def _requester_details(request: mm.AccessRequest, viewer: str | None) -> dict[str, Any]:
    """Who asks, for those who decide (request_show is the requester's and the deciders' only): name,
    e-mail, divisions with the role held, and the requester's other requests and live grants. Another
    request's product is named only to a viewer who may see it."""
    user = model.Session.get(model.User, request.requester_id)
    earlier = []
    others = (
        model.Session.query(mm.AccessRequest)
        .filter(mm.AccessRequest.requester_id == user.id, mm.AccessRequest.id != request.id)
        .order_by(mm.AccessRequest.created.desc())
    )
    for other in others:
        product = model.Session.get(model.Package, other.product_id)
        visible = product is not None and roles.may_read(viewer, product.id)
        earlier.append(
            {
                "product": {"name": product.name, "title": product.title or product.name} if visible else None,
                "status": other.status,
                "created": other.created.isoformat(),
                "end_date": other.end_date.isoformat(),
                "granted": other.granted.isoformat() if other.granted else None,
            }
        )
    today = mm.now().date()
    live = (
        model.Session.query(mm.Grant)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(
            mm.Grant.user_id == user.id,
            mm.Grant.revoked.is_(None),
            mm.Grant.end_date >= today,
            mm.AccessRequest.status == "approved",
        )
        .count()
    )
    ever = model.Session.query(mm.Grant).filter(mm.Grant.user_id == user.id).count()
    return {
        "name": user.name,
        "display_name": user.display_name,
        "email": user.email or "",
        "divisions": [
            {"name": d.name, "title": d.title or d.name, "role": role} for d, role in roles.memberships(user)
        ],
        "earlier_requests": earlier,
        "grants_live": live,
        "grants_ever": ever,
    }
