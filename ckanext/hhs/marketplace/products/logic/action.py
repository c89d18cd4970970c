"""Actions of data products: their components as a requester may know them, and who uses them."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.logic.validation import validate

from ... import model as mm
from ... import objects
from . import schema


@tk.side_effect_free
@validate(schema.product_ref)
def hhs_marketplace_component_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """A product's component datasets as a requester may know them. Those the caller may open come
    with their name and title; the product division's own restricted ones only with the title the
    division chose for listings (the dataset's ``listing_title``), their access level and PHI class,
    and a reference (``#n``, the position in the product) to name them in
    ``hhs_marketplace_request_create``'s ``datasets``: never their name, id or other metadata. Another
    division's private datasets are not listed.

    :param id: the product's name or id
    :returns: each with ``ref``, ``title``, ``private``, ``restricted`` (the caller may not open it),
        ``deleted`` (listed only to those who may still open it), ``access_level`` and
        ``phi_classification``, and ``name`` when the caller may open it
    """
    tk.check_access("hhs_marketplace_component_list", context, data_dict)
    product, pkg = objects.product(data_dict["id"], context, field="id")
    return _component_listing(product, pkg, context.get("user"))


def _component_listing(product: model.Package, pkg: dict[str, Any], viewer: str | None) -> list[dict[str, Any]]:
    out = []
    active = {p.id: n for n, p in enumerate(objects.components(pkg), start=1)}  # "#n" as requests name them
    for ref in pkg.get("component_datasets") or []:
        dataset = model.Package.get(ref)
        if dataset is None:
            continue
        visible = roles.may_read(viewer, dataset.id)  # a deleted one only to those who may still open it
        if not visible and (dataset.id not in active or dataset.owner_org != product.owner_org):
            continue
        extras = dataset.extras
        entry = {
            "ref": dataset.name if visible else f"#{active[dataset.id]}",
            # Not the dataset's own title: the one its division chose to publish in listings.
            "title": (dataset.title or dataset.name)
            if visible
            else extras.get("listing_title") or tk._("Restricted dataset {n}").format(n=active[dataset.id]),
            "private": bool(dataset.private),
            "restricted": not visible,
            "deleted": dataset.state == "deleted",
            "access_level": extras.get("access_level") or "",
            "phi_classification": extras.get("phi_classification") or "",
        }
        if visible:
            entry["name"] = dataset.name
        out.append(entry)
    return out


@tk.side_effect_free
@validate(schema.product_ref)
def hhs_marketplace_product_usage(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Who already uses a product: the divisions of people with access now, and how many people.
    Individual requests stay private to their requester and deciders.

    :param id: the product's name or id
    :returns: ``users`` (a count), ``divisions`` (name, title, users) and ``licensed`` (divisions a
        third-party licence of the product covers)
    """
    tk.check_access("hhs_marketplace_product_usage", context, data_dict)
    product, _pkg = objects.product(data_dict["id"], context, field="id")
    requester_ids = [
        r
        for (r,) in model.Session.query(mm.AccessRequest.requester_id)
        .filter(mm.AccessRequest.product_id == product.id, mm.AccessRequest.status == "approved")
        .distinct()
    ]
    divisions: dict[str, dict[str, Any]] = {}
    if requester_ids:
        rows = (
            model.Session.query(model.Group.name, model.Group.title, model.Member.table_id)
            .join(model.Member, model.Member.group_id == model.Group.id)
            .filter(
                model.Member.table_id.in_(requester_ids),
                model.Member.table_name == "user",
                model.Member.state == "active",
                model.Group.is_organization.is_(True),
                model.Group.state == "active",
            )
        )
        for name, title, _uid in rows:
            divisions.setdefault(name, {"name": name, "title": title, "users": 0})["users"] += 1
    licensed = []
    for licence in model.Session.query(mm.Licence).filter(mm.Licence.data_product_id == product.id):
        licensed += [objects.org(oid) for oid in objects.covered(licence)]
    return {
        "users": len(requester_ids),
        "divisions": sorted(divisions.values(), key=lambda d: d["title"] or d["name"]),
        "licensed": [o for o in licensed if o],
    }
