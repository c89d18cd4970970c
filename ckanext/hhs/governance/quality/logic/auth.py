"""auth: quality checks, their suggestions and the harvest sources' fix lists.

- A dataset's suggestions and validation results: whoever may edit it (its division's editors and
  admins, collaborators, sysadmins) and board members (who see every division's data, by design).
- Accepting or dismissing a suggestion: the dataset's stewards, i.e. whoever may edit it (its division's
  editors and admins, collaborators, sysadmins). Board members (editors included) see suggestions but do
  not decide them: accepting patches the dataset as the caller, and a steward accepts (issue #15).
- A fix list: the members of the division that publishes the catalog, and board members.
- Checking a dataset: its editors and board editors; checking every dataset and the summary: the
  Board (editors run, members read) and sysadmins.
"""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ... import permissions
from .. import model as qm

__all__ = [
    "hhs_governance_fixlist_show",
    "hhs_governance_quality_check",
    "hhs_governance_quality_summary",
    "hhs_governance_suggestion_accept",
    "hhs_governance_suggestion_dismiss",
    "hhs_governance_suggestion_list",
]

_OK, _refuse = permissions.OK, permissions.refuse


def _ref(data_dict: DataDict, key: str = "id") -> str | None:
    ref = data_dict.get(key)
    return ref if isinstance(ref, str) and ref and "\x00" not in ref else None


def _package_id(ref: str | None) -> str | None:
    pkg = model.Package.get(ref) if ref else None
    return pkg.id if pkg is not None else None


def suggestion_of(data_dict: DataDict) -> qm.Suggestion | None:
    ref = _ref(data_dict)
    return model.Session.get(qm.Suggestion, ref) if ref else None


def hhs_governance_quality_check(context: Context, data_dict: DataDict) -> AuthResult:
    user = permissions.user_of(context)
    package_id = _package_id(_ref(data_dict))
    if _ref(data_dict) and package_id and permissions.may_edit_dataset(user, package_id):
        return _OK
    if permissions.may_decide(user):
        return _OK
    return _refuse(tk._("Only the dataset's editors and the Data Governance Board may run quality checks"))


def hhs_governance_suggestion_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = permissions.user_of(context)
    if permissions.is_board_member(user):
        return _OK  # every division's suggestions, private datasets included: the Board's remit
    package_id = _package_id(_ref(data_dict))
    if package_id and permissions.may_edit_dataset(user, package_id):
        return _OK
    return _refuse(tk._("Only the dataset's editors and the Data Governance Board may see its suggestions"))


def _decide(context: Context, data_dict: DataDict) -> AuthResult:
    user = permissions.user_of(context)
    suggestion = suggestion_of(data_dict)
    if suggestion is not None and permissions.may_edit_dataset(user, suggestion.package_id):
        return _OK
    return _refuse(tk._("Only the dataset's stewards (its editors) may decide on its suggestions"))


def hhs_governance_suggestion_accept(context: Context, data_dict: DataDict) -> AuthResult:
    return _decide(context, data_dict)


def hhs_governance_suggestion_dismiss(context: Context, data_dict: DataDict) -> AuthResult:
    return _decide(context, data_dict)


def hhs_governance_fixlist_show(context: Context, data_dict: DataDict) -> AuthResult:
    user = permissions.user_of(context)
    if permissions.is_board_member(user):
        return _OK
    division = model.Group.get(_ref(data_dict, "division") or "")
    publishes = division is not None and division.is_organization
    if user is not None and publishes and authz.users_role_for_group_or_org(division.id, user.name):
        return _OK
    return _refuse(tk._("A fix list is for the division that publishes the catalog and the Board"))


def hhs_governance_quality_summary(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.board_sees(context, tk._("The quality summary is for the Data Governance Board and sysadmins"))
