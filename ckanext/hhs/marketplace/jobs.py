"""Background jobs of the marketplace (queued by `ckan hhs marketplace expire|remind --queue` with
`tk.enqueue_job`, run by `ckan jobs worker`).

Both call idempotent actions, so a job that dies with its worker is simply run again."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context


def expire_grants(as_of: str | None = None) -> dict[str, Any]:
    """Revoke expired grants (and provision approved requests that miss access)."""
    return tk.get_action("hhs_marketplace_grants_expire")(site_context(), {"as_of": as_of} if as_of else {})


def remind_renewals(as_of: str | None = None) -> dict[str, Any]:
    """Warn licence holders before their licences end."""
    return tk.get_action("hhs_marketplace_licence_remind")(site_context(), {"as_of": as_of} if as_of else {})
