"""The metrics pages of the governance dashboard (routes on views.blueprint)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from . import permissions
from .views import blueprint


@blueprint.route("/")
def index():
    if not permissions.is_board_member(permissions.user_of({"user": tk.current_user.name if tk.current_user else ""})):
        return tk.abort(403, tk._("The governance dashboard is for the Data Governance Board and sysadmins"))
    return tk.render("hhs_governance/index.html")
