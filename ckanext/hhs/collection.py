"""POD collections: a dataset whose `isPartOf` names another dataset's identifier is its member.

The link is looked up when a page is shown, by identifier within the division, so it holds whatever
order the records came in: a member imported before its parent (earlier in the file, or in an
earlier run) is linked as soon as the parent exists. Searches go through package_search as the
viewer, so nobody learns of a dataset they may not see.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

# How the search index tells top-level datasets from collection members (a filter and a facet).
LEVEL_FIELD = "hhs_level"
TOP_LEVEL = "Top-level dataset"
MEMBER = "Member of a collection"
MAX_MEMBERS = 100


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _search(fq: str, rows: int) -> dict[str, Any]:
    # Name and title are all the page shows: whole dataset dicts for up to MAX_MEMBERS rows were read from
    # the index and parsed on every view of a collection.
    return tk.get_action("package_search")(
        {}, {"fq": fq, "rows": rows, "sort": "title_string asc", "include_private": True, "fl": ["name", "title"]}
    )


def hhs_collection_parent(pkg: dict[str, Any]) -> dict[str, Any] | None:
    """Name and title of the dataset this one is part of (same division, by identifier), if it exists
    and may be seen."""
    ref = pkg.get("is_part_of")
    if not ref or not pkg.get("owner_org"):
        return None
    found = _search(f"+identifier:{_quoted(ref)} +owner_org:{_quoted(pkg['owner_org'])}", 1)["results"]
    return found[0] if found else None


def hhs_collection_members(pkg: dict[str, Any]) -> dict[str, Any]:
    """The datasets that name this one in isPartOf: ``count`` and the first MAX_MEMBERS ``results``
    (name and title)."""
    identifier = pkg.get("identifier") or pkg.get("id")
    if not identifier or not pkg.get("owner_org"):
        return {"count": 0, "results": []}
    result = _search(f"+is_part_of:{_quoted(identifier)} +owner_org:{_quoted(pkg['owner_org'])}", MAX_MEMBERS)
    return {"count": result["count"], "results": result["results"]}
