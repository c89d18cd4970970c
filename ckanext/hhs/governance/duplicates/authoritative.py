"""The authoritative-source links the dataset page shows: the dataset the Board named authoritative for
this one and this one's known copies (as duplicate decisions and hhs_governance_authoritative_set
store them in package extras), only what the viewer may see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.hhs import roles

__all__ = ["authoritative_links"]


def authoritative_links(package_id: str, user_name: str) -> dict[str, Any]:
    """For the dataset page: the dataset the Board named authoritative for this one (``source``) and the
    known copies of this one (``copies``), each with its name, title and division title, in one query.
    Only what the viewer may see: a private dataset of another division is never named."""
    copy, src, org = model.PackageExtra, model.Package, model.Group
    link = sa.orm.aliased(model.PackageExtra)
    rows = (
        model.Session.query(src.id, src.name, src.title, src.private, src.owner_org, org.title, org.name, copy.key)
        .join(copy, copy.package_id == src.id)
        .outerjoin(org, org.id == src.owner_org)
        .filter(src.state == "active", copy.state == "active")
        .filter(
            sa.or_(
                # copies: their link names this dataset
                sa.and_(copy.key == "authoritative_dataset", copy.value == package_id),
                # the source: this dataset's link names it
                sa.and_(
                    copy.key == "authoritative_source",
                    src.id
                    == model.Session.query(link.value)
                    .filter(link.package_id == package_id, link.key == "authoritative_dataset", link.state == "active")
                    .scalar_subquery(),
                ),
            )
        )
        .order_by(src.title)
        .all()
    )
    result: dict[str, Any] = {"source": None, "copies": []}
    for pid, name, title, private, _owner, org_title, org_name, key in rows:
        if private and not roles.may_read(user_name, pid):
            continue
        entry = {"id": pid, "name": name, "title": title or name, "division": org_title or org_name}
        if key == "authoritative_dataset":
            result["copies"].append(entry)
        else:
            result["source"] = entry
    return result
