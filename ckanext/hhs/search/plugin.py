"""`hhs_search`: find data by meaning. Datasets carry a sentence embedding in the Solr index, and a
free-text search also finds the datasets nearest the question in meaning, expanded by the glossary."""

from __future__ import annotations

import json
import logging
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import config, jobs, query, solr, suggest, terms, vectors
from . import model as _model  # noqa: F401 (the table, for migrations and the session)

log = logging.getLogger(__name__)


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurer

    def update_config(self, config_: Any) -> None:
        tk.add_template_directory(config_, "templates")

    # IPackageController

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if not config.enabled():
            return pkg_dict
        validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
        pkg_dict[suggest.WORDS_FIELD] = suggest.words_of(validated)
        present = solr.vector_field_present()
        if present is False or not vectors.table_ready():
            return pkg_dict
        text = vectors.text_of(validated)
        row = vectors.stored(pkg_dict["id"])
        # Solr not answering (None): no vector in this document, the job indexes it again with one.
        if row is not None and present:
            # Even a vector of an older text is nearer the dataset than none, until the job replaces it.
            pkg_dict[config.vector_field()] = vectors.to_list(row.vector)
        if row is None or row.text_hash != vectors.digest(text) or not present:
            vectors.mark_pending(pkg_dict["id"], text)
            jobs.queue()
        return pkg_dict

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        if config.enabled() and query.applies(search_params) and solr.vector_field_present():
            return query.hybrid(search_params)
        return search_params

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        expanded = (search_params.get("extras") or {}).get("hhs_expanded_terms")
        if expanded:
            search_results["hhs_expanded_terms"] = expanded
        linked = (search_results.get("search_facets") or {}).get("vocab_glossary_terms")
        if linked and linked.get("items") and config.glossary():
            # Facet values are term slugs; people read the terms' names.
            names = terms.labels([item["name"] for item in linked["items"]])
            for item, name in zip(linked["items"], names, strict=True):
                item["display_name"] = name
        return search_results
