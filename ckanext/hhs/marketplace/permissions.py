"""Who may decide what in the marketplace: used by the auth functions, the actions and the templates."""

from __future__ import annotations

import ckan.model as model
from ckan import authz

from ckanext.hhs import roles

_ROLES = roles.ROLES
user_of, role_in, division_ids = roles.user_of, roles.role_in, roles.division_ids


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


def opens_at_once(component_refs: list[str] | None) -> bool:
    """A product whose components are all open to HHS staff (active and not private) needs no decision:
    a request for it is approved at once, without purpose, end date or terms. A product with no component
    in the hub (an API or a share run elsewhere) is decided as usual."""
    found = [model.Package.get(ref) for ref in component_refs or [] if isinstance(ref, str)]
    active = [pkg for pkg in found if pkg is not None and pkg.state == "active"]
    return bool(active) and not any(pkg.private for pkg in active)
