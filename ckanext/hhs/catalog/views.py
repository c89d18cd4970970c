"""Catalog endpoints: /data.json, /organization/<division>/data.json, /inventory/data.json and
/organization/<division>/catalog.<format> (DCAT-US 3 through ckanext-dcat)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import zlib
from collections.abc import Iterable, Iterator

import flask
import sqlalchemy.exc

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.lib.search.common import SearchError, SolrConnectionError

from ckanext.dcat.utils import CONTENT_TYPES

from . import export

log = logging.getLogger(__name__)
catalog = flask.Blueprint("hhs_catalog", __name__)

# The formats ckanext-dcat's own catalog endpoint serves, with its content types (N3 left out).
RDF_TYPES = {fmt: CONTENT_TYPES[fmt] for fmt in ("ttl", "jsonld", "xml", "rdf")}
# A division's RDF catalog takes ckanext-dcat seconds to build (3 s for CMS's 139 datasets); it is kept
# in Redis under the listing's stamp, so it is built once per change of the division's datasets.
RDF_CACHE_SECONDS = 24 * 3600


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
        if _not_modified(tag, modified):
            return _headers(flask.Response(status=304), tag, modified, inventory)
        first = list(itertools.islice(records, 1))
    except _UNAVAILABLE as e:
        return _unavailable(e)
    chunks = export.stream(itertools.chain(first, records))
    gzip = _accepts_gzip()
    body = flask.stream_with_context(_gzip_stream(chunks) if gzip else chunks)
    return _headers(flask.Response(body, mimetype="application/json"), tag, modified, inventory, gzip)


_UNAVAILABLE = (SearchError, SolrConnectionError, sqlalchemy.exc.OperationalError)


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


def _gzip_stream(chunks: Iterable[str]) -> Iterator[bytes]:
    """The catalog gzipped as it is produced: a 6 MB /data.json goes out as about a tenth of it."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    for chunk in chunks:
        if data := compressor.compress(chunk.encode()):
            yield data
    yield compressor.flush()


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
    fq = export.scope(org["id"])
    args = {k: tk.request.args.get(k) for k in ("page", "modified_since")}
    try:
        tag, modified = export.stamp(fq)
    except _UNAVAILABLE as e:
        return _unavailable(e)
    tag = hashlib.sha256(f"{tag}|{fmt}|{args}".encode()).hexdigest()[:32]
    if _not_modified(tag, modified):
        return _headers(flask.Response(status=304), tag, modified, inventory=False)
    redis, key = connect_to_redis(), f"hhs:catalog:{tag}"
    body = redis.get(key)
    if body is None:
        try:
            body = tk.get_action("dcat_catalog_show")({}, {"fq": fq, "format": fmt, **args}).encode()
        except tk.ValidationError as e:
            return tk.abort(409, str(e))
        redis.set(key, body, ex=RDF_CACHE_SECONDS)
    gzip = _accepts_gzip()
    if gzip:
        body = zlib.compress(body, 6, wbits=31)
    return _headers(flask.Response(body, mimetype=RDF_TYPES[fmt]), tag, modified, inventory=False, gzip=gzip)
