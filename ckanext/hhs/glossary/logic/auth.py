"""Auth functions of the glossary, one per action.

Reading approved and deprecated terms is open to everyone; drafts and reviews to logged-in users.
Anyone logged in proposes terms and changes; the Data Governance Board's reviewers (members of the
`ckanext.hhs.governance_org` organization with at least the `ckanext.hhs.glossary.reviewer_role`
role) approve, reject and deprecate, never their own proposals.
"""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from .. import model as gm
from ..permissions import is_reviewer, may_edit, may_see, user_of

_OK: AuthResult = {"success": True}


def _term(data_dict: DataDict) -> gm.Term | None:
    return gm.Term.by_slug_or_id(str(data_dict.get("id") or ""))


def _visible(context: Context, data_dict: DataDict) -> AuthResult:
    term = _term(data_dict)
    if term is None or may_see(user_of(context), term):
        return _OK  # a missing term is the action's 404
    return {"success": False, "msg": tk._("This term is not approved yet; its proposer and the board may see it")}


def _logged_in(context: Context, what: str) -> AuthResult:
    if user_of(context) is None:
        return {"success": False, "msg": tk._("Log in to {what}").format(what=what)}
    return _OK


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
    return _logged_in(context, tk._("check a proposal for duplicates"))  # lists only terms the caller may see


def hhs_glossary_term_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context, tk._("propose a term"))


def hhs_glossary_term_update(context: Context, data_dict: DataDict) -> AuthResult:
    # Anyone logged in who may see the term; the action decides between editing and proposing a change.
    logged_in = _logged_in(context, tk._("change a term"))
    return _visible(context, data_dict) if logged_in["success"] else logged_in


def hhs_glossary_term_propose(context: Context, data_dict: DataDict) -> AuthResult:
    term, user = _term(data_dict), user_of(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to send a term for review")}
    if term is None or is_reviewer(user.name) or may_edit(user, term):
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
        authors = {
            model.Session.query(gm.Revision.user_id)
            .filter(gm.Revision.term_id == term.id, gm.Revision.number == tk.asint(data_dict["revision"]))
            .scalar()
        }
    else:
        # The proposer, and whoever last changed the wording: a reviewer who rewrote someone else's
        # proposal would otherwise approve their own text.
        last_edit = (
            model.Session.query(gm.Revision.user_id)
            .filter(gm.Revision.term_id == term.id, gm.Revision.action.in_(("create", "update", "import")))
            .filter(gm.Revision.pending == False)  # noqa: E712
            .order_by(gm.Revision.number.desc())
            .limit(1)
            .scalar()
        )
        authors = {term.proposed_by, last_edit}
    if user.id in authors:
        return {
            "success": False,
            "msg": tk._("You cannot review a proposal you wrote or last changed; another reviewer must"),
        }
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


def hhs_glossary_embed(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins may recompute glossary embeddings")}
