"""Catalog endpoints: /data.json, /organization/<division>/data.json, /inventory/data.json (POD v1.1),
the same as DCAT-US 3.0 JSON at /dcat-us-3.json, /organization/<division>/dcat-us-3.json and
/inventory/dcat-us-3.json, and /organization/<division>/catalog.<format> (DCAT-US 3 RDF through
ckanext-dcat), each served from its stored copy (`copies`)."""

from __future__ import annotations

import datetime as dt
import logging

import flask
import sqlalchemy.exc

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchError, SolrConnectionError

from ckanext.dcat.utils import CONTENT_TYPES, read_catalog_page

from . import copies, export

log = logging.getLogger(__name__)
catalog = flask.Blueprint("hhs_catalog", __name__)

# The formats ckanext-dcat's own catalog endpoint serves, with its content types (N3 left out).
RDF_TYPES = {fmt: CONTENT_TYPES[fmt] for fmt in ("ttl", "jsonld", "xml", "rdf")}
# ckanext-dcat pages its catalogs (100 datasets a page); each page is a stored copy of its own.
MAX_RDF_PAGE = 1000


def _division(name: str) -> dict:
    try:
        return tk.get_action("organization_show")({}, {"id": name, "include_datasets": False})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Division not found"))


def _serve(spec: dict, mimetype: str) -> flask.Response:
    """An export from its stored copy (`copies`): the public one, or a caller's inventory."""
    inventory = spec["user"] is not None
    try:
        # The listing's stamp is read first: if the index or the database is down the client gets
        # the stored public copy, or a 503, never half a document.
        stamp, modified = export.spec_stamp(spec)
    except _UNAVAILABLE as e:
        meta = None if inventory else copies.current(spec)
        if meta is None:
            return _unavailable(e)
    else:
        try:
            # The inventory may hold CKAN-private datasets: never served from a copy older than
            # the caller's listing (their access may have changed), unlike the public exports.
            meta = copies.get(spec, stamp, modified, serve_stale=not inventory)
        except _UNAVAILABLE as e:
            return _unavailable(e)
    tag, modified = meta["tag"], meta["modified"] or None
    if _not_modified(tag, modified):
        return _headers(flask.Response(status=304), tag, modified, inventory)
    gzip = _accepts_gzip()
    response = flask.Response(copies.body(meta, gzipped=gzip), mimetype=mimetype)
    return _headers(response, tag, modified, inventory, gzip)


_UNAVAILABLE = (SearchError, SolrConnectionError, sqlalchemy.exc.OperationalError, copies.Unavailable)


def _unavailable(error: Exception) -> flask.Response:
    log.exception("Catalog listing failed")
    return flask.Response(
        f"The catalog is unavailable: the search index or the database did not answer ({type(error).__name__}). "
        "Try again shortly.",
        status=503,
        mimetype="text/plain",
        headers={"Retry-After": "30"},
    )


def _not_modified(tag: str, modified: str | None) -> bool:
    if flask.request.if_none_match:
        return tag in flask.request.if_none_match or f"{tag}-gz" in flask.request.if_none_match
    since = flask.request.if_modified_since
    return bool(since and modified) and _http_time(modified) <= since


def _accepts_gzip() -> bool:
    return flask.request.accept_encodings["gzip"] > 0


def _http_time(iso: str) -> dt.datetime:
    # HTTP dates have whole seconds; the index keeps microseconds.
    return dt.datetime.fromisoformat(iso).replace(microsecond=0, tzinfo=dt.timezone.utc)


def _headers(
    response: flask.Response, tag: str, modified: str | None, inventory: bool, gzip: bool = False
) -> flask.Response:
    # The gzipped body is another representation: another ETag (a 304 is answered for either).
    response.set_etag(f"{tag}-gz" if gzip else tag)
    response.vary.add("Accept-Encoding")
    if gzip:
        response.headers["Content-Encoding"] = "gzip"
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
    return _serve(export.spec("datajson"), "application/json")


@catalog.route("/organization/<division>/data.json")
def division_datajson(division: str) -> flask.Response:
    return _serve(export.spec("datajson", _division(division)["id"]), "application/json")


@catalog.route("/inventory/data.json")
def inventory_datajson() -> flask.Response:
    return _serve(export.spec("datajson", user=_inventory_user()), "application/json")


def _inventory_user() -> str:
    user = tk.current_user.name if tk.current_user else ""
    try:
        tk.check_access("hhs_inventory_show", {"user": user}, {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("The enterprise inventory is for HHS staff who are members of a division."))
    return user


@catalog.route("/dcat-us-3.json")
def dcatus3() -> flask.Response:
    return _serve(export.spec("dcatus3"), "application/json")


@catalog.route("/organization/<division>/dcat-us-3.json")
def division_dcatus3(division: str) -> flask.Response:
    return _serve(export.spec("dcatus3", _division(division)["id"]), "application/json")


@catalog.route("/inventory/dcat-us-3.json")
def inventory_dcatus3() -> flask.Response:
    return _serve(export.spec("dcatus3", user=_inventory_user()), "application/json")


@catalog.route("/catalog.<fmt>")
def dcat(fmt: str) -> flask.Response:
    """ckanext-dcat's catalog endpoint, served from a stored copy; searches (q, fq, modified_since,
    profiles) go to ckanext-dcat as they are."""
    if set(tk.request.args) - {"page"}:
        return read_catalog_page(fmt)
    return _rdf_catalog(None, fmt)


@catalog.route("/organization/<division>/catalog.<fmt>")
def division_dcat(division: str, fmt: str) -> flask.Response:
    return _rdf_catalog(_division(division)["id"], fmt)


def _rdf_catalog(division_id: str | None, fmt: str) -> flask.Response:
    if fmt not in RDF_TYPES:
        return tk.abort(404)
    page = tk.request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= MAX_RDF_PAGE:
        return tk.abort(409, tk._("page: give a page number from 1 to {max}").format(max=MAX_RDF_PAGE))
    if tk.request.args.get("modified_since"):
        # A query of changes, not the catalog: answered from the index, as ckanext-dcat does.
        data_dict = {"fq": export.scope(division_id), "format": fmt, "page": page}
        data_dict["modified_since"] = tk.request.args["modified_since"]
        try:
            return flask.Response(tk.get_action("dcat_catalog_show")({"user": ""}, data_dict), mimetype=RDF_TYPES[fmt])
        except tk.ValidationError as e:
            return tk.abort(409, str(e))
    return _serve(export.spec("rdf", division_id, format=fmt, args={"page": int(page)}), RDF_TYPES[fmt])
