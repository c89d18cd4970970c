"""Template helpers of the governance dashboard."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from . import permissions, quality

__all__ = ["hhs_governance_is_board_member", "hhs_governance_quality_panel"]


def hhs_governance_is_board_member() -> bool:
    """Whether the current user may open /governance (shows the header link)."""
    return permissions.is_board_member(permissions.user_of({"user": tk.current_user.name if tk.current_user else ""}))


def hhs_governance_quality_panel(package_id: str) -> dict | None:
    """The dataset page's quality suggestions and validation results, for its editors and the Board."""
    user = tk.current_user
    if not user or not user.is_authenticated:
        return None
    return quality.panel(package_id, permissions.user_of({"user": user.name}))
