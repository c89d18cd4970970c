"""Auth functions of the marketplace, one per action.

Logged-in staff request access, post needs and search licences. Only editors and admins of a
product's division (or sysadmins) decide its requests, never their own; a restricted product's second
approval is for the division's admins and the Data Governance Board. A requester sees only their own
requests. Objects that do not exist pass here so that the action answers 404.

Every auth function but the public usage figures is for logged-in staff (``@_staff``): CKAN 2.11 gives
anonymous API callers an AnonymousUser object, which its own "must be logged in" check lets through.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from .. import model as mm
from .. import permissions

_OK: AuthResult = {"success": True}


def _no(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}


def _staff(auth: Callable[[Context, DataDict], AuthResult]) -> Callable[[Context, DataDict], AuthResult]:
    """Refuse callers who are not logged in, before the function's own check."""

    @functools.wraps(auth)
    def wrapped(context: Context, data_dict: DataDict) -> AuthResult:
        if permissions.user_of(context) is None:
            return _no(tk._("You must be logged in"))
        return auth(context, data_dict)

    return wrapped


def _get(table: type, data_dict: DataDict, key: str = "id") -> object | None:
    """The object the call names, or None (also for text the database cannot hold: the action's
    validation then answers with an error naming the field)."""
    ref = data_dict.get(key)
    if not isinstance(ref, str) or not ref or "\x00" in ref:
        return None
    return model.Session.get(table, ref)


def _request(data_dict: DataDict) -> mm.AccessRequest | None:
    return _get(mm.AccessRequest, data_dict)  # type: ignore[return-value]


def _user(context: Context) -> model.User | None:
    return permissions.user_of(context)


def _org(data_dict: DataDict, key: str) -> model.Group | None:
    ref = data_dict.get(key)
    if not isinstance(ref, str) or not ref or "\x00" in ref:
        return None
    return model.Group.get(ref)


# ---------------------------------------------------------------- access requests


@_staff
def hhs_marketplace_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # anyone logged in


@_staff
def hhs_marketplace_request_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # the action lists the caller's own requests and the queue the caller decides


@_staff
def hhs_marketplace_grant_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # the action lists the caller's own grants only


def _party(request: mm.AccessRequest, user: model.User | None) -> bool:
    """The requester, or one of those who decide the request."""
    return user is not None and (
        request.requester_id == user.id
        or permissions.is_steward(request.owner_org_id, user.name)
        or (request.second_level and permissions.is_second_level(request.owner_org_id, user.name))
    )


@_staff
def hhs_marketplace_request_show(context: Context, data_dict: DataDict) -> AuthResult:
    request, user = _request(data_dict), _user(context)
    if request is None or _party(request, user):
        return _OK
    return _no(tk._("Only the requester and the product's stewards may see this request"))


def _decider(context: Context, data_dict: DataDict, second_level_may: bool) -> AuthResult:
    request, user = _request(data_dict), _user(context)
    if request is None or user is None:
        return _OK if request is None else _no(tk._("You must be logged in"))
    if request.requester_id == user.id:
        return _no(tk._("You cannot decide your own request"))
    if request.status == "awaiting_second" and second_level_may:
        if request.first_decided_by == user.id:
            return _no(tk._("The second approval must come from someone else than the first"))
        if permissions.is_second_level(request.owner_org_id, user.name):
            return _OK
        return _no(tk._("Only the division's admins or the Data Governance Board give the second approval"))
    if permissions.is_steward(request.owner_org_id, user.name):
        return _OK
    return _no(tk._("Only editors and admins of the product's division decide its access requests"))


@_staff
def hhs_marketplace_request_approve(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=True)


@_staff
def hhs_marketplace_request_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=True)


@_staff
def hhs_marketplace_request_ask_info(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=True)


@_staff
def hhs_marketplace_request_extend(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=False)


@_staff
def hhs_marketplace_request_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    return _decider(context, data_dict, second_level_may=False)


def _requester(context: Context, data_dict: DataDict) -> AuthResult:
    request, user = _request(data_dict), _user(context)
    if request is None or (user is not None and request.requester_id == user.id):
        return _OK
    return _no(tk._("Only the requester may do this"))


@_staff
def hhs_marketplace_request_respond(context: Context, data_dict: DataDict) -> AuthResult:
    return _requester(context, data_dict)


@_staff
def hhs_marketplace_request_withdraw(context: Context, data_dict: DataDict) -> AuthResult:
    return _requester(context, data_dict)


@_staff
def hhs_marketplace_use_record_show(context: Context, data_dict: DataDict) -> AuthResult:
    request, user = _request(data_dict), _user(context)
    if request is None or _party(request, user) or (user is not None and permissions.is_board(user.name)):
        return _OK
    return _no(tk._("Only the requester, the product's stewards and the Data Governance Board may read this record"))


@_staff
def hhs_marketplace_use_record_export(context: Context, data_dict: DataDict) -> AuthResult:
    if permissions.is_board(context.get("user")):
        return _OK
    return _no(tk._("Only the Data Governance Board exports the data-use records"))


@_staff
def hhs_marketplace_grants_expire(context: Context, data_dict: DataDict) -> AuthResult:
    return _no(tk._("Only sysadmins may run the grant expiry"))


@_staff
def hhs_marketplace_component_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # components of a product the caller may see (the action checks that)


@tk.auth_allow_anonymous_access
def hhs_marketplace_product_usage(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # aggregates of a product the caller may see (the action checks that)


# ---------------------------------------------------------------- licences


@_staff
def hhs_marketplace_licence_create(context: Context, data_dict: DataDict) -> AuthResult:
    holder = _org(data_dict, "holder")
    if holder is None or permissions.is_steward(holder.id, context.get("user")):
        return _OK  # a missing holder is the action's validation error
    return _no(tk._("Only editors and admins of the holder division record its licences"))


@_staff
def hhs_marketplace_licence_update(context: Context, data_dict: DataDict) -> AuthResult:
    licence = _get(mm.Licence, data_dict)
    if licence is None:
        return _OK
    user = context.get("user")
    if not permissions.is_steward(licence.holder_org_id, user):
        return _no(tk._("Only editors and admins of the holder division change its licences"))
    # Handing a licence to another division records it in that division's name: only its stewards may.
    new_holder = _org(data_dict, "holder")
    if (
        new_holder is not None
        and new_holder.id != licence.holder_org_id
        and not permissions.is_steward(new_holder.id, user)
    ):
        return _no(tk._("Only editors and admins of the new holder division may take over a licence"))
    return _OK


@_staff
def hhs_marketplace_licence_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # staff


@_staff
def hhs_marketplace_licence_search(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK


@_staff
def hhs_marketplace_licence_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # for a division they belong to (the action checks)


def _licence_holder(context: Context, data_dict: DataDict) -> AuthResult:
    ask = _get(mm.LicenceRequest, data_dict)
    if ask is None:
        return _OK
    licence = model.Session.get(mm.Licence, ask.licence_id)
    if permissions.is_steward(licence.holder_org_id, context.get("user")):
        return _OK
    return _no(tk._("Only editors and admins of the licence holder decide who it covers"))


@_staff
def hhs_marketplace_licence_request_approve(context: Context, data_dict: DataDict) -> AuthResult:
    return _licence_holder(context, data_dict)


@_staff
def hhs_marketplace_licence_request_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _licence_holder(context, data_dict)


@_staff
def hhs_marketplace_licence_remind(context: Context, data_dict: DataDict) -> AuthResult:
    return _no(tk._("Only sysadmins may send licence renewal reminders"))


# ---------------------------------------------------------------- needs


@_staff
def hhs_marketplace_need_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK


@_staff
def hhs_marketplace_need_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK


@_staff
def hhs_marketplace_need_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK


@_staff
def hhs_marketplace_need_answer(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # the answer names only datasets the answerer may see


@_staff
def hhs_marketplace_need_close(context: Context, data_dict: DataDict) -> AuthResult:
    need = _get(mm.Need, data_dict)
    user = _user(context)
    if need is None or (user is not None and (need.posted_by == user.id or authz.is_sysadmin(user.name))):
        return _OK
    return _no(tk._("Only the person who posted the need may close it"))


# ---------------------------------------------------------------- metrics


@_staff
def hhs_marketplace_metrics(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # aggregates only
