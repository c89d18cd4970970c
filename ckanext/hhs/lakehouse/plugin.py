"""`hhs_lakehouse`: lakehouse tables (Delta Lake, Apache Iceberg, Parquet) linked in place, with live
metadata, schema drift and freshness, column-to-term join keys, previews and read-only queries."""

from __future__ import annotations

import logging
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context

from . import config, readers
from . import model as lm
from .logic import action

log = logging.getLogger(__name__)


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsLakehousePlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IResourceController, inherit=True)

    # IConfigurer

    def update_config(self, config_: Any) -> None:
        tk.add_template_directory(config_, "templates")

    # IResourceController: a lakehouse resource saved with a URI under the allowed roots is registered
    # and its metadata read in the background; hhs_lakehouse_table_register does the same explicitly
    # (and explains a refused URI).

    def after_resource_create(self, context: Context, resource: dict[str, Any]) -> None:
        self._track(context, resource)

    def after_resource_update(self, context: Context, resource: dict[str, Any]) -> None:
        self._track(context, resource)

    def _track(self, context: Context, resource: dict[str, Any]) -> None:
        if context.get("hhs_lakehouse_registering") or resource.get("resource_kind") != "lakehouse":
            return
        uri, fmt = resource.get("table_uri"), (resource.get("table_format") or "").lower()
        if not uri or fmt not in readers.FORMATS:
            return
        row = model.Session.get(lm.LakehouseTable, resource["id"])
        if row is not None and row.table_uri == uri and row.table_format == fmt:
            return
        try:
            config.resolve(uri, config.division_of(resource["package_id"]))
        except config.RefusedURI as e:
            if row is not None:
                row.table_uri, row.status, row.error = uri, "error", str(e)
                model.Session.commit()
            return
        user = model.User.get(context.get("user") or "")
        action.upsert(resource["package_id"], resource, uri, fmt, user.id if user else None)
        model.Session.commit()
        try:
            action.enqueue_refresh([resource["id"]])
        except Exception:  # noqa: BLE001 (no queue: the next scheduled refresh reads it)
            log.warning("could not queue the refresh of lakehouse table %s", resource["id"], exc_info=True)
