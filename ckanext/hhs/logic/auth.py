"""Auth functions of the core actions, one per action."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthFunction, AuthResult, Context, DataDict


def hhs_divisions_seed(context: Context, data_dict: DataDict) -> AuthResult:
    # Only sysadmins create organizations for the whole department.
    return {"success": authz.is_sysadmin(context.get("user")), "msg": tk._("Only sysadmins may seed divisions")}


@tk.auth_allow_anonymous_access
def hhs_vocabulary_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def hhs_dataset_completeness(context: Context, data_dict: DataDict) -> AuthResult:
    return authz.is_authorized("package_show", context, data_dict)


@tk.auth_allow_anonymous_access
def hhs_resource_guess(context: Context, data_dict: DataDict) -> AuthResult:
    # It reads nothing but the link it is given.
    return {"success": True}


# CKAN's refusals of package_show and package_update name the dataset's id ("User x not authorized to
# read package <id>"): asked by URL name, a dataset the caller may not see would give its id away.
@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    return _without_id(next_auth(context, data_dict), tk._("You may not see this dataset"))


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_update(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    return _without_id(next_auth(context, data_dict), tk._("You may not edit this dataset"))


def _without_id(result: AuthResult, msg: str) -> AuthResult:
    return result if result.get("success") else {**result, "msg": msg}
