"""Who may review and edit glossary terms: used by the auth functions, the actions and the templates."""

from __future__ import annotations

import sqlalchemy as sa

import ckan.model as model
from ckan import authz

from ckanext.hhs import roles

from . import config
from . import model as gm


def is_reviewer(user_name: str | None) -> bool:
    """A member of the governance board with the reviewer role (or a sysadmin)."""
    return roles.board_role(user_name) >= roles.ROLES[config.reviewer_role()]


def may_edit(user: model.User, term: gm.Term) -> bool:
    """The proposer, an owner, or an editor of the steward division."""
    if term.proposed_by == user.id or user.name in (term.owners or []):
        return True
    return bool(term.steward_org_id) and authz.has_user_permission_for_group_or_org(
        term.steward_org_id, user.name, "update"
    )


PUBLIC_STATUSES = ("approved", "deprecated")


user_of = roles.user_of


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
