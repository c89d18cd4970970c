"""Who may decide what in the marketplace: used by the auth functions, the actions and the templates."""

from __future__ import annotations

import ckan.model as model
from ckan import authz

from ckanext.hhs import roles

_ROLES = roles.ROLES
user_of, role_in = roles.user_of, roles.role_in


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
