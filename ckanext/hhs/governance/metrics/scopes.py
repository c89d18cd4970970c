"""The scopes the figures are stored for: HHS-wide (key "") and each active division (by id)."""

from __future__ import annotations

import ckan.model as model

from . import model as gm


def divisions() -> dict[str, tuple[str, str]]:
    """Every active organization: id -> (name, title)."""
    rows = model.Session.query(model.Group.id, model.Group.name, model.Group.title).filter(
        model.Group.is_organization.is_(True), model.Group.state == "active"
    )
    return {gid: (name, title or name) for gid, name, title in rows}


def of(org_id: str | None, divisions: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """The snapshots a dataset of org_id counts in: HHS-wide, and its division's."""
    return (gm.HHS_WIDE, org_id) if org_id in divisions else (gm.HHS_WIDE,)
