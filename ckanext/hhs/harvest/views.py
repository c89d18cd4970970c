"""Harvest pages the hub adds to ckanext-harvest's: cancelling a source that doubles another
division's catalog (the source and the datasets it created are deleted in one step)."""

from __future__ import annotations

from typing import Any

import flask
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.harvest.model import HarvestObject

blueprint = flask.Blueprint("hhs_harvest", __name__)


@blueprint.route("/harvest/<id>/cancel", methods=["POST"])
def cancel(id: str) -> Any:  # noqa: A002
    """Delete the source and the datasets it created, after the source page warned that another
    division holds the same records. Deleted as the caller (package_delete: soft, a sysadmin can
    restore them), never ckanext-harvest's clear_source, which purges every dataset the source ever
    touched (also one it only updated) and any dataset anywhere left in state ``to_delete``."""
    user = tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else ""
    source = None if "\x00" in id else model.Package.get(id)
    if source is None or source.type != "harvest" or source.state != "active":
        return tk.abort(404, tk._("Harvest source not found"))
    context = {"user": user}
    try:
        tk.check_access("harvest_source_delete", dict(context), {"id": source.id})
        created = _created_by(source)
        for package_id in created:
            tk.get_action("package_delete")(dict(context), {"id": package_id})
        tk.get_action("harvest_source_delete")(dict(context), {"id": source.id})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the division's editors may cancel its harvest source"))
    tk.h.flash_success(
        tk._(
            "The harvest source was cancelled: the {n} datasets it created were deleted (a sysadmin can "
            "restore them from the trash); datasets it only updated were kept."
        ).format(n=len(created))
    )
    group = model.Session.get(model.Group, source.owner_org) if source.owner_org else None
    if group is not None:
        return tk.h.redirect_to("organization.read", id=group.name)
    return tk.h.redirect_to("harvest.search")


def _created_by(source: model.Package) -> list[str]:
    """Active datasets of the source's division that this source created: their harvest records are
    all this source's, and they did not exist before its first record of them was gathered."""
    first = (
        model.Session.query(HarvestObject.package_id, sa.func.min(HarvestObject.gathered).label("gathered"))
        .filter(HarvestObject.package_id.isnot(None))
        .group_by(HarvestObject.package_id)
        .having(sa.func.bool_and(HarvestObject.harvest_source_id == source.id))
        .subquery()
    )
    rows = (
        model.Session.query(model.Package.id)
        .join(first, first.c.package_id == model.Package.id)
        .filter(
            model.Package.owner_org == source.owner_org,
            model.Package.state == "active",
            model.Package.metadata_created >= first.c.gathered,
        )
        .all()
    )
    return [row.id for row in rows]
