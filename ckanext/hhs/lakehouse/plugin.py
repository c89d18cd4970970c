"""`hhs_lakehouse`: lakehouse tables (Delta Lake, Apache Iceberg, Parquet) linked in place, with live
metadata, schema drift and freshness, column-to-term join keys, previews and read-only queries."""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context

from . import config, readers
from . import model as lm
from .logic import action

log = logging.getLogger(__name__)

_PHI = "identifiable-phi"


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsLakehousePlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurer

    def update_config(self, config_: Any) -> None:
        tk.add_template_directory(config_, "templates")

    # IResourceController: a lakehouse resource saved with a URI under the allowed roots is registered
    # and its metadata read in the background; hhs_lakehouse_table_register does the same explicitly
    # (and explains a refused URI).

    def before_resource_create(self, context: Context, resource: dict[str, Any]) -> None:
        self._check_claim(context, resource, None)

    def before_resource_update(self, context: Context, current: dict[str, Any], resource: dict[str, Any]) -> None:
        if resource.get("table_uri") != current.get("table_uri"):
            self._check_claim(context, resource, current["id"])

    def _check_claim(self, context: Context, resource: dict[str, Any], resource_id: str | None) -> None:
        """A resource saved with a table URI registers it (below): the same rules as the action."""
        if context.get("hhs_lakehouse_registering") or resource.get("resource_kind") != "lakehouse":
            return
        if not resource.get("table_uri") or not resource.get("package_id"):
            return
        errors = action.claim_errors(context.get("user"), resource["package_id"], resource_id, resource["table_uri"])
        if errors:
            raise tk.ValidationError({"table_uri": errors})

    def after_resource_create(self, context: Context, resource: dict[str, Any]) -> None:
        self._track(context, resource)

    def after_resource_update(self, context: Context, resource: dict[str, Any]) -> None:
        self._track(context, resource)

    def _track(self, context: Context, resource: dict[str, Any]) -> None:
        if context.get("hhs_lakehouse_registering") or resource.get("resource_kind") != "lakehouse":
            return
        # The stored values: the dict given here is package_show's, with the location named neutrally
        # for others than sysadmins.
        stored = model.Resource.get(resource["id"])
        extras = stored.extras if stored is not None else {}
        uri, fmt = extras.get("table_uri"), (extras.get("table_format") or "").lower()
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
        if action.claim_errors(context.get("user"), resource["package_id"], resource["id"], uri):
            return  # checked before the save; kept for a save that bypassed the check (no context user)
        user = model.User.get(context.get("user") or "")
        action.upsert(resource["package_id"], resource, uri, fmt, user.id if user else None)
        model.Session.commit()
        try:
            action.enqueue_refresh([resource["id"]])
        except Exception:  # noqa: BLE001 (no queue: the next scheduled refresh reads it)
            log.warning("could not queue the refresh of lakehouse table %s", resource["id"], exc_info=True)

    # IPackageController: the PHI gate of previews reads the dataset's PHI class, so declassifying a
    # dataset that has tables lifts it; that takes the right to lift it (the division's admins).

    def after_dataset_show(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        """Only sysadmins see where a table is: others get whose storage it is in (and saving that back
        keeps the location, see _keep_locations)."""
        tables = [r for r in pkg_dict.get("resources") or [] if r.get("table_uri")]
        if not tables:
            return  # most datasets: no queries added to package_show
        reveal = action.reveals_paths(context)
        neutral = config.neutral_name(pkg_dict["id"])
        for resource in tables:
            if not reveal:
                resource["table_uri"] = neutral
            elif resource["table_uri"] == neutral and resource.get("id"):
                # package_show's copy from the search index was stored as others see it.
                stored = model.Resource.get(resource["id"])
                resource["table_uri"] = stored.extras.get("table_uri", neutral) if stored else neutral

    def after_dataset_update(self, context: Context, data: dict[str, Any]) -> None:
        self._keep_locations(data)
        self._guard_phi_class(context, data)

    def _keep_locations(self, data: dict[str, Any]) -> None:
        """A resource saved with the neutral name it was shown (the edit form, package_patch) keeps its
        stored location: package_update has written the name, so the committed value is read back."""
        neutral = config.neutral_name(data["id"]) if data.get("id") else None
        shown = [r["id"] for r in data.get("resources") or [] if r.get("id") and r.get("table_uri") == neutral]
        if not shown:
            return
        with model.meta.engine.connect() as connection:
            stored = dict(
                connection.execute(
                    sa.text("SELECT id, extras FROM resource WHERE id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": shown},
                ).all()
            )
        for resource_id in shown:
            extras = stored.get(resource_id) or {}
            before = (extras if isinstance(extras, dict) else json.loads(extras)).get("table_uri")
            resource = model.Resource.get(resource_id)
            if before and resource is not None:
                resource.extras = {**resource.extras, "table_uri": before}
        model.Session.flush()

    def _guard_phi_class(self, context: Context, data: dict[str, Any]) -> None:
        package_id = data.get("id")
        if not package_id or data.get("phi_classification") == _PHI:
            return
        if not model.Session.query(lm.LakehouseTable).filter(lm.LakehouseTable.package_id == package_id).first():
            return
        # package_update has already written the new value (not committed): read the committed one.
        with model.meta.engine.connect() as connection:
            before = connection.execute(
                sa.text(
                    "SELECT value FROM package_extra WHERE package_id = :id AND key = 'phi_classification'"
                    " AND state = 'active'"
                ),
                {"id": package_id},
            ).scalar()
        if before == _PHI and not action.may_guard_phi(context.get("user"), package_id):
            model.Session.rollback()
            raise tk.ValidationError(
                {
                    "phi_classification": [
                        tk._("Only the division's admins may declassify a dataset whose tables hold identifiable PHI")
                    ]
                }
            )
