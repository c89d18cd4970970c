"""Who may decide what in the marketplace: used by the auth functions, the actions and the templates."""

from __future__ import annotations

import ckan.model as model
from ckan import authz

from ckanext.hhs import config as core_config

_ROLES = {"member": 1, "editor": 2, "admin": 3}


def user_of(context: dict) -> model.User | None:
    """The logged-in user of an action's context, or None. CKAN 2.11 hands anonymous API callers an
    AnonymousUser object as ``auth_user_obj``, so CKAN's own "not logged in" check lets them through:
    every marketplace auth function asks this instead."""
    name = context.get("user") or ""
    if not isinstance(name, str) or "\x00" in name:
        return None
    return model.User.get(name) or None


def role_in(org_id: str | None, user_name: str | None) -> int:
    """The user's role in an organization as a number (0: none, 1 member, 2 editor, 3 admin)."""
    if not org_id or not user_name:
        return 0
    user = model.User.get(user_name)
    if user is None:
        return 0
    capacity = (
        model.Session.query(model.Member.capacity)
        .filter(
            model.Member.group_id == org_id,
            model.Member.table_id == user.id,
            model.Member.table_name == "user",
            model.Member.state == "active",
        )
        .scalar()
    )
    return _ROLES.get(capacity or "", 0)


def is_steward(org_id: str | None, user_name: str | None) -> bool:
    """An editor or admin of the division (or a sysadmin): decides the division's access requests."""
    return bool(user_name) and (authz.is_sysadmin(user_name) or role_in(org_id, user_name) >= 2)


def is_second_level(org_id: str | None, user_name: str | None) -> bool:
    """Second-level approvers: the division's admins and the Data Governance Board's editors and admins."""
    if not user_name:
        return False
    if authz.is_sysadmin(user_name) or role_in(org_id, user_name) >= 3:
        return True
    board = model.Group.get(core_config.governance_org())
    return board is not None and role_in(board.id, user_name) >= 2


def division_ids(user_name: str | None, least: int = 1) -> list[str]:
    """The organizations the user belongs to with at least the given role."""
    user = model.User.get(user_name or "")
    if user is None:
        return []
    rows = (
        model.Session.query(model.Member.group_id, model.Member.capacity)
        .join(model.Group, model.Group.id == model.Member.group_id)
        .filter(
            model.Member.table_id == user.id,
            model.Member.table_name == "user",
            model.Member.state == "active",
            model.Group.is_organization.is_(True),
            model.Group.state == "active",
        )
        .all()
    )
    return [gid for gid, capacity in rows if _ROLES.get(capacity, 0) >= least]
