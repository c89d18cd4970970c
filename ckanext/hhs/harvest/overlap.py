"""Identifiers a harvest source shares with datasets other divisions already hold.

The importer matches records by identifier within the source's own division, so a division that
harvests a catalog another division already publishes here gets a second copy of every dataset. The
check runs on what the source's harvests actually brought in (no second fetch of the catalog, and
nothing to guess before the first run), counted in the database, and is shown on the source page
with the way to remove the copies.

Only datasets the viewer may see are counted and named: a private dataset of another division
is neither counted nor named to someone outside it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

import ckan.model as model
from ckan import authz

from ckanext.harvest.model import HarvestObject

EXAMPLES = 5


def shared_identifiers(source: model.Package, viewer: str | None) -> dict[str, Any]:
    """{"harvested": n, "shared": n, "divisions": [{name, title, count, examples: [{identifier, name, title}]}]}
    for the datasets this source's harvests brought in (current harvest objects)."""
    ident = aliased(model.PackageExtra)
    mine = (
        model.Session.query(ident.value)
        .join(HarvestObject, HarvestObject.package_id == ident.package_id)
        .join(model.Package, model.Package.id == ident.package_id)
        .filter(
            HarvestObject.harvest_source_id == source.id,
            HarvestObject.current.is_(True),
            ident.key == "identifier",
            model.Package.state == "active",
        )
    )
    harvested = mine.distinct().count()
    other = aliased(model.PackageExtra)
    query = (
        model.Session.query(model.Package.owner_org, other.value, model.Package.name, model.Package.title)
        .join(other, (other.package_id == model.Package.id) & (other.key == "identifier"))
        .filter(
            other.value.in_(mine.subquery().select()),
            model.Package.owner_org != source.owner_org,
            model.Package.state == "active",
            model.Package.type == "dataset",
        )
    )
    if not authz.is_sysadmin(viewer):
        query = query.filter(sa.or_(model.Package.private.is_(False), model.Package.owner_org.in_(_member_of(viewer))))
    by_org: dict[str, dict[str, Any]] = {}
    for org_id, identifier, name, title in query.order_by(model.Package.owner_org, other.value):
        entry = by_org.setdefault(org_id, {"identifiers": set(), "examples": []})
        entry["identifiers"].add(identifier)
        if len(entry["examples"]) < EXAMPLES:
            entry["examples"].append({"identifier": identifier, "name": name, "title": title or name})
    divisions = []
    for org_id, entry in by_org.items():
        org = model.Session.get(model.Group, org_id)
        divisions.append(
            {
                "name": org.name if org else "",
                "title": (org.title or org.name) if org else "",
                "count": len(entry["identifiers"]),
                "examples": entry["examples"],
            }
        )
    divisions.sort(key=lambda d: -d["count"])
    shared = len(set().union(*(e["identifiers"] for e in by_org.values()))) if by_org else 0
    return {"harvested": harvested, "shared": shared, "divisions": divisions}


def _member_of(user_name: str | None) -> Any:
    user = model.User.get(user_name) if user_name else None
    if user is None:
        return [""]
    return (
        model.Session.query(model.Member.group_id)
        .filter(
            model.Member.table_name == "user",
            model.Member.table_id == user.id,
            model.Member.state == "active",
        )
        .subquery()
        .select()
    )
