"""Auth functions of the harvest feature."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict


def hhs_catalog_import(context: Context, data_dict: DataDict) -> AuthResult:
    # A local path reads the server's disk: sysadmins only. A URL: the division's admins too.
    if authz.is_sysadmin(context.get("user")):
        return {"success": True}
    source = str(data_dict.get("source") or "")
    if not source.startswith(("http://", "https://")):
        return {"success": False, "msg": tk._("Only sysadmins may import a catalog from a server path")}
    allowed = authz.has_user_permission_for_group_or_org(data_dict.get("division"), context.get("user"), "admin")
    return {"success": allowed, "msg": tk._("Only the division's admins may import its catalog")}
