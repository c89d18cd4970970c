"""Validators of the HHS schemas. Each error names what is expected, in plain language."""

from __future__ import annotations

import json
import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.hhs import config, vocab

__all__ = [
    "hhs_access_level",
    "hhs_authoritative_source",
    "hhs_bureau_codes",
    "hhs_coding_systems",
    "hhs_email",
    "hhs_glossary_terms",
    "hhs_contact_required",
    "hhs_iso8601_date",
    "hhs_iso8601_interval",
    "hhs_iso8601_periodicity",
    "hhs_keywords_required",
    "hhs_list_cap",
    "hhs_program_codes",
    "hhs_rights_unless_public",
    "hhs_single_bureau_code",
    "hhs_text_cap",
]

MAX_LIST_ITEMS = 200
MAX_TEXT = 10_000

_BUREAU = re.compile(r"^\d{3}:\d{2}$")
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


def hhs_list_cap(value: Any) -> Any:
    """Refuse oversized lists (keywords, codes, contacts) before they reach the database."""
    items = value
    if isinstance(value, str) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return value
    if isinstance(items, list) and len(items) > MAX_LIST_ITEMS:
        raise tk.Invalid(tk._("At most {max} values are allowed, got {n}").format(max=MAX_LIST_ITEMS, n=len(items)))
    return value


def _stored(values: list[Any]) -> str:
    """Lists are stored as JSON text in package extras, as scheming stores them."""
    hhs_list_cap(values)
    return json.dumps(values)


def hhs_text_cap(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
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


def hhs_bureau_codes(value: Any) -> Any:
    codes = as_list(value)
    for code in codes:
        _check_bureau(code)
    return _stored(codes)


def hhs_program_codes(value: Any) -> Any:
    codes = as_list(value)
    for code in codes:
        if not isinstance(code, str) or not _PROGRAM.match(code):
            raise tk.Invalid(
                tk._('Program code "{code}" is not of the form 009:000 (Federal Program Inventory)').format(code=code)
            )
    return _stored(codes)


def hhs_coding_systems(value: Any) -> Any:
    systems = as_list(value)
    allowed = vocab.coding_systems()
    for system in systems:
        if system not in allowed:
            raise tk.Invalid(
                tk._('Unknown coding system "{value}"; expected one of: {allowed}').format(
                    value=system, allowed=", ".join(allowed)
                )
            )
    return _stored(systems)


def hhs_access_level(value: Any) -> Any:
    if value not in vocab.ACCESS_LEVELS:
        raise tk.Invalid(tk._("Access level must be one of: {allowed}").format(allowed=", ".join(vocab.ACCESS_LEVELS)))
    return value


def hhs_rights_unless_public(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """POD `rights`: required when accessLevel is restricted public or non-public."""
    level = data.get(key[:-1] + ("access_level",))
    value = data.get(key)
    if level and level != "public" and (value is tk.missing or not str(value or "").strip()):
        errors[key].append(
            tk._("Rights are required when the access level is not public: say why access is restricted")
        )


def hhs_email(value: Any) -> Any:
    if value in (None, "", tk.missing):
        return value
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise tk.Invalid(tk._('"{value}" is not an email address').format(value=value))
    return value.strip().removeprefix("mailto:")


def hhs_iso8601_periodicity(value: Any) -> Any:
    if value in (None, "", tk.missing):
        return value
    return _matching(
        value, _PERIODICITY, tk._('"{value}" is not an ISO 8601 repeating duration such as R/P1Y, R/P1M or irregular')
    )


def hhs_iso8601_interval(value: Any) -> Any:
    if value in (None, "", tk.missing):
        return value
    return _matching(value, _INTERVAL, tk._('"{value}" is not an ISO 8601 interval such as 2020-01-01/2024-12-31'))


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
    if raw in (None, tk.missing):
        data[key] = previous
        return
    value = tk.asbool(raw) if raw != "" else False
    data[key] = value
    if value != previous and not _is_board_member(context, context.get("user")):
        errors[key].append(
            tk._("Only the Data Governance Board ({org}) may change the authoritative source flag").format(
                org=config.governance_org()
            )
        )


def _is_board_member(context: Context, user: str | None) -> bool:
    from ckan import authz

    if not user:
        return False
    if authz.is_sysadmin(user):
        return True
    return authz.has_user_permission_for_group_or_org(config.governance_org(), user, "update_dataset")


def hhs_keywords_required(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """POD requires at least one keyword, given as tag_string (forms) or tags (API, imports)."""
    value = data.get(key)
    has_tag_string = value not in (None, "", tk.missing) and str(value).strip()
    tag_count = sum(1 for k in data if len(k) == 3 and k[0] == "tags" and k[2] == "name" and data[k])
    if has_tag_string:
        tag_count = max(tag_count, len(str(value).split(",")))
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


def hhs_iso8601_date(value: Any) -> Any:
    if value in (None, "", tk.missing) or not isinstance(value, str):
        return value
    return _matching(value, _DATE_ONLY, tk._('"{value}" is not an ISO 8601 date; write YYYY-MM-DD (or YYYY, YYYY-MM)'))


def hhs_contact_required(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    """POD contactPoint: at least one contact with a name and an email.

    Runs on access_level, which is always present: an empty repeating field leaves no key of its own."""
    if not any(k[0] == "contact" and len(k) == 3 and k[2] == "email" and data[k] for k in data):
        errors.setdefault(("contact",), []).append(tk._("At least one contact point with a name and email is required"))


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
