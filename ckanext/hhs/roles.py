"""Who a caller is and what role they hold in a division or on the Data Governance Board: one place
for the glossary's, the marketplace's and the governance dashboard's permission rules."""

from __future__ import annotations

import ckan.model as model
from ckan import authz
from ckan.logic import NotFound as ObjectNotFound

from ckanext.hhs import config
from ckanext.hhs.context import db_key

ROLES = {"member": 1, "editor": 2, "admin": 3}


def user_of(context: dict) -> model.User | None:
    """The logged-in user of an action's context, or None. CKAN 2.11 hands anonymous callers an
    AnonymousUser object as ``auth_user_obj``, so a non-empty context proves nothing: ask this."""
    return _user(context.get("user"))


def _user(user: model.User | str | None) -> model.User | None:
    """A user given as an object or by name (a name PostgreSQL cannot look up counts as no user)."""
    if user is None or isinstance(user, model.User):
        return user
    key = db_key(user) if isinstance(user, str) else ""
    return model.User.get(key) if key else None


def role_in(org_id: str | None, user: model.User | str | None) -> int:
    """The user's role in an organization as a number (0 none, 1 member, 2 editor, 3 admin)."""
    user = _user(user)
    if not org_id or user is None:
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
    return ROLES.get(capacity or "", 0)


def board_role(user: model.User | str | None) -> int:
    """The user's role on the Data Governance Board as a number; sysadmins count as admins."""
    user = _user(user)
    if user is None:
        return 0
    if user.sysadmin:
        return ROLES["admin"]
    board = model.Group.get(config.governance_org())
    return role_in(board.id, user) if board is not None else 0


def division_ids(user: model.User | str | None, least: int = 1) -> list[str]:
    """The active organizations the user belongs to with at least the given role (1 member, 2 editor,
    3 admin)."""
    return [division.id for division, _role in memberships(user, least)]


def memberships(user: model.User | str | None, least: int = 1) -> list[tuple[model.Group, str]]:
    """The active organizations the user belongs to with at least the given role (1 member, 2 editor,
    3 admin), each with the role held ("member", "editor", "admin"), by title."""
    user = _user(user)
    if user is None:
        return []
    rows = (
        model.Session.query(model.Group, model.Member.capacity)
        .join(model.Member, model.Member.group_id == model.Group.id)
        .filter(
            model.Member.table_id == user.id,
            model.Member.table_name == "user",
            model.Member.state == "active",
            model.Group.is_organization.is_(True),
            model.Group.state == "active",
        )
        .order_by(model.Group.title)
        .all()
    )
    return [(division, capacity) for division, capacity in rows if ROLES.get(capacity, 0) >= least]


def may_read(user: model.User | str | None, package_id: str) -> bool:
    """May the user open the dataset (CKAN's package_show auth, drafts and private ones included)?
    None or an unknown name is an anonymous visitor; an unknown dataset is one nobody may open. The one
    answer every feature asks (listings, products, gaps, duplicates, tables)."""
    found = _user(user)
    context = {"user": found.name if found else "", "model": model, "auth_user_obj": found}
    try:
        return authz.is_authorized_boolean("package_show", context, {"id": db_key(package_id)})
    except ObjectNotFound:
        return False
