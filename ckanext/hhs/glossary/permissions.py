"""Who may review and edit glossary terms: used by the auth functions, the actions and the templates."""

from __future__ import annotations

import sqlalchemy as sa

import ckan.model as model
from ckan import authz

from ckanext.hhs import config as core_config

from . import config
from . import model as gm

_ROLES = {"member": 1, "editor": 2, "admin": 3}


def is_reviewer(user_name: str | None) -> bool:
    """A member of the governance board with the reviewer role (or a sysadmin)."""
    if not user_name:
        return False
    if authz.is_sysadmin(user_name):
        return True
    user = model.User.get(user_name)
    board = model.Group.get(core_config.governance_org())
    if user is None or board is None:
        return False
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
    return _ROLES.get(capacity or "", 0) >= _ROLES[config.reviewer_role()]


def may_edit(user: model.User, term: gm.Term) -> bool:
    """The proposer, an owner, or an editor of the steward division."""
    if term.proposed_by == user.id or user.name in (term.owners or []):
        return True
    return bool(term.steward_org_id) and authz.has_user_permission_for_group_or_org(
        term.steward_org_id, user.name, "update"
    )


PUBLIC_STATUSES = ("approved", "deprecated")


def user_of(context: dict) -> model.User | None:
    """The logged-in user of an action's context, or None. CKAN 2.11 passes anonymous callers an
    AnonymousUser object, so the context being "not empty" proves nothing."""
    return model.User.get(context.get("user") or "") or None


def may_see(user: model.User | None, term: gm.Term) -> bool:
    """Approved and deprecated terms are public; terms in review or rejected are for staff (anyone
    logged in); a draft is for those who may edit it and for the board's reviewers."""
    if term.status in PUBLIC_STATUSES:
        return True
    if user is None:
        return False
    return term.status != "draft" or may_edit(user, term) or is_reviewer(user.name)


def visible(user: model.User | None) -> sa.ColumnElement[bool]:
    """may_see as a filter on a query of terms."""
    if user is None:
        return gm.Term.status.in_(PUBLIC_STATUSES)
    if is_reviewer(user.name):
        return sa.true()
    stewards = [
        g.id
        for g in user.get_groups(group_type="organization")
        if authz.has_user_permission_for_group_or_org(g.id, user.name, "update")
    ]
    return sa.or_(
        gm.Term.status != "draft",
        gm.Term.proposed_by == user.id,
        gm.Term.owners.contains([user.name]),
        gm.Term.steward_org_id.in_(stewards),
    )
