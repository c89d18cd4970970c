"""The HHS divisions list (data/divisions.csv) and its seeding as CKAN organizations."""

from __future__ import annotations

import csv
import os
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context

from . import config, vocab
from .context import db_key, fresh

_FIELDS = ("title", "acronym", "kind", "bureau_code", "parent_division", "website", "description")


def load() -> list[dict[str, str]]:
    with open(os.path.join(vocab.DATA, "divisions.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["parent_division"] = row.pop("parent")
    return rows


def find(name_or_id: str | None) -> model.Group | None:
    """The active organization of an HHS division: not a CKAN group, not the governance board."""
    org = model.Group.get(db_key(name_or_id)) if isinstance(name_or_id, str) else None
    if org is None or not org.is_organization or org.state != "active":
        return None
    return None if org.extras.get("kind") == "governance" else org


def governance_board() -> dict[str, str]:
    return {
        "name": config.governance_org(),
        "acronym": "DGB",
        "title": "HHS Data Governance Board",
        "kind": "governance",
        "bureau_code": "009:90",
        "parent_division": "os",
        "website": "https://www.hhs.gov/data",
        "description": (
            "Sets HHS data policy: approves common data terms, names authoritative sources and "
            "tracks the gaps divisions must close."
        ),
    }


def seed(context: Context, rows: list[dict[str, str]]) -> dict[str, list[str]]:
    """Create or update each division; return the names created, updated and unchanged."""
    result: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    # Parents first, so a staff division's "part of" names an existing organization.
    for row in sorted(rows, key=lambda r: bool(r.get("parent_division"))):
        try:
            current = tk.get_action("organization_show")(fresh(context), {"id": row["name"], "include_datasets": False})
        except tk.ObjectNotFound:
            tk.get_action("organization_create")(fresh(context), dict(row))
            result["created"].append(row["name"])
            continue
        if all((current.get(k) or "") == (row.get(k) or "") for k in _FIELDS):
            result["unchanged"].append(row["name"])
            continue
        tk.get_action("organization_patch")(fresh(context), {"id": current["id"], **_changes(row)})
        result["updated"].append(row["name"])
    return result


def _changes(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) or "" for k in _FIELDS}
