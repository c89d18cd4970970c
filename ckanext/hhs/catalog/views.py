"""Catalog endpoints: /data.json, /organization/<division>/data.json, /inventory/data.json and
/organization/<division>/catalog.<format> (DCAT-US 3 through ckanext-dcat)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import flask
import sqlalchemy.exc

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchError, SolrConnectionError

from ckanext.dcat.utils import CONTENT_TYPES

from . import export

log = logging.getLogger(__name__)
catalog = flask.Blueprint("hhs_catalog", __name__)

# The formats ckanext-dcat's own catalog endpoint serves, with its content types (N3 left out).
RDF_TYPES = {fmt: CONTENT_TYPES[fmt] for fmt in ("ttl", "jsonld", "xml", "rdf")}


def _division(name: str) -> dict:
    try:
        return tk.get_action("organization_show")({}, {"id": name, "include_datasets": False})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Division not found"))


def _datajson(fq: str, user: str | None = None) -> flask.Response:
    """A listing: the public one, or `user`'s inventory."""
    inventory = user is not None
    records = export.records(fq, user)
    try:
        # The stamp and the first page are read before anything is sent: if the index or the
        # database is down the client gets a 503, never half a document.
        tag, modified = export.stamp(fq, user)
        if tag in flask.request.if_none_match or _not_modified_since(modified):
            return _headers(flask.Response(status=304), tag, modified, inventory)
        first = list(itertools.islice(records, 1))
    except (SearchError, SolrConnectionError, sqlalchemy.exc.OperationalError) as e:
        log.exception("Catalog listing failed")
        return flask.Response(
            f"The catalog is unavailable: the search index or the database did not answer ({type(e).__name__}). "
            "Try again shortly.",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "30"},
        )
    body = flask.stream_with_context(export.stream(itertools.chain(first, records)))
    return _headers(flask.Response(body, mimetype="application/json"), tag, modified, inventory)


def _not_modified_since(modified: str | None) -> bool:
    since = flask.request.if_modified_since
    if not since or not modified or flask.request.if_none_match:
        return False
    return _http_time(modified) <= since


def _http_time(iso: str) -> dt.datetime:
    # HTTP dates have whole seconds; the index keeps microseconds.
    return dt.datetime.fromisoformat(iso).replace(microsecond=0, tzinfo=dt.timezone.utc)


def _headers(response: flask.Response, tag: str, modified: str | None, inventory: bool) -> flask.Response:
    response.set_etag(tag)
    if modified:
        response.last_modified = _http_time(modified)
    # Caches must ask again each time (the ETag makes that cheap). The inventory is private: CKAN's
    # own cache headers would call every response public unless told otherwise.
    response.cache_control.no_cache = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    if inventory:
        flask.request.environ["__no_cache__"] = True
        response.vary.add("Cookie")
        response.vary.add("Authorization")
    return response


@catalog.route("/data.json")
def datajson() -> flask.Response:
    return _datajson(export.scope())


@catalog.route("/organization/<division>/data.json")
def division_datajson(division: str) -> flask.Response:
    return _datajson(export.scope(_division(division)["id"]))


@catalog.route("/inventory/data.json")
def inventory_datajson() -> flask.Response:
    user = tk.current_user.name if tk.current_user else ""
    try:
        tk.check_access("hhs_inventory_show", {"user": user}, {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("The enterprise inventory is for HHS staff who are members of a division."))
    return _datajson(export.scope(inventory=True), user)


@catalog.route("/organization/<division>/catalog.<fmt>")
def division_dcat(division: str, fmt: str) -> flask.Response:
    if fmt not in RDF_TYPES:
        return tk.abort(404)
    org = _division(division)
    try:
        body = tk.get_action("dcat_catalog_show")(
            {},
            {
                "fq": export.scope(org["id"]),
                "format": fmt,
                "page": tk.request.args.get("page"),
                "modified_since": tk.request.args.get("modified_since"),
            },
        )
    except tk.ValidationError as e:
        return tk.abort(409, str(e))
    return flask.Response(body, mimetype=RDF_TYPES[fmt])
