"""Auth functions of the glossary, one per action.

Reading approved and deprecated terms is open to everyone; drafts and reviews to logged-in users.
Anyone logged in proposes terms and changes; the Data Governance Board's reviewers (members of the
`ckanext.hhs.governance_org` organization with at least the `ckanext.hhs.glossary.reviewer_role`
role) approve, reject and deprecate, never their own proposals.
"""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.hhs import config as core_config

from .. import config
from .. import model as gm

__all__ = [
    "hhs_glossary_import",
    "hhs_glossary_review_queue",
    "hhs_glossary_revision_compare",
    "hhs_glossary_revision_list",
    "hhs_glossary_term_approve",
    "hhs_glossary_term_autocomplete",
    "hhs_glossary_term_columns",
    "hhs_glossary_term_create",
    "hhs_glossary_term_datasets",
    "hhs_glossary_term_deprecate",
    "hhs_glossary_term_list",
    "hhs_glossary_term_propose",
    "hhs_glossary_term_reject",
    "hhs_glossary_term_search",
    "hhs_glossary_term_show",
    "hhs_glossary_term_similar",
    "hhs_glossary_term_update",
]

_ROLES = {"member": 1, "editor": 2, "admin": 3}
_OK: AuthResult = {"success": True}


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


def _term(data_dict: DataDict) -> gm.Term | None:
    return gm.Term.by_slug_or_id(str(data_dict.get("id") or ""))


def _visible(context: Context, data_dict: DataDict) -> AuthResult:
    term = _term(data_dict)
    if term is None or term.status in ("approved", "deprecated") or context.get("user"):
        return _OK  # a missing term is the action's 404
    return {"success": False, "msg": tk._("Log in to see terms that are not approved yet")}


@tk.auth_allow_anonymous_access
def hhs_glossary_term_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _visible(context, data_dict)


@tk.auth_allow_anonymous_access
def hhs_glossary_term_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # the action lists approved and deprecated terms only to anonymous users


@tk.auth_allow_anonymous_access
def hhs_glossary_term_search(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK


@tk.auth_allow_anonymous_access
def hhs_glossary_term_autocomplete(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # approved terms only


@tk.auth_allow_anonymous_access
def hhs_glossary_term_datasets(context: Context, data_dict: DataDict) -> AuthResult:
    return _visible(context, data_dict)  # the search shows each viewer only the datasets they may see


@tk.auth_allow_anonymous_access
def hhs_glossary_term_columns(context: Context, data_dict: DataDict) -> AuthResult:
    return _visible(context, data_dict)  # the search shows each viewer only the datasets they may see


@tk.auth_allow_anonymous_access
def hhs_glossary_revision_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _visible(context, data_dict)


@tk.auth_allow_anonymous_access
def hhs_glossary_revision_compare(context: Context, data_dict: DataDict) -> AuthResult:
    return _visible(context, data_dict)


def hhs_glossary_term_similar(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # logged-in users: it names draft terms too


def hhs_glossary_term_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # anyone logged in may propose a term (CKAN refuses anonymous users by default)


def hhs_glossary_term_update(context: Context, data_dict: DataDict) -> AuthResult:
    return _OK  # anyone logged in; the action decides between editing and proposing a change


def hhs_glossary_term_propose(context: Context, data_dict: DataDict) -> AuthResult:
    term, user = _term(data_dict), model.User.get(context.get("user") or "")
    if term is None or user is None or is_reviewer(user.name) or may_edit(user, term):
        return _OK
    return {
        "success": False,
        "msg": tk._("Only the term's proposer, owners or steward division may send it for review"),
    }


def _review(context: Context, data_dict: DataDict) -> AuthResult:
    user_name = context.get("user")
    if not is_reviewer(user_name):
        return {"success": False, "msg": tk._("Only reviewers of the Data Governance Board may do this")}
    term, user = _term(data_dict), model.User.get(user_name or "")
    if term is None or user is None:
        return _OK
    if data_dict.get("revision"):
        author = (
            model.Session.query(gm.Revision.user_id)
            .filter(gm.Revision.term_id == term.id, gm.Revision.number == tk.asint(data_dict["revision"]))
            .scalar()
        )
    else:
        author = term.proposed_by
    if author == user.id:
        return {"success": False, "msg": tk._("You cannot review your own proposal; another reviewer must")}
    return _OK


def hhs_glossary_term_approve(context: Context, data_dict: DataDict) -> AuthResult:
    return _review(context, data_dict)


def hhs_glossary_term_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _review(context, data_dict)


def hhs_glossary_term_deprecate(context: Context, data_dict: DataDict) -> AuthResult:
    if is_reviewer(context.get("user")):
        return _OK
    return {"success": False, "msg": tk._("Only reviewers of the Data Governance Board may deprecate terms")}


def hhs_glossary_review_queue(context: Context, data_dict: DataDict) -> AuthResult:
    if is_reviewer(context.get("user")):
        return _OK
    return {"success": False, "msg": tk._("The review queue is for reviewers of the Data Governance Board")}


def hhs_glossary_import(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins may import glossary terms")}
