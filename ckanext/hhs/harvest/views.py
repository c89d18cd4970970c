"""Harvest pages the hub adds to ckanext-harvest's: cancelling a source that doubles another
division's catalog (the source and the datasets it brought in are removed in one step)."""

from __future__ import annotations

from typing import Any

import flask

import ckan.model as model
import ckan.plugins.toolkit as tk

blueprint = flask.Blueprint("hhs_harvest", __name__)


@blueprint.route("/harvest/<id>/cancel", methods=["POST"])
def cancel(id: str) -> Any:  # noqa: A002
    """Delete the source and clear its datasets (ckanext-harvest's harvest_source_delete with
    clear_source), after the source page warned that another division holds the same records."""
    user = tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else ""
    source = None if "\x00" in id else model.Package.get(id)
    if source is None or source.type != "harvest" or source.state != "active":
        return tk.abort(404, tk._("Harvest source not found"))
    org = source.owner_org
    try:
        tk.get_action("harvest_source_delete")({"user": user, "clear_source": True}, {"id": source.id})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the division's editors may cancel its harvest source"))
    tk.h.flash_success(tk._("The harvest source was cancelled: it and the datasets it brought in were removed."))
    group = model.Session.get(model.Group, org) if org else None
    if group is not None:
        return tk.h.redirect_to("organization.read", id=group.name)
    return tk.h.redirect_to("harvest.search")
