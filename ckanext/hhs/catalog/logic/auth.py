"""Auth functions of the catalog feature."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict


@tk.auth_disallow_anonymous_access
def hhs_inventory_show(context: Context, data_dict: DataDict) -> AuthResult:
    # HHS staff are the members of a division (any role); sysadmins see it too.
    user = context.get("user")
    if authz.is_sysadmin(user) or authz.has_user_permission_for_some_org(user, "read"):
        return {"success": True}
    return {"success": False, "msg": tk._("Only members of a division may see the enterprise inventory")}


def hhs_catalog_validate(context: Context, data_dict: DataDict) -> AuthResult:
    # The report names non-public datasets when it covers the inventory.
    try:
        inventory = tk.get_validator("boolean_validator")(data_dict.get("inventory"), {})
    except tk.Invalid:
        inventory = True  # no clear "no": the stricter rule (the action names the field's error)
    if inventory:
        return hhs_inventory_show(context, data_dict)
    return {"success": True}
