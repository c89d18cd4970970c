"""``authoritative_dataset`` names the dataset the Data Governance Board made the authoritative source of
this one. When that source is private, its id is shown only to those who may open it (a public copy gave
a private source's id away to anonymous callers): the field is never indexed (unindexed.py), so search
results leave it out, and package_show and activity snapshots give it only to those who may open the
source. A write that does not name the field keeps the stored value (the hhs_board_only validator), so a
dataset shown without it can be saved back unchanged."""

from __future__ import annotations

from typing import Any

import ckan.model as model
from ckan.types import Context

from ckanext.hhs import roles, unindexed
from ckanext.hhs.context import db_key, is_activity_snapshot

FIELD = "authoritative_dataset"


def hide_unseen_source_in_show(context: Context, pkg_dict: dict[str, Any]) -> None:
    """For package_show: internal reads (ignore_auth, for_update) keep the field; an activity snapshot
    (kept with ignore_auth and shown to everyone) keeps it only when the source is public."""
    values = [pkg_dict.get(FIELD), *_extra_values(pkg_dict)]
    if FIELD not in pkg_dict and len(values) == 1 and pkg_dict.get("id"):
        values = [unindexed.stored(pkg_dict["id"], FIELD)]  # package_show answered from the index
        if values[0]:
            pkg_dict[FIELD] = values[0]
    snapshot = is_activity_snapshot(context)
    if context.get("for_update") or (context.get("ignore_auth") and not snapshot):
        return
    user = None if snapshot else roles.user_of(context)
    if any(_unseen(value, user) for value in values):
        unindexed.without(pkg_dict, FIELD)


def _extra_values(pkg_dict: dict[str, Any]) -> list[Any]:
    """The field in an extras list (an unvalidated dict: validate False, use_default_schema)."""
    return [e.get("value") for e in pkg_dict.get("extras") or [] if isinstance(e, dict) and e.get("key") == FIELD]


def _unseen(source_id: Any, user: model.User | None) -> bool:
    if not source_id or not isinstance(source_id, str):
        return False
    source = model.Package.get(db_key(source_id))
    if source is None:
        return True
    if source.state == "active" and not source.private:
        return False
    return not roles.may_read(user, source.id)
