"""Auth functions of data needs: every logged-in person sees, posts and answers them; the poster closes."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ... import model as mm
from ... import permissions


@permissions.staff
def hhs_marketplace_need_create(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK


@permissions.staff
def hhs_marketplace_need_show(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK


@permissions.staff
def hhs_marketplace_need_list(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK


@permissions.staff
def hhs_marketplace_need_answer(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # the answer names only datasets the answerer may see


@permissions.staff
def hhs_marketplace_need_close(context: Context, data_dict: DataDict) -> AuthResult:
    need = permissions.get_object(mm.Need, data_dict)
    user = permissions.user_of(context)
    if need is None or (user is not None and (need.posted_by == user.id or authz.is_sysadmin(user.name))):
        return permissions.OK
    return permissions.refuse(tk._("Only the person who posted the need may close it"))
