"""Auth functions of licences: staff search and ask; the holder division's editors and admins record,
change and decide."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ... import model as mm
from ... import permissions


@permissions.staff
def hhs_marketplace_licence_create(context: Context, data_dict: DataDict) -> AuthResult:
    holder = permissions.org_named(data_dict, "holder")
    if holder is None or permissions.is_steward(holder.id, context.get("user")):
        return permissions.OK  # a missing holder is the action's validation error
    return permissions.refuse(tk._("Only editors and admins of the holder division record its licences"))


@permissions.staff
def hhs_marketplace_licence_update(context: Context, data_dict: DataDict) -> AuthResult:
    licence = permissions.get_object(mm.Licence, data_dict)
    if licence is None:
        return permissions.OK
    user = context.get("user")
    if not permissions.is_steward(licence.holder_org_id, user):
        return permissions.refuse(tk._("Only editors and admins of the holder division change its licences"))
    # Handing a licence to another division records it in that division's name: only its stewards may.
    new_holder = permissions.org_named(data_dict, "holder")
    if (
        new_holder is not None
        and new_holder.id != licence.holder_org_id
        and not permissions.is_steward(new_holder.id, user)
    ):
        return permissions.refuse(tk._("Only editors and admins of the new holder division may take over a licence"))
    return permissions.OK


@permissions.staff
def hhs_marketplace_licence_show(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # staff


@permissions.staff
def hhs_marketplace_licence_search(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK


@permissions.staff
def hhs_marketplace_licence_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # for a division they belong to (the action checks)


def _licence_holder(context: Context, data_dict: DataDict) -> AuthResult:
    ask = permissions.get_object(mm.LicenceRequest, data_dict)
    if ask is None:
        return permissions.OK
    licence = model.Session.get(mm.Licence, ask.licence_id)
    if permissions.is_steward(licence.holder_org_id, context.get("user")):
        return permissions.OK
    return permissions.refuse(tk._("Only editors and admins of the licence holder decide who it covers"))


@permissions.staff
def hhs_marketplace_licence_request_approve(context: Context, data_dict: DataDict) -> AuthResult:
    return _licence_holder(context, data_dict)


@permissions.staff
def hhs_marketplace_licence_request_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _licence_holder(context, data_dict)


@permissions.staff
def hhs_marketplace_licence_remind(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.refuse(tk._("Only sysadmins may send licence renewal reminders"))
