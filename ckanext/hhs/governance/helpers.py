"""Template helpers of the governance dashboard."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from . import permissions
from .duplicates.authoritative import authoritative_links
from .quality import checks as quality

__all__ = ["hhs_governance_authoritative_links", "hhs_governance_is_board_member", "hhs_governance_quality_panel"]


def hhs_governance_is_board_member() -> bool:
    """Whether the current user may open /governance (shows the header link)."""
    return permissions.is_board_member(permissions.user_of({"user": tk.current_user.name if tk.current_user else ""}))


def hhs_governance_quality_panel(package_id: str) -> dict | None:
    """The dataset page's quality suggestions and validation results, for its editors and the Board."""
    user = tk.current_user
    if not user or not user.is_authenticated:
        return None
    return quality.panel(package_id, permissions.user_of({"user": user.name}))


def hhs_governance_authoritative_links(package_id: str) -> dict:
    """The dataset the Board named authoritative for this one, and this one's known copies (what the
    viewer may see only); one query (duplicates/authoritative.py)."""
    cache = tk.g.setdefault("hhs_governance_authoritative_links", {})  # the notice and the metadata row
    if package_id not in cache:
        user = tk.current_user
        name = user.name if user and user.is_authenticated else ""
        cache[package_id] = authoritative_links(package_id, name)
    return cache[package_id]
