"""Validators of the HHS schemas. Each error names what is expected, in plain language.

Two gates: a dataset authored in the hub (form, API) must pass every HHS rule here. A record
imported or harvested from a division's catalog has already passed the official POD v1.1 schema;
the importer runs it with ``hhs_lenient`` in the context, and the rules that go beyond POD then let
the value through: `findings()` reports what they would have refused, stored with the dataset.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.navl.dictization_functions import StopOnError
from ckan.lib.navl.dictization_functions import missing as _missing
from ckan.logic.validators import int_validator as _int_validator
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.hhs import config, pod, vocab

__all__ = [
    # CKAN's own names: the versions below answer bad input with a field error (see their comment).
    "boolean_validator",
    "natural_number_validator",
    "hhs_db_text",
    "hhs_access_level",
    "hhs_age_range",
    "hhs_authoritative_source",
    "hhs_blank",
    "hhs_board_only",
    "hhs_bureau_codes",
    "hhs_coding_systems",
    "hhs_email",
    "hhs_glossary_terms",
    "hhs_contact_required",
    "hhs_guess_from_url",
    "hhs_iso8601_date",
    "hhs_iso8601_interval",
    "hhs_iso8601_periodicity",
    "hhs_keywords_required",
    "hhs_list_cap",
    "hhs_media_type",
    "hhs_program_codes",
    "hhs_resource_link",
    "hhs_resource_url",
    "hhs_rights_unless_public",
    "hhs_single_bureau_code",
    "hhs_source_only",
    "hhs_text_cap",
    "hhs_visibility",
]

MAX_LIST_ITEMS = 200
MAX_TEXT = 10_000

_BUREAU = re.compile(r"^\d{3}:\d{2}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_PROGRAM = re.compile(r"^\d{3}:\d{3}$")
_EMAIL = re.compile(r"^(mailto:)?[^@\s]+@[^@\s]+\.[^@\s]+$")
# ISO 8601 repeating duration (R/P1Y, R/PT1H) or "irregular", as POD's accrualPeriodicity allows.
_PERIODICITY = re.compile(
    r"^(irregular|R/P(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?)$"
)
_DATE = r"\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?"
_DURATION = r"P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?"
_DATE_ONLY = re.compile(rf"^{_DATE}$")
_INTERVAL = re.compile(rf"^(?:R\d*/)?(?:{_DATE}|{_DURATION})/(?:{_DATE}|{_DURATION})$")


def _lenient(context: Context | None) -> bool:
    """True while an import writes a POD-valid record: HHS-only rules become findings, not errors."""
    return bool(context and context.get("hhs_lenient"))


def calendar_date(value: Any, years: tuple[int, int] = (1900, 9000), what: str = "date") -> dt.date:
    """A calendar date given as YYYY-MM-DD (or a date) within `years`; a refusal names the `what`."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        date = dt.date.fromisoformat(str(value).strip())
    except ValueError as e:
        raise tk.Invalid(tk._("{value!r} is not a date; use YYYY-MM-DD").format(value=value)) from e
    if not years[0] <= date.year <= years[1]:
        raise tk.Invalid(tk._("{value!r} is not a plausible {what}").format(value=value, what=what))
    return date


def as_list(value: Any) -> list[Any]:
    if value in (None, "", tk.missing):
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError as e:
                raise tk.Invalid(tk._("Expected a list of values")) from e
        else:
            return [v.strip() for v in stripped.split(",") if v.strip()]
    if not isinstance(value, list):
        raise tk.Invalid(tk._("Expected a list of values"))
    return value


def _matching(value: Any, pattern: re.Pattern[str], message: str) -> str:
    """The stripped value if it matches pattern, else an error from message (with {value})."""
    if not isinstance(value, str) or not pattern.match(value.strip()):
        raise tk.Invalid(message.format(value=value))
    return value.strip()


def hhs_blank(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """Blank means absent: a field the form left empty ('', or only blank lines of a list) or the API
    gave as null or [] is not stored, and the rest of its validators are skipped (CKAN's ignore_missing
    kept '' and [], so saving a form unchanged turned every unanswered question into '' or [], and a
    blank yes/no into "No").

    Only what people type counts as blank when it is spaces alone; an import or harvest keeps a source's
    value as given (POD allows an identifier " ", and the record must come back out as it went in), and
    so does an update that sends back the value the dataset holds (the edit form shows a harvested
    identifier " " and returns it: it keeps the record matched to its source)."""
    value = data.get(key)
    strip = (lambda v: v) if context.get("hhs_import") or _lenient(context) else str.strip
    if isinstance(value, list):
        blank = all(isinstance(v, str) and not strip(v) for v in value)
        spaces = any(value) and blank
    elif isinstance(value, str):
        blank = not strip(value) or strip(value) == "[]"
        spaces = blank and value not in ("", "[]")
    else:
        blank = value is None or value is _missing
        spaces = False
    if spaces and _held(key, data, context) == value:
        return
    if blank:
        data.pop(key, None)
        raise StopOnError


def _held(key: FlattenKey, data: FlattenDataDict, context: Context) -> Any:
    """The value the dataset being updated holds at `key` (a field, a resource's field, a field of a
    repeating row), as its form shows it; None when there is none or this is no update."""
    package = context.get("package")
    if package is None or data.get(("id",)) != getattr(package, "id", None):
        return None
    if len(key) == 1:
        stored = package.extras.get(key[0], getattr(package, key[0], None) if key[0] != "extras" else None)
        return _loaded(stored) if isinstance(data.get(key), list) else stored
    if len(key) != 3:
        return None
    if key[0] == "resources":
        res_id = data.get(("resources", key[1], "id"))
        for res in package.resources if res_id else []:
            if res.id == res_id:
                return res.extras.get(key[2], getattr(res, key[2], None) if key[2] != "extras" else None)
        return None
    rows = _loaded(package.extras.get(key[0]))
    if isinstance(rows, list) and isinstance(key[1], int) and key[1] < len(rows) and isinstance(rows[key[1]], dict):
        return rows[key[1]].get(key[2])
    return None


def _loaded(stored: Any) -> Any:
    """A list field as stored (JSON text in package extras, as scheming stores it)."""
    try:
        return json.loads(stored) if isinstance(stored, str) else stored
    except ValueError:
        return None


_FREQUENCY_WORDS = {
    **{label.lower(): iso for iso, label in vocab.FREQUENCIES.items()},
    "yearly": "R/P1Y",
    "annual": "R/P1Y",
    "biweekly": "R/P2W",
    "hourly": "R/PT1H",
    "continuous": "R/PT1S",
}


def hhs_media_type(value: Any, context: Context | None = None) -> Any:
    """An IANA media type (text/csv), as POD's mediaType and describedByType require; a format word
    people type for it (CSV, PDF) is stored as its type. Imports keep what their source gave."""
    if value in (None, "", _missing) or _lenient(context):
        return value
    found = pod.media_type(value, None) if isinstance(value, str) else None
    if not found:
        raise tk.Invalid(tk._('"{value}" is not a media type such as text/csv or application/pdf').format(value=value))
    return found


def resource_guess(url: str) -> dict[str, str]:
    """What a resource's link tells about it: its ``name`` (the last segment of the link's path), and from
    that segment's extension its ``mimetype`` (the hub's list of media types, then Python's mimetypes
    registry) and ``format`` (the format that media type names); each only when the link tells it.

    The one guess of the resource form (hhs_resource_guess, as staff type a link) and of resources created
    without a format (hhs_guess_from_url)."""
    path = urllib.parse.urlsplit(url.strip()).path
    segment = urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1]).strip()
    guess = {"name": segment} if segment else {}
    mimetype = pod.media_type(None, segment) if "." in segment.strip(".") else None
    if mimetype:
        guess["mimetype"] = mimetype
        fmt = tk.h.hhs_format_of({"mimetype": mimetype}) or tk.h.unified_resource_format(mimetype)
        if fmt and fmt != mimetype:
            guess["format"] = fmt
    return guess


def hhs_guess_from_url(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """On a resource's format and mimetype: a new resource authored in the hub (form, API) that leaves them
    blank gets them from its link (resource_guess); a media type follows the format given, if any. What
    was given is never replaced, and a stored resource, an import or a harvest keeps what it has (a
    source's distribution as published); a lakehouse table's location names no file type.

    (CKAN's own upload handling already sets a media type from the link's extension, with Python's
    mimetypes only, when the resource dict names none: what it set counts as given.)"""
    if context.get("hhs_import") or context.get("hhs_keep_source") or _lenient(context):
        return
    row = key[:-1]
    if data.get(key) not in (None, "", _missing) or data.get(row + ("id",)) not in (None, "", _missing):
        return
    url, kind = data.get(row + ("url",)), data.get(row + ("resource_kind",))
    if not isinstance(url, str) or not url.strip() or kind == "lakehouse":
        return
    if key[-1] == "mimetype":
        given = data.get(row + ("format",))
        guessed = pod.media_type(given, None) if isinstance(given, str) and given.strip() else None
        guessed = guessed or resource_guess(url).get("mimetype")
    else:
        guessed = resource_guess(url).get(key[-1])
    if guessed:
        data[key] = guessed


_LINK_NEEDED = {
    "file": "A file needs its link or an upload: /data.json gives it to other catalogs as downloadURL",
    "api": "An API needs its web address: /data.json gives it to other catalogs as accessURL",
    "documentation": "A documentation page needs its web address: /data.json gives it to other catalogs as accessURL",
}


def hhs_resource_link(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """On resource_kind: a file, API or page authored in the hub has its link (the POD distribution's
    downloadURL or accessURL); said on the URL field, in words, before the resource is saved."""
    needed = _LINK_NEEDED.get(data.get(key))
    url = data.get(key[:-1] + ("url",))
    if needed and not _lenient(context) and not (isinstance(url, str) and url.strip()):
        errors.setdefault(key[:-1] + ("url",), []).append(tk._(needed))


# Where a lakehouse table may live (its own rules, in the lakehouse feature, check the location).
_TABLE_SCHEMES = ("file", "s3", "s3a", "abfss", "gs", "az")


def hhs_resource_url(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """A resource's link is a web link (http, https, ftp), an uploaded file's name, or, for a lakehouse
    table, the table's location. Anything else (javascript:, data:, file: on a file, gopher:, ...) is
    refused: pages make it a link people click, and /data.json gives it to other catalogs."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        return
    scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
    upload = data.get(key[:-1] + ("url_type",)) == "upload" and not scheme
    table = data.get(key[:-1] + ("resource_kind",)) == "lakehouse" or data.get(key[:-1] + ("table_uri",)) not in (
        None,
        "",
        _missing,
    )
    if scheme in ("http", "https", "ftp") or upload or (table and scheme in _TABLE_SCHEMES):
        return
    errors[key].append(tk._("Give a web link (https://..., http://... or ftp://...)"))


def hhs_list_cap(value: Any, context: Context | None = None) -> Any:
    """Refuse oversized lists (keywords, codes, contacts) before they reach the database."""
    if _lenient(context):
        return value
    items = value
    if isinstance(value, str) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return value
    if isinstance(items, list) and len(items) > MAX_LIST_ITEMS:
        raise tk.Invalid(tk._("At most {max} values are allowed, got {n}").format(max=MAX_LIST_ITEMS, n=len(items)))
    return value


def _stored(values: list[Any], context: Context | None = None) -> str:
    """Lists are stored as JSON text in package extras, as scheming stores them."""
    hhs_list_cap(values, context)
    return json.dumps(values)


def hhs_db_text(value: Any) -> Any:
    """Text (CKAN's unicode_safe) that PostgreSQL can store and compare: no NUL, no lone UTF-16 surrogate."""
    value = tk.get_validator("unicode_safe")(value)
    if "\x00" in value:
        raise tk.Invalid(tk._("Text may not contain NUL characters"))
    if not value.isascii() and _SURROGATE.search(value):
        raise tk.Invalid(tk._("Text may not contain lone UTF-16 surrogates"))
    return value


def hhs_text_cap(value: Any, context: Context | None = None) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT and not _lenient(context):
        raise tk.Invalid(tk._("At most {max} characters are allowed").format(max=MAX_TEXT))
    return value


def hhs_single_bureau_code(value: Any) -> Any:
    if value in (None, "", tk.missing):
        return value
    _check_bureau(value)
    return value


def _check_bureau(code: Any) -> None:
    if not isinstance(code, str) or not _BUREAU.match(code):
        raise tk.Invalid(tk._('Bureau code "{code}" is not of the form 009:38 (OMB agency:bureau)').format(code=code))
    if code not in vocab.known_bureau_codes():
        raise tk.Invalid(tk._('Bureau code "{code}" is not on the OMB bureau code list').format(code=code))


def hhs_bureau_codes(value: Any, context: Context | None = None) -> Any:
    codes = as_list(value)
    for code in [] if _lenient(context) else codes:
        _check_bureau(code)
    return _stored(codes, context)


def hhs_program_codes(value: Any, context: Context | None = None) -> Any:
    codes = as_list(value)
    for code in [] if _lenient(context) else codes:
        if not isinstance(code, str) or not _PROGRAM.match(code):
            raise tk.Invalid(
                tk._('Program code "{code}" is not of the form 009:000 (Federal Program Inventory)').format(code=code)
            )
    return _stored(codes, context)


def hhs_coding_systems(value: Any) -> Any:
    systems = as_list(value)
    allowed = vocab.coding_systems()
    for system in systems:
        if not isinstance(system, str) or system not in allowed:
            raise tk.Invalid(
                tk._('Unknown coding system "{value}"; expected one of: {allowed}').format(
                    value=system, allowed=", ".join(allowed)
                )
            )
    return _stored(systems)


def hhs_access_level(value: Any) -> Any:
    if not isinstance(value, str) or value not in vocab.ACCESS_LEVELS:
        raise tk.Invalid(tk._("Access level must be one of: {allowed}").format(allowed=", ".join(vocab.ACCESS_LEVELS)))
    return value


def hhs_rights_unless_public(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """POD `rights`: required when accessLevel is restricted public or non-public."""
    level = data.get(key[:-1] + ("access_level",))
    value = data.get(key)
    if _lenient(context):
        return
    if level and level != "public" and (value is tk.missing or not str(value or "").strip()):
        errors[key].append(
            tk._("Rights are required when the access level is not public: say why access is restricted")
        )


def hhs_email(value: Any, context: Context | None = None) -> Any:
    if value in (None, "", tk.missing):
        return value
    if _lenient(context) and isinstance(value, str):
        return value.strip().removeprefix("mailto:")
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise tk.Invalid(tk._('"{value}" is not an email address').format(value=value))
    return value.strip().removeprefix("mailto:")


def hhs_iso8601_periodicity(value: Any, context: Context | None = None) -> Any:
    """ISO 8601 as POD wants it; the words people use ("monthly", "Annually") are stored as their duration."""
    if value in (None, "", tk.missing) or _lenient(context):
        return value
    if isinstance(value, str):
        value = _FREQUENCY_WORDS.get(value.strip().lower(), value)
    return _matching(
        value, _PERIODICITY, tk._('"{value}" is not an ISO 8601 repeating duration such as R/P1Y, R/P1M or irregular')
    )


def hhs_iso8601_interval(value: Any, context: Context | None = None) -> Any:
    if value in (None, "", tk.missing) or _lenient(context):
        return value
    value = _matching(value, _INTERVAL, tk._('"{value}" is not an ISO 8601 interval such as 2020-01-01/2024-12-31'))
    start, _, end = value.partition("/")
    if _PLAIN_DATE.match(start) and _PLAIN_DATE.match(end):
        n = min(len(start), len(end))  # 2020-05/2020: compared as years
        if start[:n] > end[:n]:
            raise tk.Invalid(tk._("The period starts after it ends: give the start date first"))
    return value


def hhs_age_range(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """The maximum typical age is not below the minimum (on max_typical_age, after its own checks)."""
    low, high = data.get(key[:-1] + ("min_typical_age",)), data.get(key)
    if _lenient(context) or not isinstance(low, int) or not isinstance(high, int):
        return
    if high < low:
        errors[key].append(tk._("The maximum age is below the minimum age ({low})").format(low=low))


def hhs_authoritative_source(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Only members of the Data Governance Board may mark a dataset as the authoritative source.

    The flag is the Board's alone: a write that does not name it (imports, harvests, API clients that
    leave it out) keeps the stored value, and `ignore_auth` does not lift the check, because harvests
    and jobs run with it on behalf of people who are not on the Board."""
    pkg_id = data.get(key[:-1] + ("id",))
    previous = False
    if pkg_id and pkg_id is not tk.missing:
        pkg = context["model"].Package.get(pkg_id)
        previous = bool(pkg and tk.asbool(pkg.extras.get("authoritative_source", False)))
    raw = data.get(key)
    if raw in (None, tk.missing, ""):  # not named, or the form's blank choice: the stored value stays
        data[key] = previous
        return
    try:
        value = tk.asbool(raw)
    except ValueError:  # text that is no yes/no word
        errors[key].append(tk._("Must be true or false"))
        return
    data[key] = value
    if value != previous and not _is_board_member(context, context.get("user")):
        errors[key].append(
            tk._("Only the Data Governance Board ({org}) may change the authoritative source flag").format(
                org=config.governance_org()
            )
        )


def hhs_board_only(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """A field that only the Data Governance Board changes (the link of a duplicate to its authoritative
    source): a write that does not name it (forms, imports, harvests) keeps the stored value."""
    pkg_id = data.get(key[:-1] + ("id",))
    pkg = context["model"].Package.get(pkg_id) if pkg_id and pkg_id is not tk.missing else None
    previous = (pkg.extras.get(key[-1]) if pkg else None) or ""
    raw = data.get(key)
    if raw in (None, tk.missing):
        data[key] = previous or tk.missing
        return
    if (raw or "") != previous and not _is_board_member(context, context.get("user")):
        errors[key].append(
            tk._("Only the Data Governance Board ({org}) may change this field").format(org=config.governance_org())
        )


def _is_board_member(context: Context, user: str | None) -> bool:
    """An editor or admin of the Data Governance Board, or a sysadmin."""
    from ckanext.hhs import roles

    return roles.board_role(user) >= roles.ROLES["editor"]


def hhs_keywords_required(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """POD requires at least one keyword, given as tag_string (forms) or tags (API, imports)."""
    value = data.get(key)
    has_tag_string = value not in (None, "", tk.missing) and str(value).strip()
    tag_count = sum(1 for k in data if len(k) == 3 and k[0] == "tags" and k[2] == "name" and data[k])
    if has_tag_string:
        tag_count = max(tag_count, len(str(value).split(",")))
    if _lenient(context) and (tag_count > MAX_LIST_ITEMS or not (has_tag_string or tag_count)):
        data.pop(key, None)
        raise tk.StopOnError
    if tag_count > MAX_LIST_ITEMS:
        errors[key].append(tk._("At most {max} keywords are allowed, got {n}").format(max=MAX_LIST_ITEMS, n=tag_count))
        raise tk.StopOnError
    has_tags = tag_count > 0
    if not has_tag_string and not has_tags:
        errors[key].append(tk._("At least one keyword is required"))
        raise tk.StopOnError
    if not has_tag_string:
        data.pop(key, None)
        raise tk.StopOnError


def hhs_iso8601_date(value: Any, context: Context | None = None) -> Any:
    if value in (None, "", tk.missing) or not isinstance(value, str):
        return value
    if _lenient(context) and not _date_ok(value):
        # POD dates the hub's date fields cannot hold (R/P1W, week dates, ...) stay as given; the
        # record keeps them and a finding says so. StopOnError skips the stricter dcat_date after it.
        raise tk.StopOnError
    return _matching(value, _DATE_ONLY, tk._('"{value}" is not an ISO 8601 date; write YYYY-MM-DD (or YYYY, YYYY-MM)'))


def _date_ok(value: Any) -> bool:
    """Whether a date passes both the HHS form and ckanext-dcat's dcat_date that follows it."""
    if not isinstance(value, str) or not _DATE_ONLY.match(value.strip()):
        return False
    key = ("date",)
    errors: dict[Any, list[str]] = {key: []}
    try:
        tk.get_validator("dcat_date")(key, {key: value.strip()}, errors, {})
    except tk.Invalid:
        return False
    return not errors[key]


def hhs_source_only(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """The source record and its findings are written by imports only. Any other write (the form, an
    API update or patch) drops them: the dataset is then exported from its fields, and its source hash
    is cleared so that the next harvest brings the division's record back. An edit of hub-only fields
    keeps them (``hhs_keep_source``, set by the harvest feature's package_update after comparing)."""
    if context.get("hhs_import") or context.get("hhs_keep_source"):
        return
    if data.get(key) not in (None, "", tk.missing):
        hash_key = key[:-1] + ("source_hash",)
        if data.get(hash_key) not in (None, tk.missing):
            data[hash_key] = ""
    data[key] = tk.missing


def hhs_visibility(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """CKAN's private flag; the form's default answer "auto" follows the access level: only public data is
    visible to everyone, restricted public and non-public data to the division's members."""
    if data.get(key) == "auto":
        data[key] = data.get(key[:-1] + ("access_level",)) != "public"


def hhs_contact_required(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """POD contactPoint: at least one contact with a name and an email.

    Runs on access_level, which is always present: an empty repeating field leaves no key of its own.
    Where the form gave contact rows, the message goes on the first row's email: navl cannot unflatten
    an error on ``contact`` itself beside errors of its rows (the form answered HTTP 500)."""
    if any(k[0] == "contact" and len(k) == 3 and k[2] == "email" and data[k] for k in data):
        return
    rows = sorted(k[1] for k in data if k[0] == "contact" and len(k) == 3)
    where = ("contact", rows[0], "email") if rows else ("contact",)
    errors.setdefault(where, []).append(tk._("At least one contact point with a name and email is required"))


def _check_terms(slugs: list[Any]) -> None:
    """Each slug must be an approved glossary term (checked when the glossary plugin is on)."""
    try:
        show = tk.get_action("hhs_glossary_term_show")
    except KeyError:
        return
    for slug in slugs:
        try:
            term = show({"ignore_auth": True}, {"id": slug})
        except tk.ObjectNotFound as e:
            raise tk.Invalid(tk._('"{term}" is not a glossary term').format(term=slug)) from e
        if term["status"] == "draft":  # a draft is its proposer's: its existence is not told to others
            raise tk.Invalid(tk._('"{term}" is not a glossary term').format(term=slug))
        if term["status"] != "approved":
            raise tk.Invalid(
                tk._('Glossary term "{term}" is {status}; only approved terms can be linked').format(
                    term=slug, status=term["status"].replace("_", " ")
                )
            )


def hhs_glossary_terms(value: Any, context: Context) -> Any:
    """Datasets (and resource columns) link approved glossary terms only."""
    _check_terms(as_list(value))
    return value


# ---------------------------------------------------------------- findings on imported records

# Rule labels, as the findings facet shows them.
RULE_TEXT = "Text longer than the hub allows"
RULE_LIST = "List longer than the hub allows"
RULE_BUREAU = "Bureau code not on the OMB list"
RULE_PROGRAM = "Program code form"
RULE_RIGHTS = "Rights missing on non-public data"
RULE_EMAIL = "Contact email form"
RULE_DATE = "Date form"
RULE_FREQUENCY = "Update frequency form"
RULE_TEMPORAL = "Time period form"
RULE_KEYWORDS = "Keywords unusable as tags"
RULE_FIELD = "Value the hub's field cannot hold"
RULE_TEXT_REPLACED = "Characters replaced"

_TEXT_FIELDS = ("title", "notes", "identifier", "spatial", "is_part_of", "primary_it_investment_uii")
_LIST_FIELDS = ("theme", "language", "conforms_to", "is_referenced_by", "bureau_code", "program_code")


def findings(pkg: dict[str, Any], keywords: list[Any] | None = None) -> list[dict[str, str]]:
    """What the HHS rules beyond POD say about a dataset mapped from a POD-valid record, as
    {field, rule, message}; the same checks the validators above make on datasets authored in the hub.

    `keywords` are the record's keywords, when some could not become tags."""
    out: list[dict[str, str]] = []

    def check(field: str, rule: str, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except tk.Invalid as e:
            out.append({"field": field, "rule": rule, "message": str(e.error)})

    for field in _TEXT_FIELDS:
        check(field, RULE_TEXT, hhs_text_cap, pkg.get(field))
    for field in _LIST_FIELDS:
        check(field, RULE_LIST, hhs_list_cap, pkg.get(field))
    for code in pkg.get("bureau_code") or []:
        check("bureau_code", RULE_BUREAU, _check_bureau, code)
    check("program_code", RULE_PROGRAM, hhs_program_codes, pkg.get("program_code") or [])
    level = pkg.get("access_level")
    if level and level != "public" and not str(pkg.get("access_rights") or "").strip():
        out.append(
            {
                "field": "access_rights",
                "rule": RULE_RIGHTS,
                "message": tk._(
                    "Rights are required when the access level is not public: say why access is restricted"
                ),
            }
        )
    for contact in pkg.get("contact") or []:
        check("contact", RULE_EMAIL, hhs_email, contact.get("email"))
    for field in ("issued", "modified"):
        value = pkg.get(field)
        if value not in (None, "") and not _date_ok(value):
            out.append(
                {
                    "field": field,
                    "rule": RULE_DATE,
                    "message": tk._('"{value}" is not a date the hub can hold (YYYY-MM-DD, YYYY-MM or YYYY)').format(
                        value=value
                    ),
                }
            )
    check("frequency", RULE_FREQUENCY, hhs_iso8601_periodicity, pkg.get("frequency"))
    check("temporal", RULE_TEMPORAL, hhs_iso8601_interval, pkg.get("temporal"))
    if keywords is not None:
        tags = pkg.get("tags") or []
        if not tags:
            message = tk._("None of the keywords can be a search tag (tags need 2 or more letters or digits)")
        elif len(keywords) > MAX_LIST_ITEMS:
            message = tk._("Only the first {max} keywords are search tags").format(max=MAX_LIST_ITEMS)
        else:
            message = ""
        if message:
            out.append({"field": "tag_string", "rule": RULE_KEYWORDS, "message": message})
    for index, res in enumerate(pkg.get("resources") or []):
        for field in ("name", "description", "mimetype"):
            check(f"resources[{index}].{field}", RULE_TEXT, hhs_text_cap, res.get(field))
    return out


# ---------------------------------------------------------------- CKAN validators that failed on bad input
# Registered under CKAN's own names, so every schema (ours, scheming's, CKAN's) gets them. Each answers
# what CKAN's answers for good input; where CKAN's raised TypeError/AttributeError (an HTTP 500) on a value
# of the wrong type, these give a field error (found by tests/test_fuzz.py).

_TRUE_WORDS = ("true", "yes", "t", "y", "1")


def boolean_validator(value: Any, context: Context) -> Any:
    """CKAN's: True for true/yes/t/y/1 (any case), False for other text, None or missing; also 0 and 1;
    a field error for numbers, lists and objects (CKAN's called ``.lower()`` on them)."""
    if value is _missing or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in _TRUE_WORDS
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise tk.Invalid(tk._("Must be true or false"))


def natural_number_validator(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> Any:
    """CKAN's (a whole number, 0 or more), with a field error for empty text (CKAN's compared None to 0);
    a refused value stops the field's other validators (CKAN's let them run on it: int() of a list)."""
    try:
        number = _int_validator(data[key], context)
    except tk.Invalid as e:
        errors[key].append(e.error)
        raise StopOnError from e
    if number is None or number < 0:
        errors[key].append(tk._("Must be a natural number"))
        raise StopOnError
    data[key] = number
