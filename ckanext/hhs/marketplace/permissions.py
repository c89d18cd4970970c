"""Who may decide what in the marketplace: used by the auth functions, the actions and the templates.

Every marketplace auth function but the public usage figures is for logged-in staff (``@staff``): CKAN
2.11 gives anonymous API callers an AnonymousUser object, which its own "must be logged in" check lets
through. Objects that do not exist pass the auth functions so that the action answers 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.hhs import roles

from . import model as mm

_ROLES = roles.ROLES
user_of, role_in, division_ids = roles.user_of, roles.role_in, roles.division_ids

OK: AuthResult = {"success": True}


def is_steward(org_id: str | None, user_name: str | None) -> bool:
    """An editor or admin of the division (or a sysadmin): decides the division's access requests."""
    return bool(user_name) and (authz.is_sysadmin(user_name) or role_in(org_id, user_name) >= 2)


def is_second_level(org_id: str | None, user_name: str | None) -> bool:
    """Second-level approvers: the division's admins and the Data Governance Board's editors and admins."""
    if not user_name:
        return False
    if authz.is_sysadmin(user_name) or role_in(org_id, user_name) >= 3:
        return True
    return roles.board_role(user_name) >= _ROLES["editor"]


def is_board(user_name: str | None) -> bool:
    """A member of the Data Governance Board (any role), or a sysadmin: reads every data-use record."""
    return bool(user_name) and roles.board_role(user_name) >= _ROLES["member"]


def is_party(request: mm.AccessRequest, user: model.User | None) -> bool:
    """The requester, or one of those who decide the request."""
    return user is not None and (
        request.requester_id == user.id
        or is_steward(request.owner_org_id, user.name)
        or (request.second_level and is_second_level(request.owner_org_id, user.name))
    )


def opens_at_once(component_refs: list[str] | None) -> bool:
    """A product whose components are all open to HHS staff (active and not private) needs no decision:
    a request for it is approved at once, without purpose, end date or terms. A product with no component
    in the hub (an API or a share run elsewhere) is decided as usual."""
    found = [model.Package.get(ref) for ref in component_refs or [] if isinstance(ref, str)]
    active = [pkg for pkg in found if pkg is not None and pkg.state == "active"]
    return bool(active) and not any(pkg.private for pkg in active)


# ---------------------------------------------------------------- for the auth functions


def refuse(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}


def staff(auth: Callable[[Context, DataDict], AuthResult]) -> Callable[[Context, DataDict], AuthResult]:
    """Refuse callers who are not logged in, before the function's own check."""

    @functools.wraps(auth)
    def wrapped(context: Context, data_dict: DataDict) -> AuthResult:
        if user_of(context) is None:
            return refuse(tk._("You must be logged in"))
        return auth(context, data_dict)

    return wrapped


def get_object(table: type, data_dict: DataDict, key: str = "id") -> object | None:
    """The object the call names, or None (also for text the database cannot hold: the action's
    validation then answers with an error naming the field)."""
    ref = data_dict.get(key)
    if not isinstance(ref, str) or not ref or "\x00" in ref:
        return None
    return model.Session.get(table, ref)


def org_named(data_dict: DataDict, key: str) -> model.Group | None:
    ref = data_dict.get(key)
    if not isinstance(ref, str) or not ref or "\x00" in ref:
        return None
    return model.Group.get(ref)
