"""HTTP 503 while PostgreSQL, Solr or Redis is out of reach, instead of a 500 and a traceback.

CKAN turns an unreachable database or Redis into its generic 500 page, and the action API answers an
unreachable Solr with a 409 "Search error" or a 500 "Search Index Error". Clients and proxies cannot
tell those from bugs, so they neither retry nor wait. Here:

- pages and API calls that raise a service error get a 503 with `Retry-After` (an error page, or the
  action API's JSON error shape with ``__type: "Service Unavailable"``);
- the action API view, which catches every exception itself, has its error answers re-read: a search
  error that says Solr cannot be reached, and a 500 while a service does not answer, become the 503.

Nothing is retried or queued here: a request either ran or was refused, so a client that retries
after a 503 never doubles a write. Recovery needs nothing either: SQLAlchemy's pre-ping (CKAN's
default) drops dead pooled connections, and the Solr and Redis clients connect per request.
"""

from __future__ import annotations

import functools
import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import pysolr
import redis.exceptions
import sqlalchemy as sa
from flask import Response, request
from werkzeug.exceptions import InternalServerError

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import base
from ckan.lib.search.common import SearchError, SearchIndexError, SolrConnectionError

log = logging.getLogger(__name__)

RETRY_AFTER = "30"
API_VIEW = "api.action"

# What pysolr and CKAN's search layer say when Solr does not answer (as opposed to a bad query).
_SOLR_DOWN = (
    "Failed to connect",
    "Could not connect",
    "Unable to connect",
    "timed out",
    "Connection refused",
    "Connection aborted",
    "RemoteDisconnected",
    "(HTTP 503)",
    "Solr returned an error while searching",
)
_SEARCH_ERRORS = (pysolr.SolrError, SearchError, SearchIndexError, SolrConnectionError)
_DB_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError)
_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

_MESSAGES = {
    "database": "The database is unavailable",
    "search": "The search index is unavailable",
    "queue": "The job queue is unavailable",
}


def install(app: Any) -> None:
    """Register the 503 answers on CKAN's Flask app (called from the core plugin's IMiddleware)."""
    for error in (*_DB_ERRORS, sa.exc.DBAPIError, *_REDIS_ERRORS, *_SEARCH_ERRORS):
        app.register_error_handler(error, _error_handler)
    # CKAN's own views turn some outages into abort(500) (the search page when Solr is gone).
    ckan_500 = app.error_handler_spec.get(None, {}).get(500, {}).get(InternalServerError)
    app.register_error_handler(InternalServerError, functools.partial(_on_500, ckan_500))
    view = app.view_functions.get(API_VIEW)
    if view is not None and not getattr(view, "_hhs_unavailable", False):
        app.view_functions[API_VIEW] = _wrap_api(view)


def service_of(error: BaseException) -> str | None:
    """Which backing service `error` says is out of reach, or None when it is another failure."""
    if isinstance(error, _DB_ERRORS):
        return "database"
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return "database"
    if isinstance(error, _REDIS_ERRORS):
        return "queue"
    if isinstance(error, SolrConnectionError):
        return "search"
    if isinstance(error, _SEARCH_ERRORS) and (_solr_down_message(str(error)) or not _solr_answers()):
        return "search"
    return None


def _solr_down_message(text: str) -> bool:
    return any(marker in text for marker in _SOLR_DOWN)


def _error_handler(error: Exception):
    service = service_of(error)
    if service is None:
        # Not an outage: the answer CKAN gives any other error (its 500 page, logged with traceback).
        raise error
    log.warning("%s %s: answered 503, %s: %s", request.method, request.path, service, _first_line(error))
    _release_session()
    return _answer(service)


def _on_500(ckan_500: Any, error: InternalServerError) -> Any:
    original = getattr(error, "original_exception", None)
    if original is not None:
        service = service_of(original)
    elif _solr_down_message(str(error.description)):
        service = "search"
    else:
        service = _probe()
    if service is None:
        return ckan_500(error) if ckan_500 else error
    log.warning("%s %s: answered 503 instead of 500, %s unavailable", request.method, request.path, service)
    _release_session()
    return _answer(service)


def _wrap_api(view: Any) -> Any:
    def action(*args: Any, **kwargs: Any) -> Any:
        response = view(*args, **kwargs)
        status = getattr(response, "status_code", 200)
        if status not in (409, 500):
            return response
        service = _service_of_api_error(response, status)
        if service is None:
            return response
        log.warning("%s %s: answered 503 instead of %s, %s unavailable", request.method, request.path, status, service)
        _release_session()
        return _answer(service, api=True)

    action._hhs_unavailable = True  # type: ignore[attr-defined]
    action.__name__ = getattr(view, "__name__", "action")
    action.__doc__ = view.__doc__
    return action


def _service_of_api_error(response: Response, status: int) -> str | None:
    try:
        error = json.loads(response.get_data(as_text=True)).get("error") or {}
    except ValueError:
        return None
    kind, message = error.get("__type", ""), str(error.get("message", ""))
    if kind in ("Search Error", "Search Index Error", "Search Connection Error"):
        if kind == "Search Connection Error" or _solr_down_message(message) or not _solr_answers():
            return "search"
        return None
    if status == 500:
        # The API view hides the exception: ask the services which one is gone.
        return _probe()
    return None


def _probe() -> str | None:
    if not _database_answers():
        return "database"
    if not _solr_answers():
        return "search"
    if not _redis_answers():
        return "queue"
    return None


def _database_answers() -> bool:
    try:
        with model.meta.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False


def _solr_answers() -> bool:
    return _port_answers(tk.config.get("solr_url") or "")


def _redis_answers() -> bool:
    from ckan.lib.redis import is_redis_available

    return is_redis_available()


def _port_answers(url: str) -> bool:
    parts = urlsplit(url)
    if not parts.hostname:
        return True
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=2):
            return True
    except OSError:
        return False


def _release_session() -> None:
    try:
        model.Session.remove()
    except Exception:  # a dead connection cannot even roll back; the pool drops it on its next checkout
        log.debug("session release after an outage failed", exc_info=True)


def _answer(service: str, api: bool | None = None) -> Any:
    message = tk._(_MESSAGES[service]) + tk._("; please try again in a moment.")
    headers = {"Retry-After": RETRY_AFTER}
    if api or (api is None and request.path.startswith("/api/")):
        body = {"success": False, "error": {"__type": "Service Unavailable", "message": message, "service": service}}
        return Response(json.dumps(body), status=503, headers=headers, content_type="application/json;charset=utf-8")
    try:
        page = base.render("error_document_template.html", {"code": 503, "content": message, "name": "Unavailable"})
    except Exception:  # the page itself may need the database (the logged-in user, the site's menus)
        log.debug("error page not rendered during an outage", exc_info=True)
        page = f"<!doctype html><title>503 Service Unavailable</title><h1>Service unavailable</h1><p>{message}</p>"
    return Response(page, status=503, headers=headers, content_type="text/html;charset=utf-8")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
