"""`hhs_harvest`: bring division catalogs into the HHS catalog.

The plugin is the `hhs_datajson` harvester for ckanext-harvest (POD v1.1 data.json sources), and it
hooks into ckanext-dcat's `dcat_rdf_harvester` for DCAT RDF sources: the same fetch safety rules, and
the same mapping as data.json records (dcat.py): each record's own triples are kept, the POD record
derived from them passes the POD gate and fills the fields, HHS rules beyond POD become findings.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import authz

from ckanext.dcat.interfaces import IDCATRDFHarvester
from ckanext.harvest.model import HarvestObjectError
from ckanext.hhs import net, pod

from . import dcat, importer, survive
from .harvester import DataJsonHarvester, set_warnings, source_settings

log = logging.getLogger(__name__)
survive.install()


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
@tk.blanket.helpers
class HhsHarvestPlugin(DataJsonHarvester):
    p.implements(IDCATRDFHarvester, inherit=True)
    p.implements(p.IConfigurer, inherit=True)
    p.implements(p.IPackageController, inherit=True)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        # The HHS wording of ckanext-harvest's pages.
        tk.add_template_directory(config, "templates")

    # IPackageController: a catalog imported from a file on the server is recorded by its path, which
    # only sysadmins see; everyone else sees its file name. Calls with no user (ignore_auth, as the
    # edit of a harvested dataset reads what it keeps) get the path, which they write back unchanged.

    def after_dataset_show(self, context: Any, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        user = context.get("user")
        if (user or not context.get("ignore_auth")) and not authz.is_sysadmin(user):
            importer.hide_source_path(pkg_dict)
        return pkg_dict

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        # Searches have no context: those of a web or API request are the signed-in user's (jobs and
        # commands read the paths, as the governance figures do).
        if flask.has_request_context() and not authz.is_sysadmin(getattr(tk.current_user, "name", None)):
            for result in search_results.get("results", []):
                importer.hide_source_path(result)
        return search_results

    # IDCATRDFHarvester

    def before_download(self, url: str, harvest_job: Any) -> tuple[str | None, list[str]]:
        try:
            net.check_url(url)
        except net.FetchError as e:
            log.warning("DCAT harvest of %s refused: %s", url, e.detail)
            return None, [e.public]
        return url, []

    def after_download(self, content: str, harvest_job: Any) -> tuple[str | None, list[str]]:
        if content and dcat.nesting(content) > pod.MAX_DEPTH:
            return None, [f"The catalog nests deeper than {pod.MAX_DEPTH} levels, the limit for a catalog"]
        text = (content or "").lstrip()
        if text.startswith("<") and dcat.xml_entities(text):
            return None, [
                "The catalog declares XML entities (<!ENTITY>), which the hub does not expand: write them out"
            ]
        if text.startswith(("{", "[")) and dcat.remote_contexts(text):
            return None, ["The catalog names a remote JSON-LD @context, which the hub does not fetch: put it inline"]
        return content, []

    def update_session(self, session: Any) -> Any:
        # ckanext-dcat fetches with the session a hook returns: ours sends every request and
        # redirect through the fetch guard, within one deadline; it decodes the body as UTF-8 itself,
        # so the session refuses one that is not (a UnicodeDecodeError would stop the harvest).
        return net.Guard().session(text=True)

    def update_package_schema_for_create(self, package_schema: dict[str, Any]) -> dict[str, Any]:
        return dcat.with_write_context(package_schema)

    def update_package_schema_for_update(self, package_schema: dict[str, Any]) -> dict[str, Any]:
        return dcat.with_write_context(package_schema)

    def before_create(self, harvest_object: Any, dataset_dict: dict[str, Any], temp_dict: dict[str, Any]) -> None:
        self._prepare(harvest_object, dataset_dict, update=False)

    def before_update(self, harvest_object: Any, dataset_dict: dict[str, Any], temp_dict: dict[str, Any]) -> None:
        # ckanext-dcat matches a record to a dataset by its URI across all sources: a source of one
        # division publishing another division's URIs would rewrite (and move) that division's dataset.
        # Such a record is refused, as the data.json harvester refuses it (it matches within the division).
        if dcat.held_by_another_division(harvest_object, dataset_dict.get("id")):
            HarvestObjectError(
                message=f"The identifier {harvest_object.guid} belongs to a dataset of another division: "
                "this source may not change it",
                object=harvest_object,
                stage="Import",
            ).save()
            dataset_dict.clear()  # ckanext-dcat then leaves the dataset as it is
            return
        self._prepare(harvest_object, dataset_dict, update=True)

    def after_create(self, harvest_object: Any, dataset_dict: dict[str, Any], temp_dict: dict[str, Any]) -> None:
        set_warnings(harvest_object, dcat.finished())

    def after_update(self, harvest_object: Any, dataset_dict: dict[str, Any], temp_dict: dict[str, Any]) -> None:
        set_warnings(harvest_object, dcat.finished())

    @staticmethod
    def _prepare(harvest_object: Any, dataset_dict: dict[str, Any], update: bool) -> None:
        # The authoritative-source flag is the Data Governance Board's: a harvest neither sets nor clears it.
        dataset_dict.pop("authoritative_source", None)
        dataset_dict.pop("glossary_terms", None)
        dataset_dict.setdefault("identifier", harvest_object.guid)
        dcat.prepare(
            harvest_object,
            dataset_dict,
            strict=bool(source_settings(harvest_object.source).get("strict")),
            update=update,
        )
