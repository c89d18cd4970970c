"""auth: the gaps tracker.

- Board members (and sysadmins) see every gap, list them, read the summary and comment.
- Board editors and admins (``permissions.may_decide``) create gaps, change them and close or reopen them.
- Admins of a gap's owner division see that gap, comment on it, and move it from open to in progress
  (they are the ones fixing it, so they say when work starts); closing stays the Board's decision.
  They list only their divisions' gaps (the action filters).
- Everyone else, anonymous callers included, is refused.
"""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.hhs import roles

from ... import permissions
from .. import model as gm

__all__ = [
    "hhs_governance_gap_comment_create",
    "hhs_governance_gap_create",
    "hhs_governance_gap_list",
    "hhs_governance_gap_show",
    "hhs_governance_gap_summary",
    "hhs_governance_gap_update",
]


_OK, _refuse = permissions.OK, permissions.refuse


def gap_of(data_dict: DataDict) -> gm.Gap | None:
    ref = data_dict.get("id")
    if not isinstance(ref, str) or not ref or "\x00" in ref:
        return None
    return model.Session.get(gm.Gap, ref)


def is_division_admin(user: model.User | None, org_id: str) -> bool:
    return user is not None and authz.users_role_for_group_or_org(org_id, user.name) == "admin"


def _sees(context: Context, data_dict: DataDict) -> AuthResult:
    user = permissions.user_of(context)
    if permissions.is_board_member(user):
        return _OK
    gap = gap_of(data_dict)
    if gap is not None and is_division_admin(user, gap.owner_org_id):
        return _OK
    return _refuse(tk._("Gaps are for the Data Governance Board and the admins of the division that owns them"))


def hhs_governance_gap_create(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.board_decides(context, tk._("Only editors of the Data Governance Board record gaps"))


def hhs_governance_gap_update(context: Context, data_dict: DataDict) -> AuthResult:
    user = permissions.user_of(context)
    if permissions.may_decide(user):
        return _OK
    gap = gap_of(data_dict)
    # Every key counts, whatever its value: an empty string clears a field (a due date, a description).
    changes = set(data_dict) - {"id", "message"}
    if (
        gap is not None
        and is_division_admin(user, gap.owner_org_id)
        and changes == {"status"}
        and data_dict.get("status") == "in_progress"
        and gap.status == "open"
    ):
        return _OK
    return _refuse(
        tk._(
            "Only editors of the Data Governance Board change gaps; the owner division's admins may move "
            "an open gap to in progress"
        )
    )


def hhs_governance_gap_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _sees(context, data_dict)


def hhs_governance_gap_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = permissions.user_of(context)
    if permissions.is_board_member(user) or roles.division_ids(user, least=roles.ROLES["admin"]):
        return _OK
    return _refuse(tk._("Gaps are for the Data Governance Board and the admins of the division that owns them"))


def hhs_governance_gap_comment_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _sees(context, data_dict)


def hhs_governance_gap_summary(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.board_sees(context, tk._("The gaps summary is for the Data Governance Board"))
