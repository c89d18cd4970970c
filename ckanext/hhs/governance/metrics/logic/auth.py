"""auth: the metrics part of the dashboard.

Board members and sysadmins read the figures (drawn from every division's private datasets too, by
design); board editors and admins start a recomputation. Everyone else, anonymous callers included,
is refused.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ... import permissions

__all__ = [
    "hhs_governance_linkcheck_list",
    "hhs_governance_metrics_history",
    "hhs_governance_metrics_refresh",
    "hhs_governance_metrics_show",
]


def _board_member(context: Context) -> AuthResult:
    return permissions.board_sees(
        context, tk._("The governance figures are for the Data Governance Board and sysadmins")
    )


@tk.auth_allow_anonymous_access
def hhs_governance_metrics_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _board_member(context)


@tk.auth_allow_anonymous_access
def hhs_governance_metrics_history(context: Context, data_dict: DataDict) -> AuthResult:
    return _board_member(context)


@tk.auth_allow_anonymous_access
def hhs_governance_linkcheck_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _board_member(context)


@tk.auth_allow_anonymous_access
def hhs_governance_metrics_refresh(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.board_decides(
        context, tk._("Only editors of the Data Governance Board and sysadmins recompute the figures")
    )
