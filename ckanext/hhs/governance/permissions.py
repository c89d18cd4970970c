"""Who may see and decide what on the governance dashboard: used by auth functions, actions, templates.

Board members (any role in the governance organization) and sysadmins see every figure, also those
drawn from private datasets of every division: that is the Board's remit, by design. Deciding
(resolving duplicates, setting the authoritative flag, closing gaps) takes the editor role or higher.
"""

from __future__ import annotations

import ckan.model as model
from ckan import authz
from ckan.types import AuthResult, Context

from ckanext.hhs import roles

OK: AuthResult = {"success": True}
user_of, board_role = roles.user_of, roles.board_role


def is_board_member(user: model.User | None) -> bool:
    """May see the dashboard and every figure on it."""
    return board_role(user) >= roles.ROLES["member"]


def may_decide(user: model.User | None) -> bool:
    """May change what the Board decides: duplicate pairs, authoritative sources, gaps."""
    return board_role(user) >= roles.ROLES["editor"]


def may_edit_dataset(user: model.User | None, package_id: str) -> bool:
    """A division's editor of the dataset (or a sysadmin): who accepts a quality suggestion."""
    return user is not None and authz.is_authorized_boolean(
        "package_update", {"user": user.name, "model": model}, {"id": package_id}
    )


def refuse(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}


def board_sees(context: Context, msg: str) -> AuthResult:
    """Auth answer: board members and sysadmins pass, everyone else gets `msg`."""
    return OK if is_board_member(user_of(context)) else refuse(msg)


def board_decides(context: Context, msg: str) -> AuthResult:
    """Auth answer: board editors, admins and sysadmins pass, everyone else gets `msg`."""
    return OK if may_decide(user_of(context)) else refuse(msg)
