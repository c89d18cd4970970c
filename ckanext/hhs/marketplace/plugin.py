"""`hhs_marketplace`: data products, access requests that replace one-off data use agreements,
third-party data licences and data needs that replace data calls."""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context

from . import (
    model,  # noqa: F401 (the tables, for migrations and the session)
    visibility,
)

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

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")

    # IPackageController

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if pkg_dict.get("type") != PRODUCT_TYPE:
            return pkg_dict
        # Component datasets may be private: their names are neither searchable nor facets. (The stored
        # dicts keep them for package_show, which shows each viewer only those they may see.)
        for key in ("component_datasets", "extras_component_datasets"):
            pkg_dict.pop(key, None)
        validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
        for field in _FACET_FIELDS:
            if validated.get(field):
                pkg_dict[field] = validated[field]
        return pkg_dict

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        # Search results come from the stored dicts without a viewer to filter for: they never carry
        # component datasets (the product page reads them through package_show).
        for result in search_results.get("results", []):
            if result.get("type", PRODUCT_TYPE) != PRODUCT_TYPE:
                continue
            result.pop("component_datasets", None)
            for key in ("validated_data_dict", "data_dict"):
                if isinstance(result.get(key), str) and "component_datasets" in result[key]:
                    result[key] = json.dumps(_without_components(json.loads(result[key])))
        return search_results

    def after_dataset_show(self, context: Context, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if pkg_dict.get("type") == PRODUCT_TYPE and pkg_dict.get("component_datasets"):
            pkg_dict["component_datasets"] = visibility.visible_names(pkg_dict["component_datasets"], context)
        return pkg_dict


def _without_components(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    pkg_dict.pop("component_datasets", None)
    if "extras" in pkg_dict:
        pkg_dict["extras"] = [e for e in pkg_dict["extras"] or [] if e.get("key") != "component_datasets"]
    return pkg_dict
