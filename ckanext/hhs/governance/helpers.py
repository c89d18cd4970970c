"""Template helpers of the governance dashboard."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from . import permissions

__all__ = ["hhs_governance_is_board_member"]


def hhs_governance_is_board_member() -> bool:
    """Whether the current user may open /governance (shows the header link)."""
    return permissions.is_board_member(permissions.user_of({"user": tk.current_user.name if tk.current_user else ""}))
