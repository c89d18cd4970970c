"""Grants used: a download of a granted dataset's file, or a lakehouse preview or query over its table,
by the grant's holder while the grant is live, is one line in the request's history (the audit of each
use) and counts the grant as used in the marketplace figures.

Downloads are seen after CKAN's own download view answered (IMiddleware); lakehouse reads through the
``action_succeeded`` signal of the lakehouse's actions, so nothing here runs when that plugin is off and
nothing reads the lakehouse's tables: a table's SQL name comes from ``hhs_lakehouse_table_show``."""

from __future__ import annotations

import logging
import re
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from .. import model as mm

log = logging.getLogger(__name__)

LAKEHOUSE_READS = ("hhs_lakehouse_preview", "hhs_lakehouse_query")


def _live_grants(user_id: str, package_ids: set[str]) -> list[mm.Grant]:
    if not package_ids:
        return []
    return (
        model.Session.query(mm.Grant)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(
            mm.Grant.user_id == user_id,
            mm.Grant.package_id.in_(list(package_ids)),
            mm.Grant.revoked.is_(None),
            mm.Grant.end_date >= mm.now().date(),
            mm.AccessRequest.status == "approved",
        )
        .all()
    )


def _record(grants: list[mm.Grant], user_id: str, kind: str, resource_id: str) -> None:
    for grant in grants:
        mm.record("request", grant.request_id, user_id, "use", kind, dataset=grant.package_id, resource=resource_id)
    if grants:
        model.Session.commit()


def after_download(response: Any) -> Any:
    """Flask after_request: a successful download of a granted dataset's file by the grant's holder."""
    from flask import request

    if not (request.endpoint or "").endswith("resource.download") or response.status_code not in (200, 302):
        return response
    user = tk.current_user
    if not getattr(user, "is_authenticated", False):
        return response
    try:
        resource = model.Resource.get((request.view_args or {}).get("resource_id") or "")
        if resource is not None:
            _record(_live_grants(user.id, {resource.package_id}), user.id, "download", resource.id)
    except Exception:  # noqa: BLE001 (the download was given; counting it must not turn it into an error)
        model.Session.rollback()
        log.exception("grant use of a download not recorded")
    return response


def after_lakehouse_read(action: str, context: Any = None, data_dict: Any = None, **kwargs: Any) -> None:
    """Signal receiver: a preview or query that succeeded, over tables of datasets the caller holds a
    live grant on. The read was given: counting it never turns it into an error."""
    try:
        _lakehouse_read(action, context, data_dict)
    except Exception:  # noqa: BLE001
        model.Session.rollback()
        log.exception("grant use of a lakehouse %s not recorded", action)


def _lakehouse_read(action: str, context: Any, data_dict: Any) -> None:
    user = model.User.get((context or {}).get("user") or "")
    if user is None or not isinstance(data_dict, dict):
        return
    grants = (
        model.Session.query(mm.Grant)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(
            mm.Grant.user_id == user.id,
            mm.Grant.revoked.is_(None),
            mm.Grant.end_date >= mm.now().date(),
            mm.AccessRequest.status == "approved",
        )
        .all()
    )
    if not grants:
        return
    by_package = {g.package_id: g for g in grants}
    resources = model.Session.query(model.Resource.id, model.Resource.package_id).filter(
        model.Resource.package_id.in_(list(by_package)), model.Resource.state == "active"
    )
    caller = {"user": user.name}  # the holder may read the granted tables' metadata
    used: dict[str, str] = {}
    sql = str(data_dict.get("sql") or "").lower()
    for resource_id, package_id in resources:
        if action == "hhs_lakehouse_preview":
            if data_dict.get("id") == resource_id:
                used[package_id] = resource_id
            continue
        try:
            name = tk.get_action("hhs_lakehouse_table_show")(dict(caller), {"id": resource_id}).get("sql_name")
        except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError, KeyError):
            continue
        if name and re.search(rf"(?<![\w.]){re.escape(name.lower())}(?!\w)", sql):
            used[package_id] = resource_id
    for package_id, resource_id in used.items():
        _record([by_package[package_id]], user.id, action.removeprefix("hhs_lakehouse_"), resource_id)
