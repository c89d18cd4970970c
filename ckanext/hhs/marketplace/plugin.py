"""`hhs_marketplace`: data products, access requests that replace one-off data use agreements,
third-party data licences and data needs that replace data calls."""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context, SignalMapping

from ckanext.hhs import unindexed

from . import model as _tables  # noqa: F401 (the tables, for migrations and the session)
from . import usage, visibility

PRODUCT_TYPE = "data-product"
# Single-valued product fields indexed as they are, so the marketplace can facet on them.
_FACET_FIELDS = ("product_status", "product_type", "access_terms", "cost_model")


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsMarketplacePlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.ISignal)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "hhs_marketplace")

    # IMiddleware

    def make_middleware(self, app: Any, config: Any) -> Any:
        if hasattr(app, "after_request"):  # the Flask app (not the WSGI wrappers around it)
            app.after_request(usage.after_download)
        return app

    # ISignal

    def get_signal_subscriptions(self) -> SignalMapping:
        return {
            tk.signals.action_succeeded: [
                {"sender": name, "receiver": usage.after_lakehouse_read} for name in usage.LAKEHOUSE_READS
            ]
        }

    # IPackageController

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if pkg_dict.get("type") != PRODUCT_TYPE:
            return pkg_dict
        # Component datasets may be private: their names stay out of the index (unindexed.py).
        validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
        for field in _FACET_FIELDS:
            if validated.get(field):
                pkg_dict[field] = validated[field]
        return unindexed.without(pkg_dict, "component_datasets")

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        # Second layer for documents indexed before the names were kept out: results never carry them.
        for result in search_results.get("results", []):
            if result.get("type", PRODUCT_TYPE) == PRODUCT_TYPE:
                unindexed.without(result, "component_datasets")
        return search_results

    def after_dataset_show(self, context: Context, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if pkg_dict.get("type") != PRODUCT_TYPE:
            return pkg_dict
        # package_show may answer from the index, which holds no component names: read them from the
        # database, then keep those the viewer may see.
        names = _stored_components(pkg_dict)
        extras = [e for e in pkg_dict.get("extras") or [] if e.get("key") == "component_datasets"]
        for extra in extras:  # an unvalidated dict (validate: False, use_default_schema)
            extra["value"] = json.dumps(visibility.visible_names(names, context))
        if extras:
            pkg_dict.pop("component_datasets", None)
        elif names:
            pkg_dict["component_datasets"] = visibility.visible_names(names, context)
        else:
            pkg_dict.pop("component_datasets", None)
        return pkg_dict


def _stored_components(pkg_dict: dict[str, Any]) -> list[Any]:
    value = unindexed.stored(pkg_dict["id"], "component_datasets")
    try:
        names = json.loads(value) if value else []
    except ValueError:
        names = [value]
    return names if isinstance(names, list) else [names]
