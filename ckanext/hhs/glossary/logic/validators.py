"""Validators of glossary input: each error names the value that is wrong."""

from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.hhs.logic.validators import as_list, hhs_list_cap, hhs_text_cap

from .. import model as gm

__all__ = [
    "hhs_glossary_http_url",
    "hhs_glossary_text",
    "hhs_glossary_relation_type",
    "hhs_glossary_slug",
    "hhs_glossary_string_list",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_SURROGATE = re.compile("[\ud800-\udfff]")


def hhs_glossary_text(value: Any) -> Any:
    """Text as `unicode_safe` makes it, without NUL characters (PostgreSQL can neither store nor compare them)."""
    value = tk.get_validator("unicode_safe")(value)
    if "\x00" in value:
        raise tk.Invalid(tk._("Text may not contain NUL characters"))
    if not value.isascii() and _SURROGATE.search(value):  # JSON may carry them ("\ud800"); UTF-8 cannot
        raise tk.Invalid(tk._("Text may not contain lone UTF-16 surrogates"))
    return value


def hhs_glossary_slug(value: Any) -> Any:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise tk.Invalid(tk._("{value!r}: use 1-100 lower-case letters, digits, - or _").format(value=value))
    return value


def hhs_glossary_string_list(value: Any) -> list[str]:
    items = as_list(value)
    hhs_list_cap(items)
    for item in items:
        if not isinstance(item, str):
            raise tk.Invalid(tk._("{item!r} is not text").format(item=item))
        hhs_text_cap(item)
    return list(dict.fromkeys(i.strip() for i in items if i.strip()))


def hhs_glossary_http_url(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise tk.Invalid(tk._("{url!r} is not an http(s) URL").format(url=value))
    return value


def hhs_glossary_relation_type(value: Any) -> Any:
    if value not in gm.RELATION_TYPES:
        raise tk.Invalid(
            tk._("{type!r} is not a relation type; use one of {types}").format(
                type=value, types=", ".join(gm.RELATION_TYPES)
            )
        )
    return value
