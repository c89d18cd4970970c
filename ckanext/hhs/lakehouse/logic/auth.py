"""Auth functions of the lakehouse actions, one per action. Object permissions are CKAN's own: who may
update the dataset registers and maps its tables; who may see it sees their metadata; previews and
queries also need a login and are refused on identifiable PHI unless the table allows previews."""

from __future__ import annotations

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from .. import model as lm

_OK: AuthResult = {"success": True}


def _package_id(data_dict: DataDict) -> str | None:
    resource = model.Resource.get(str(data_dict.get("id") or ""))
    return resource.package_id if resource else None


def _may(context: Context, action: str, data_dict: DataDict, msg: str) -> AuthResult:
    package_id = _package_id(data_dict)
    if package_id is None:
        return _OK  # a missing resource is the action's 404
    if authz.is_authorized(action, context, {"id": package_id})["success"]:
        return _OK
    return {"success": False, "msg": msg}


def _edit(context: Context, data_dict: DataDict) -> AuthResult:
    if not _logged_in(context):
        return {"success": False, "msg": tk._("Log in to change lakehouse tables")}
    if _package_id(data_dict) is None:
        return {"success": False, "msg": tk._("No such resource")}
    return _may(context, "package_update", data_dict, tk._("Only the dataset's editors may do this"))


def _see(context: Context, data_dict: DataDict) -> AuthResult:
    return _may(context, "package_show", data_dict, tk._("You may not see this dataset"))


def hhs_lakehouse_table_register(context: Context, data_dict: DataDict) -> AuthResult:
    return _edit(context, data_dict)


def hhs_lakehouse_table_refresh(context: Context, data_dict: DataDict) -> AuthResult:
    if data_dict.get("all") in (True, "true", "True", "1"):
        return {"success": False, "msg": tk._("Only sysadmins refresh every table")}  # sysadmins pass before this
    return _edit(context, data_dict)


@tk.auth_allow_anonymous_access  # as package_show: anonymous visitors see the tables of public datasets
def hhs_lakehouse_table_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _see(context, data_dict)


@tk.auth_allow_anonymous_access
def hhs_lakehouse_table_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # the action lists only the tables of datasets the caller may see


def hhs_lakehouse_column_suggest(context: Context, data_dict: DataDict) -> AuthResult:
    return _edit(context, data_dict)


def hhs_lakehouse_column_confirm(context: Context, data_dict: DataDict) -> AuthResult:
    return _edit(context, data_dict)


@tk.auth_allow_anonymous_access
def hhs_lakehouse_join_keys(context: Context, data_dict: DataDict) -> AuthResult:
    return _see(context, data_dict)


def _logged_in(context: Context) -> bool:
    user = model.User.get(context.get("user") or "")
    return user is not None and user.state == "active"


def hhs_lakehouse_preview(context: Context, data_dict: DataDict) -> AuthResult:
    if not _logged_in(context):
        return {"success": False, "msg": tk._("Log in to preview tables")}
    seen = _see(context, data_dict)
    if not seen["success"]:
        return seen
    package_id = _package_id(data_dict)
    if package_id is None:
        return _OK
    package = model.Package.get(package_id)
    phi = package.extras.get("phi_classification") if package else None
    if phi == "identifiable-phi":
        row = model.Session.get(lm.LakehouseTable, str(data_dict.get("id")))
        if not (row and row.allow_phi_preview):
            return {
                "success": False,
                "msg": tk._("This dataset holds identifiable PHI and its table does not allow previews"),
            }
    return _OK


def hhs_lakehouse_query(context: Context, data_dict: DataDict) -> AuthResult:
    # Each table the query names is checked by the action with hhs_lakehouse_preview's rule.
    if not _logged_in(context):
        return {"success": False, "msg": tk._("Log in to query tables")}
    return _OK
