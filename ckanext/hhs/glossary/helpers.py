"""Template helpers of the glossary."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from . import permissions

__all__ = ["hhs_glossary_is_reviewer", "hhs_glossary_status_label"]

_STATUS = {
    "draft": "Draft",
    "in_review": "In review",
    "approved": "Approved",
    "deprecated": "Deprecated",
    "rejected": "Rejected",
}


def hhs_glossary_status_label(status: str) -> str:
    return tk._(_STATUS.get(status, status))


def hhs_glossary_is_reviewer(user: Any = None) -> bool:
    name = user or (tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else None)
    return permissions.is_reviewer(name)
