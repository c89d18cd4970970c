"""Who may see and decide what on the governance dashboard: used by auth functions, actions, templates.

Board members (any role in the governance organization) and sysadmins see every figure, also those
drawn from private datasets of every division: that is the Board's remit, by design. Deciding
(resolving duplicates, setting the authoritative flag, closing gaps) takes the editor role or higher.
"""

from __future__ import annotations

import ckan.model as model
from ckan import authz

from ckanext.hhs import config as core_config

_ROLES = {"member": 1, "editor": 2, "admin": 3}


def user_of(context: dict) -> model.User | None:
    """The logged-in user of an action's context, or None (CKAN 2.11 gives anonymous callers an
    AnonymousUser object, so a non-empty context proves nothing)."""
    name = context.get("user") or ""
    if not isinstance(name, str) or "\x00" in name:
        return None
    return model.User.get(name) or None


def board_role(user: model.User | None) -> int:
    """The user's role on the Data Governance Board as a number (0 none, 1 member, 2 editor, 3 admin;
    sysadmins count as admins)."""
    if user is None:
        return 0
    if user.sysadmin:
        return _ROLES["admin"]
    board = model.Group.get(core_config.governance_org())
    if board is None:
        return 0
    capacity = (
        model.Session.query(model.Member.capacity)
        .filter(
            model.Member.group_id == board.id,
            model.Member.table_id == user.id,
            model.Member.table_name == "user",
            model.Member.state == "active",
        )
        .scalar()
    )
    return _ROLES.get(capacity or "", 0)


def is_board_member(user: model.User | None) -> bool:
    """May see the dashboard and every figure on it."""
    return board_role(user) >= _ROLES["member"]


def may_decide(user: model.User | None) -> bool:
    """May change what the Board decides: duplicate pairs, authoritative sources, gaps."""
    return board_role(user) >= _ROLES["editor"]


def may_edit_dataset(user: model.User | None, package_id: str) -> bool:
    """A division's editor of the dataset (or a sysadmin): who accepts a quality suggestion."""
    return user is not None and authz.is_authorized_boolean(
        "package_update", {"user": user.name, "model": model}, {"id": package_id}
    )
