"""Auth functions of access requests. Only editors and admins of a product's division (or sysadmins)
decide its requests, never their own; a restricted product's second approval is for the division's
admins and the Data Governance Board. A requester sees only their own requests. A request that does
not exist passes here so that the action answers 404."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ... import model as mm
from ... import permissions


def _request(data_dict: DataDict) -> mm.AccessRequest | None:
    return permissions.get_object(mm.AccessRequest, data_dict)  # type: ignore[return-value]


@permissions.staff
def hhs_marketplace_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # anyone logged in


@permissions.staff
def hhs_marketplace_request_list(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # the action lists the caller's own requests and the queue the caller decides


@permissions.staff
def hhs_marketplace_grant_list(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # the action lists the caller's own grants only


@permissions.staff
def hhs_marketplace_request_show(context: Context, data_dict: DataDict) -> AuthResult:
    request, user = _request(data_dict), permissions.user_of(context)
    if request is None or permissions.is_party(request, user):
        return permissions.OK
    return permissions.refuse(tk._("Only the requester and the product's stewards may see this request"))


def _decider(context: Context, data_dict: DataDict, second_level_may: bool) -> AuthResult:
    request, user = _request(data_dict), permissions.user_of(context)
    if request is None or user is None:
        return permissions.OK if request is None else permissions.refuse(tk._("You must be logged in"))
    if request.requester_id == user.id:
        return permissions.refuse(tk._("You cannot decide your own request"))
    if request.status == "awaiting_second" and second_level_may:
        if request.first_decided_by == user.id:
            return permissions.refuse(tk._("The second approval must come from someone else than the first"))
        if permissions.is_second_level(request.owner_org_id, user.name):
            return permissions.OK
        return permissions.refuse(
            tk._("Only the division's admins or the Data Governance Board give the second approval")
        )
    if permissions.is_steward(request.owner_org_id, user.name):
        return permissions.OK
    return permissions.refuse(tk._("Only editors and admins of the product's division decide its access requests"))


@permissions.staff
def hhs_marketplace_request_approve(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=True)


@permissions.staff
def hhs_marketplace_request_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=True)


@permissions.staff
def hhs_marketplace_request_ask_info(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=True)


@permissions.staff
def hhs_marketplace_request_extend(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=False)


@permissions.staff
def hhs_marketplace_request_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=False)


def _requester(context: Context, data_dict: DataDict) -> AuthResult:
    request, user = _request(data_dict), permissions.user_of(context)
    if request is None or (user is not None and request.requester_id == user.id):
        return permissions.OK
    return permissions.refuse(tk._("Only the requester may do this"))


@permissions.staff
def hhs_marketplace_request_respond(context: Context, data_dict: DataDict) -> AuthResult:
    return _requester(context, data_dict)


@permissions.staff
def hhs_marketplace_request_withdraw(context: Context, data_dict: DataDict) -> AuthResult:
    return _requester(context, data_dict)


@permissions.staff
def hhs_marketplace_grants_expire(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.refuse(tk._("Only sysadmins may run the grant expiry"))
