"""The core `hhs` plugin: HHS schemas, vocabularies, validators, division seeding and the HHS look.

Features (catalog, harvest, glossary, ...) are plugins of their own in sub-folders; what they share
lives here.
"""

from __future__ import annotations

import json
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.types import SignalMapping

from . import (
    api_input,
    authoritative,
    completeness,
    confirmations,
    dashboard,
    helpers,
    permission_labels,
    pod,
    unavailable,
    unindexed,
    vocab,
)


def _template_helpers() -> dict[str, Any]:
    found = {name: getattr(helpers, name) for name in helpers.__all__}
    # The activity plugin's dashboard count, kept for a minute (dashboard.py); CKAN refuses a chained helper
    # whose helper is not there, so only with the activity plugin.
    if p.plugin_loaded("activity"):
        found["new_activities"] = dashboard.new_activities
    return found


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers(_template_helpers)
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(p.ISignal)

    # IConfigurer
    def update_config(self, config: CKANConfig):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "ckanext-hhs")
        # Gravatar is out of reach from HHS networks: avatars are drawn locally, never fetched.
        config["ckan.gravatar_default"] = "disabled"
        # Licences that fit a U.S. federal catalog, unless the ini names a register of its own.
        if not config.get("licenses_group_url"):
            config["licenses_group_url"] = "file://" + vocab.LICENSES_FILE

    # IMiddleware
    def make_middleware(self, app: Any, config: CKANConfig) -> Any:
        # A request that fails on a database error leaves the session in an aborted transaction, and
        # CKAN's error page does not release it: the next request of the same worker failed too.
        if hasattr(app, "teardown_request"):
            app.teardown_request(_release_session)
            # PostgreSQL, Solr or Redis out of reach: a 503 to retry later, not a 500 (unavailable.py).
            unavailable.install(app)
            # Lone UTF-16 surrogates in JSON are a field error, not a 500 in the database (api_input.py).
            api_input.install(app)
            # "The dataset was saved.": a confirmation after each dataset or resource form save.
            confirmations.install(app)
            # A resource link stored before non-web links were refused (javascript:, file:, a lakehouse
            # path) made CKAN's download redirect fail (HTTP 500): there is no download to give.
            app.before_request(_no_download_of_non_web_links)
        return app

    # IFacets
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        facets = {"organization": tk._("Divisions")}
        facets.update(
            {
                "vocab_bureau_code": tk._("Bureau code"),
                "access_level": tk._("Access level"),
                "vocab_health_theme": tk._("Health theme"),
                "vocab_coding_system": tk._("Coding system"),
                "phi_classification": tk._("PHI classification"),
                "res_format": tk._("Formats"),
                "completeness_band": tk._("Metadata completeness"),
                # What HHS rules beyond POD say about imported records (stored findings).
                "vocab_hhs_finding": tk._("HHS rule findings"),
                "hhs_level": tk._("Collections"),
            }
        )
        facets.update((k, v) for k, v in facets_dict.items() if k not in ("organization", "res_format"))
        return facets

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return self.dataset_facets(facets_dict, package_type or "dataset")

    # IPackageController
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        pkg_dict = unindexed.without(completeness.index_fields(pkg_dict), authoritative.FIELD)
        pkg_dict = _server_path_unindexed(pkg_dict)
        # A distribution imported with a media type and no format is found under the media type's
        # format in the Formats facet; the stored (POD) value stays as the source gave it.
        resources = json.loads(pkg_dict.get("validated_data_dict") or "{}").get("resources") or []
        formats = [helpers.hhs_format_of(r) for r in resources]
        if any(formats):
            pkg_dict["res_format"] = formats
        return pkg_dict

    def after_dataset_show(self, context: dict[str, Any], pkg_dict: dict[str, Any]) -> dict[str, Any]:
        authoritative.hide_unseen_source_in_show(context, pkg_dict)
        return pkg_dict

    def after_dataset_search(self, search_results: dict[str, Any], search_params: dict[str, Any]) -> dict[str, Any]:
        for result in search_results.get("results", []):  # documents indexed before it was kept out
            unindexed.without(result, authoritative.FIELD)
        return search_results

    # IPermissionLabels: drafts are searchable only by those who may open them (permission_labels.py)
    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        return _LABELS.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: model.User) -> list[str]:
        return _LABELS.get_user_dataset_labels(user_obj)

    # ISignal
    def get_signal_subscriptions(self) -> SignalMapping:
        receiver = permission_labels.labels_changed
        return {
            tk.signals.action_succeeded: [
                *({"sender": a, "receiver": receiver} for a in permission_labels.CHANGE_LABELS),
                {"sender": dashboard.READ_ACTION, "receiver": dashboard.forget},
            ]
        }


_LABELS = permission_labels.DraftPermissionLabels()


def _server_path_unindexed(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """A catalog imported from a file on the server is recorded by its path (`source_catalog`), which only
    sysadmins read. Indexed fields answer anyone's q, fq and facet.field (``fq=extras_source_catalog:*var*``
    counted the datasets, a facet on it listed the path's words), so the path is kept only in the stored,
    unindexed dicts: package_show and the governance figures read it there, and the harvest feature shows
    everyone but sysadmins its file name. Those dicts get the database's value, whoever's package_show the
    index was given (a non-sysadmin's save gave the file name, which package_show then named again)."""
    path = unindexed.stored(pkg_dict["id"], "source_catalog") if pkg_dict.get("id") else None
    if not path or pod.is_web_url(path):
        return pkg_dict
    pkg_dict.pop("source_catalog", None)
    pkg_dict.pop("extras_source_catalog", None)
    for key in ("validated_data_dict", "data_dict"):
        try:
            kept = json.loads(pkg_dict.get(key) or "")
        except ValueError:
            continue
        if not isinstance(kept, dict):
            continue
        shown = [kept] if "source_catalog" in kept else []
        shown += [e for e in kept.get("extras") or [] if isinstance(e, dict) and e.get("key") == "source_catalog"]
        for where in shown:
            where["source_catalog" if where is kept else "value"] = path
        if shown:
            pkg_dict[key] = json.dumps(kept)
    return pkg_dict


def _no_download_of_non_web_links() -> Any:
    from flask import request

    if not (request.endpoint or "").endswith("resource.download") or not (request.view_args or {}).get("resource_id"):
        return None
    resource = model.Resource.get(request.view_args["resource_id"])
    if resource is None or resource.url_type == "upload" or pod.is_web_url(resource.url):
        return None  # CKAN's view answers (404, 403, the file or the redirect)
    return tk.abort(404, tk._("No download is available"))


def _release_session(error: BaseException | None) -> None:
    # Outside a web request (commands, jobs, tests) CKAN's url_for pushes and pops a request context of
    # its own around each URL it builds: that is not the end of a request, and removing the session there
    # threw away the caller's transaction mid-action (resource_create with an upload builds the file's
    # URL inside package_update: IndexError or "cursor already closed").
    if _ckan_url_context():
        return
    model.Session.remove()


def _ckan_url_context() -> bool:
    import sys

    from flask.globals import request_ctx

    from ckan.config import middleware

    if not request_ctx:
        return False
    current = request_ctx._get_current_object()
    setup = sys.modules.get("ckan.tests.pytest_ckan.ckan_setup")
    return current is middleware._internal_test_request_context or (
        setup is not None and current is getattr(setup, "_tests_test_request_context", None)
    )
