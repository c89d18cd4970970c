"""Private component datasets are shown only to those who may see them."""

from __future__ import annotations

from typing import Any

import ckan.model as model
from ckan import authz
from ckan.types import Context

from ckanext.hhs import roles
from ckanext.hhs.context import is_activity_snapshot


def visible_names(names: list[Any], context: Context) -> list[Any]:
    """The component datasets the caller of package_show may see (all of them for internal calls)."""
    user = context.get("user") or ""
    # An activity snapshot is shown to everyone who may see the product: it keeps only public components.
    snapshot = is_activity_snapshot(context)
    if not snapshot and (context.get("ignore_auth") or (user and authz.is_sysadmin(user))):
        return names
    kept = []
    for name in names:
        pkg = model.Package.get(name) if isinstance(name, str) else None
        if pkg is None:
            continue
        # A draft or deleted component is hidden by its state, not its private flag.
        if not pkg.private and pkg.state == "active":
            kept.append(name)
            continue
        if not snapshot and roles.may_read(user, pkg.id):
            kept.append(name)
    return kept
