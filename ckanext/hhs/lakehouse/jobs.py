"""Background work of the lakehouse: re-reading registered tables' metadata.

One table's failure (refused URI, missing, corrupt or unreadable table) is stored on that table and the
job goes on with the others. A change of columns (added, removed, retyped) is recorded in the dataset's
activity stream and mailed to its data stewards; freshness is compared with the dataset's update
frequency. The job reads only tables that were registered by someone allowed to, and checks each URI
against the allowed roots again (they may have changed since)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib import mailer

from ckanext.hhs import values
from ckanext.hhs.context import site_user

from . import config, readers
from . import model as lm

__all__ = ["refresh", "refresh_all"]

log = logging.getLogger(__name__)

ACTIVITY_TYPE = "changed lakehouse table"


def freshness(frequency: str | None, committed: dt.datetime | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """When the table was due again, and whether it is stale (past its period and the grace)."""
    now = now or lm.now()
    every = values.period(frequency)
    out: dict[str, Any] = {"frequency": frequency, "committed": committed.isoformat() if committed else None}
    if committed is None or every is None:
        return {**out, "due": None, "stale": False}
    due = committed + every * (1 + config.stale_grace())
    return {
        **out,
        "due": due.isoformat(),
        "stale": now > due,
        "age_days": round((now - committed).total_seconds() / 86400, 1),
    }


def drift(old: list[dict[str, Any]] | None, new: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Columns added, removed and retyped between two reads (None when nothing changed)."""
    if old is None:
        return None
    before = {c["name"]: c for c in old}
    after = {c["name"]: c for c in new}
    change = {
        "added": [n for n in after if n not in before],
        "removed": [n for n in before if n not in after],
        "retyped": [
            {"column": n, "from": before[n]["type"], "to": after[n]["type"]}
            for n in after
            if n in before and before[n]["type"] != after[n]["type"]
        ],
    }
    return change if any(change.values()) else None


def refresh_all(progress: Callable[[int], Any] | None = None) -> list[dict[str, Any]]:
    ids = [r for (r,) in model.Session.query(lm.LakehouseTable.resource_id).order_by(lm.LakehouseTable.created)]
    return refresh(ids, progress)


def refresh(resource_ids: list[str], progress: Callable[[int], Any] | None = None) -> list[dict[str, Any]]:
    """Re-read each table's metadata; returns each one's id, status and error or drift."""
    results = []
    for resource_id in resource_ids:
        try:
            results.append(_refresh_one(resource_id))
        except Exception as e:  # noqa: BLE001 (one table's failure never stops the others)
            model.Session.rollback()
            log.exception("lakehouse refresh of %s failed", resource_id)
            error = config.redact(f"Unexpected error ({type(e).__name__}: {e})")[:500]
            results.append({"id": resource_id, "status": "error", "error": error})
        if progress:
            progress(1)
    return results


def _refresh_one(resource_id: str) -> dict[str, Any]:
    row = model.Session.get(lm.LakehouseTable, resource_id)
    if row is None:
        return {"id": resource_id, "status": "missing", "error": "Not registered"}
    package = model.Package.get(row.package_id)
    if package is None or package.state != "active":
        return {"id": resource_id, "status": "skipped", "error": "The dataset is not active"}
    now = lm.now()
    row.refreshed = now
    try:
        meta = readers.read_metadata(config.resolve(row.table_uri, config.division_of(package.id)), row.table_format)
    except (config.RefusedURI, readers.ReadError) as e:
        row.status, row.error = "error", config.redact(str(e))
        if isinstance(e, config.RefusedURI):  # what was read from a location no longer allowed is not kept
            row.meta = {}
        model.Session.commit()
        return {"id": resource_id, "status": "error", "error": row.error}
    previous = (row.meta or {}).get("columns") if row.status == "ok" else None
    change = drift(previous, meta["columns"])
    committed = dt.datetime.fromisoformat(meta["committed"]) if meta.get("committed") else None
    fresh = freshness(package.extras.get("frequency"), committed, now)
    last_drift = {"at": now.isoformat(), "version": meta.get("version"), **change} if change else None
    row.meta = {**meta, "freshness": fresh, "last_drift": last_drift or (row.meta or {}).get("last_drift")}
    row.committed, row.stale = committed, fresh["stale"]
    row.status, row.error, row.modified = "ok", None, now
    model.Session.commit()
    if change:
        _record_drift(package, row, change)
    return {"id": resource_id, "status": "ok", "drift": change, "stale": row.stale}


def _record_drift(package: model.Package, row: lm.LakehouseTable, change: dict[str, Any]) -> None:
    resource = model.Resource.get(row.resource_id)
    resource_name = (resource.name if resource else None) or row.resource_id
    if p.plugin_loaded("activity"):
        from ckan.lib.plugins import get_permission_labels

        from ckanext.activity.model import Activity

        # The site user's activities are hidden from streams: the drift is shown as the registering steward's.
        actor = row.registered_by or site_user().id
        activity = Activity(
            user_id=actor,
            object_id=package.id,
            activity_type=ACTIVITY_TYPE,
            data={
                "package": {"id": package.id, "name": package.name, "title": package.title, "type": package.type},
                "resource": {"id": row.resource_id, "name": resource_name},
                "drift": change,
                "version": (row.meta or {}).get("version"),
            },
            permission_labels=get_permission_labels().get_dataset_labels(package),
        )
        model.Session.add(activity)
        model.Session.commit()
    _mail_stewards(package, row.resource_id, resource_name, change)


def _stewards(package: model.Package) -> list[tuple[str, str]]:
    raw = package.extras.get("data_steward")
    try:
        stewards = json.loads(raw) if isinstance(raw, str) else (raw or [])
    except ValueError:
        stewards = []
    return [(s.get("name") or s["email"], s["email"].removeprefix("mailto:")) for s in stewards if s.get("email")]


def _mail_stewards(package: model.Package, resource_id: str, resource_name: str, change: dict[str, Any]) -> None:
    lines = [f"The columns of the table '{resource_name}' of the dataset '{package.title}' changed:"]
    lines += [f"  added: {c}" for c in change["added"]]
    lines += [f"  removed: {c}" for c in change["removed"]]
    lines += [f"  retyped: {c['column']} ({c['from']} -> {c['to']})" for c in change["retyped"]]
    lines += ["", tk.config["ckan.site_url"].rstrip("/") + f"/dataset/{package.name}/resource/{resource_id}"]
    for name, email in _stewards(package):
        try:
            mailer.mail_recipient(name, email, f"Schema change in {package.title}", "\n".join(lines))
        except mailer.MailerException as e:
            log.warning("lakehouse drift mail to a steward of %s not sent: %s", package.name, e)
