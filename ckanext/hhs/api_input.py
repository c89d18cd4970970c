"""Action API input that JSON should not carry is a validation error, not an HTTP 500.

- Lone UTF-16 surrogates: JSON can carry them (``"\\ud800"``); Python decodes them into strings that
  UTF-8, hence PostgreSQL and Solr, cannot take, and every action that looked an id up with one failed in
  the database driver.
- NUL characters (``"\\u0000"`` in JSON, ``%00`` in a GET query or a form): PostgreSQL refuses them in
  text and in queries, so an id or name with one failed in the driver (CKAN's own package_update, dataset
  and organization forms, and ckanext-harvest's harvest_object_show among others).
- ``NaN`` and ``Infinity``: not JSON, but Python's parser takes them; CKAN echoes the request in some
  error answers and then cannot write that answer as JSON.
- Arrays or objects nested deeper than Python's recursion limit: the parser raises RecursionError, which
  CKAN does not catch.

Such a request to the action API is answered as CKAN answers a validation error (409), naming the field.
A page's form posted with a NUL gets CKAN's 400 page naming the field; a page whose URL path holds a NUL
(``/dataset/a%00``) cannot exist, and is answered 404 (CKAN's dataset, organization, group and user
pages, and ours, failed in the driver with a 500).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from typing import Any

import flask
from werkzeug.exceptions import BadRequest

import ckan.plugins.toolkit as tk

# A \uD800-\uDFFF or \u0000 escape: only then is the body parsed here (a pair is fine and is checked as
# decoded; a raw NUL byte is no valid JSON, which CKAN answers itself).
_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\u0000|NaN|Infinity")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_MESSAGE = "Text may not contain NUL characters or lone UTF-16 surrogates"
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def install(app: Any) -> None:
    """Check each request's path and input before CKAN reads them (from the core plugin's
    IMiddleware)."""
    app.before_request(_check_input)


def _check_input() -> flask.Response | None:
    request = flask.request
    if "\x00" in request.path:
        flask.abort(404)
    api = request.path.startswith("/api/")
    field = None
    if request.method == "GET" and api:
        field = _field_with_nul(request.args)
    elif request.method == "POST" and request.mimetype in _FORMS:
        field = _field_with_nul(_form(request))
        if field is not None and not api:  # a page's form: CKAN's error page, naming the field
            tk.abort(400, tk._("{field}: text may not contain NUL characters").format(field=field))
    elif request.method == "POST" and api:
        try:
            error = _error(request)
        except RecursionError:
            error = {"__type": "Validation Error", "data": [tk._("The JSON body is nested too deeply")]}
        return _refusal(error) if error else None
    return _refusal({"__type": "Validation Error", field: [tk._(_UNSTORABLE_MESSAGE)]}) if field else None


def _form(request: flask.Request) -> Any:
    """The posted form, parsed once for CKAN. A urlencoded body is also put back in ``wsgi.input``: some
    readers take it raw from there after the view (ckanext-tracking's /_tracking)."""
    if request.mimetype == "application/x-www-form-urlencoded":
        raw = request.get_data(cache=True)  # request.form is then parsed from this copy
        request.environ["wsgi.input"] = io.BytesIO(raw)
    return request.form


def _field_with_nul(values: Any) -> str | None:
    """The first field of a query string or form whose name or value holds a NUL, or None."""
    return next((k for k, v in values.items(multi=True) if "\x00" in k or "\x00" in v), None)


def _refusal(error: dict[str, Any]) -> flask.Response:
    return flask.Response(json.dumps({"success": False, "error": error}), status=409, mimetype="application/json")


def _error(request: flask.Request) -> dict[str, Any] | None:
    raw = request.get_data(cache=True)
    if not _ESCAPE.search(raw):
        if request.is_json:
            with contextlib.suppress(BadRequest):  # CKAN answers a body that is no JSON itself
                request.get_json()  # parsed here once, kept by Flask for CKAN
        return None
    try:
        data = json.loads(raw, parse_constant=_not_a_number)
    except _NotANumber:
        return {"__type": "Validation Error", "data": [tk._("NaN and Infinity are not JSON numbers")]}
    except ValueError:
        return None
    field = _field_with_surrogate(data)
    if field is None:
        return None
    return {"__type": "Validation Error", field: [tk._(_UNSTORABLE_MESSAGE)]}


class _NotANumber(Exception):
    pass


def _not_a_number(constant: str) -> Any:
    raise _NotANumber(constant)


def _field_with_surrogate(data: Any, field: str = "") -> str | None:
    """The (top-level) field whose value holds a NUL or a lone surrogate, or None."""
    if isinstance(data, str):
        return field or "data" if _UNSTORABLE.search(data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            found = _field_with_surrogate(key, field or "data") or _field_with_surrogate(value, field or key)
            if found:
                return found
    if isinstance(data, list):
        for value in data:
            if found := _field_with_surrogate(value, field):
                return found
    return None
