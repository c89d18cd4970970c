"""Template helpers of the lakehouse: the data dictionary of a resource page."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

__all__ = [
    "hhs_lakehouse_has_glossary",
    "hhs_lakehouse_table",
    "hhs_lakehouse_join_keys",
    "hhs_lakehouse_suggestions",
    "hhs_lakehouse_size",
]


def _call(action: str, data: dict[str, Any]) -> Any:
    try:
        return tk.get_action(action)({"user": tk.g.user if tk.g else ""}, data)
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return None


def hhs_lakehouse_table(resource_id: str) -> dict[str, Any] | None:
    return _call("hhs_lakehouse_table_show", {"id": resource_id})


def hhs_lakehouse_join_keys(resource_id: str) -> list[dict[str, Any]]:
    return _call("hhs_lakehouse_join_keys", {"id": resource_id}) or []


def hhs_lakehouse_suggestions(resource_id: str) -> list[dict[str, Any]]:
    return _call("hhs_lakehouse_column_suggest", {"id": resource_id}) or []


def hhs_lakehouse_size(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return str(value)


def hhs_lakehouse_has_glossary() -> bool:
    import ckan.plugins as p

    return p.plugin_loaded("hhs_glossary")
