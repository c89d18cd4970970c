"""`hhs_catalog`: the machine-readable HHS catalog (/data.json, the inventory, per-division DCAT)."""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import SignalMapping

from . import copies

log = logging.getLogger(__name__)

# Writes after which a dataset may have left the public catalog: the public copies are not served
# again until rebuilt (a private dataset never goes out in an old copy). A dataset moved to another
# division (package_owner_org_update, also called by every create and update) stays public.
_LEAVING = ("package_delete", "dataset_purge", "bulk_update_private", "bulk_update_delete")
_PUBLIC_LEVELS = ("public", "restricted public")


def _listed_in_public(dataset: Any) -> bool:
    return (
        isinstance(dataset, dict)
        and not dataset.get("private")
        and dataset.get("state", "active") == "active"
        and dataset.get("access_level") in _PUBLIC_LEVELS
        and not tk.asbool(dataset.get("source_withdrawn"))
    )


def _catalog_changed(action: str, result: Any = None, **kwargs: Any) -> None:
    """After a write's commit: drop or rebuild the stored copies. The write is stored, so nothing here
    may turn its answer into an error; Redis answered when the write began (logic/action.py)."""
    if action == "package_revise" and isinstance(result, dict):
        result = result.get("package")
    try:
        if action in _LEAVING or (
            action in ("package_update", "package_patch", "package_revise") and not _listed_in_public(result)
        ):
            copies.drop_public()
        copies.changed()
    except redis.exceptions.RedisError:
        log.exception("%s is stored, but the catalog copies could not be told (Redis)", action)


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsCatalogPlugin(p.SingletonPlugin):
    p.implements(p.ISignal)

    # ISignal
    def get_signal_subscriptions(self) -> SignalMapping:
        return {tk.signals.action_succeeded: [{"sender": name, "receiver": _catalog_changed} for name in copies.WRITES]}
