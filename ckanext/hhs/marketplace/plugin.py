"""`hhs_marketplace`: data products, access requests that replace one-off data use agreements,
third-party data licences and data needs that replace data calls."""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import Context, SignalMapping

from ckanext.hhs import unindexed

from . import model as _tables  # noqa: F401 (the tables, for migrations and the session)
from .licences.logic import action as licences_action
from .licences.logic import auth as licences_auth
from .metrics.logic import action as metrics_action
from .metrics.logic import auth as metrics_auth
from .needs.logic import action as needs_action
from .needs.logic import auth as needs_auth
from .products import visibility
from .products.logic import action as products_action
from .products.logic import auth as products_auth
from .records.logic import action as records_action
from .records.logic import auth as records_auth
from .requests import usage
from .requests.logic import action as requests_action
from .requests.logic import auth as requests_auth

PRODUCT_TYPE = "data-product"
# Single-valued product fields indexed as they are, so the marketplace can facet on them.
_FACET_FIELDS = ("product_status", "product_type", "access_terms", "cost_model")
# The sub-packages' templates/ folders, each holding its pages under hhs_marketplace/.
_TEMPLATES = (
    "templates",
    *(f"{part}/templates" for part in ("products", "requests", "records", "licences", "needs", "metrics")),
)


def _public(*modules: types.ModuleType) -> Callable[[], dict[str, Any]]:
    """What blanket registers from one module (its public functions), gathered from several."""

    def collect() -> dict[str, Any]:
        found: dict[str, Any] = {}
        for module in modules:
            for name, func in authz.get_local_functions(module):
                if name in found:
                    raise ValueError(f"{name} is defined in {found[name].__module__} and {module.__name__}")
                found[name] = func
        return found

    return collect


@tk.blanket.actions(
    _public(products_action, requests_action, records_action, licences_action, needs_action, metrics_action)
)
@tk.blanket.auth_functions(_public(products_auth, requests_auth, records_auth, licences_auth, needs_auth, metrics_auth))
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
        for folder in _TEMPLATES:
            tk.add_template_directory(config, folder)
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
