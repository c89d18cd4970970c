"""`hhs_glossary`: the governed glossary of common data terms, linked to the datasets that use them."""

from __future__ import annotations

import re
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import model  # noqa: F401 (the tables, for migrations and the session)

# /dataset?glossary_term=x: CKAN turns unknown parameters into `glossary_term:"x"`; the index field
# is the multi-valued vocab_glossary_terms.
_PARAM = re.compile(r"(^|[\s+(-])glossary_term:")


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsGlossaryPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IFacets, inherit=True)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")

    # IPackageController

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        if "glossary_term:" in (search_params.get("fq") or ""):
            search_params["fq"] = _PARAM.sub(r"\1vocab_glossary_terms:", search_params["fq"])
        return search_params

    # IFacets

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        facets_dict["vocab_glossary_terms"] = tk._("Glossary terms")
        return facets_dict

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return self.dataset_facets(facets_dict, package_type or "dataset")
