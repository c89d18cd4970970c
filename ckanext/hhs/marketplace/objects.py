"""The objects marketplace actions name and show: the caller, a data product and its components, a
division, a licence's divisions, a user's name, a dataset in brief, and an object's history."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.hhs import roles

from . import model as mm


def caller(context: Context) -> model.User:
    user = model.User.get(context.get("user") or "")
    if user is None:
        raise tk.NotAuthorized(tk._("You must be logged in"))
    return user


def product(ref: str, context: Context, field: str = "product") -> tuple[model.Package, dict[str, Any]]:
    """The data product and its dict (all fields), if the caller may see it."""
    product = model.Package.get(ref)
    if product is not None and (product.type != "data-product" or product.state != "active"):
        product = None
    if product is not None and not context.get("ignore_auth") and not roles.may_read(context.get("user"), product.id):
        product = None
    if product is None:
        if field == "id":
            raise tk.ObjectNotFound(tk._("Data product not found"))
        raise tk.ValidationError({field: [tk._('"{ref}" is not a data product you can see').format(ref=ref)]})
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": product.id})
    return product, pkg


def components(pkg: dict[str, Any]) -> list[model.Package]:
    found = [model.Package.get(ref) for ref in pkg.get("component_datasets") or []]
    return [p for p in found if p is not None and p.state == "active"]


def user_name(user_id: str | None) -> str | None:
    if not user_id:
        return None
    return model.Session.query(model.User.name).filter(model.User.id == user_id).scalar()


def org(org_id: str | None) -> dict[str, str] | None:
    if not org_id:
        return None
    row = model.Session.query(model.Group.name, model.Group.title).filter(model.Group.id == org_id).first()
    return {"id": org_id, "name": row[0], "title": row[1] or row[0]} if row else None


def package_brief(package_id: str, viewer: str | None) -> dict[str, Any] | None:
    """Name and title of a dataset, or None when the viewer may not see it."""
    pkg = model.Session.get(model.Package, package_id)
    if pkg is None or not roles.may_read(viewer, pkg.id):
        return None
    return {"id": pkg.id, "name": pkg.name, "title": pkg.title or pkg.name, "type": pkg.type, "private": pkg.private}


def events(object_type: str, object_id: str) -> list[dict[str, Any]]:
    rows = (
        model.Session.query(mm.Event)
        .filter(mm.Event.object_type == object_type, mm.Event.object_id == object_id)
        .order_by(mm.Event.created, mm.Event.id)
    )
    return [
        {
            "action": e.action,
            "user": user_name(e.user_id) or "system",
            "created": e.created.isoformat(),
            "message": e.message,
        }
        for e in rows
    ]


def division(ref: str, field: str) -> model.Group:
    org = model.Group.get(ref)
    if org is None or not org.is_organization or org.state != "active":
        raise tk.ValidationError({field: [tk._('"{ref}" is not a division').format(ref=ref)]})
    return org


def covered(licence: mm.Licence) -> list[str]:
    """Every division a licence covers, the holder first."""
    return [licence.holder_org_id, *[o for o in licence.covered_org_ids or [] if o != licence.holder_org_id]]


def access_request(ref: str) -> mm.AccessRequest:
    request = model.Session.get(mm.AccessRequest, ref)
    if request is None:
        raise tk.ObjectNotFound(tk._("Access request not found"))
    return request
