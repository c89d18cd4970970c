"""Auth functions of the core actions, one per action."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict


def hhs_divisions_seed(context: Context, data_dict: DataDict) -> AuthResult:
    # Only sysadmins create organizations for the whole department.
    return {"success": authz.is_sysadmin(context.get("user")), "msg": tk._("Only sysadmins may seed divisions")}


@tk.auth_allow_anonymous_access
def hhs_vocabulary_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def hhs_dataset_completeness(context: Context, data_dict: DataDict) -> AuthResult:
    return authz.is_authorized("package_show", context, data_dict)
