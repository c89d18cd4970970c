"""auth: the duplicates part of the dashboard.

Board members and sysadmins see every pair, private datasets of every division included (by design:
the Board's remit); board editors, admins and sysadmins decide pairs, set the authoritative-source flag
and start a scan. Everyone else, anonymous callers included, is refused.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ... import permissions

__all__ = [
    "hhs_governance_authoritative_set",
    "hhs_governance_duplicate_decide",
    "hhs_governance_duplicate_list",
    "hhs_governance_duplicate_scan",
    "hhs_governance_duplicate_show",
    "hhs_governance_duplicate_summary",
]


def _sees(context: Context) -> AuthResult:
    return permissions.board_sees(context, tk._("Duplicate pairs are for the Data Governance Board and sysadmins"))


def _decides(context: Context) -> AuthResult:
    return permissions.board_decides(
        context, tk._("Only editors of the Data Governance Board and sysadmins decide this")
    )


@tk.auth_allow_anonymous_access
def hhs_governance_duplicate_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _sees(context)


@tk.auth_allow_anonymous_access
def hhs_governance_duplicate_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _sees(context)


@tk.auth_allow_anonymous_access
def hhs_governance_duplicate_summary(context: Context, data_dict: DataDict) -> AuthResult:
    return _sees(context)


@tk.auth_allow_anonymous_access
def hhs_governance_duplicate_decide(context: Context, data_dict: DataDict) -> AuthResult:
    return _decides(context)


@tk.auth_allow_anonymous_access
def hhs_governance_duplicate_scan(context: Context, data_dict: DataDict) -> AuthResult:
    return _decides(context)


@tk.auth_allow_anonymous_access
def hhs_governance_authoritative_set(context: Context, data_dict: DataDict) -> AuthResult:
    return _decides(context)
