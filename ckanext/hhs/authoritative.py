"""``authoritative_dataset`` names the dataset the Data Governance Board made the authoritative source of
this one. When that source is private, its id is shown only to those who may open it: package_show,
package_search and activity snapshots leave the field out for anyone else (a public copy gave a private
source's id away to anonymous callers). A write that does not name the field keeps the stored value
(the hhs_board_only validator), so a dataset shown without it can be saved back unchanged."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import Context

from ckanext.hhs.context import db_key, is_activity_snapshot


def hide_unseen_source_in_show(context: Context, pkg_dict: dict[str, Any]) -> None:
    """For package_show: internal reads (ignore_auth, for_update) keep the field; an activity snapshot
    (kept with ignore_auth and shown to everyone) keeps it only when the source is public."""
    snapshot = is_activity_snapshot(context)
    if context.get("for_update") or (context.get("ignore_auth") and not snapshot):
        return
    hide_unseen_source(pkg_dict, "" if snapshot else context.get("user") or "")


def hide_unseen_source_in_search(results: list[dict[str, Any]]) -> None:
    """For package_search, as the logged-in user of the request (anonymous outside one)."""
    try:
        user = tk.current_user
        name = user.name if user is not None and user.is_authenticated else ""
    except (AttributeError, RuntimeError):
        name = ""
    for result in results:
        hide_unseen_source(result, name)


# The field as package_show and search results name it, and as the index does (package_search's `fl`).
_KEYS = ("authoritative_dataset", "extras_authoritative_dataset")


def hide_unseen_source(pkg_dict: dict[str, Any], user_name: str) -> None:
    for key in _KEYS:
        if _unseen(pkg_dict.get(key), user_name):
            pkg_dict.pop(key, None)


def _unseen(source_id: Any, user_name: str) -> bool:
    if not source_id or not isinstance(source_id, str):
        return False
    source = model.Package.get(db_key(source_id))
    if source is None:
        return True
    if source.state == "active" and not source.private:
        return False
    user = model.User.get(db_key(user_name)) if user_name else None
    if user is None:
        return True
    context = {"user": user.name, "auth_user_obj": user, "model": model}
    return not authz.is_authorized_boolean("package_show", context, {"id": source.id})
