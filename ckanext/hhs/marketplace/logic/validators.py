"""Validators of marketplace input: each error names the value that is wrong."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.navl.validators import unicode_safe
from ckan.types import Context

from ckanext.hhs import roles
from ckanext.hhs.logic.validators import as_list, calendar_date

__all__ = [
    "hhs_marketplace_amount",
    "hhs_marketplace_components",
    "hhs_marketplace_date",
    "hhs_marketplace_seats",
    "hhs_marketplace_string_list",
    "hhs_marketplace_text",
]

# Past these the database or the date arithmetic fails: they are errors naming the field instead.
_MAX_SEATS = 10_000_000
_YEARS = (1900, 9000)


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise tk.Invalid(tk._("Text may not contain NUL characters"))
    if not text.isascii() and _SURROGATE.search(text):  # JSON may carry them ("\ud800"); UTF-8 cannot
        raise tk.Invalid(tk._("Text may not contain lone UTF-16 surrogates"))
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def hhs_marketplace_text(value: Any) -> Any:
    """Text (CKAN's unicode_safe) that the database can store: no NUL character."""
    return _no_nul(unicode_safe(value))


def hhs_marketplace_seats(value: Any) -> Any:
    """A number of licence seats, after natural_number_validator."""
    if isinstance(value, int) and value > _MAX_SEATS:  # a non-number is already an error
        raise tk.Invalid(tk._("Must be at most {n}").format(n=_MAX_SEATS))
    return value


def hhs_marketplace_components(value: Any, context: Context) -> Any:
    """Component datasets of a product: existing datasets the author may see, stored by URL name.

    A dataset the author may not see gets the same error as one that does not exist, so the form
    tells nobody what private datasets exist."""
    names = []
    for ref in as_list(value):
        pkg = model.Package.get(str(ref).strip()) if isinstance(ref, str) else None
        visible = pkg is not None and pkg.state == "active" and pkg.type == "dataset"
        if visible and not context.get("ignore_auth"):
            visible = roles.may_read(context.get("user"), pkg.id)
        if not visible:
            raise tk.Invalid(tk._('"{ref}" is not a dataset you can see').format(ref=ref))
        names.append(pkg.name)
    return json.dumps(list(dict.fromkeys(names)))


def hhs_marketplace_date(value: Any) -> Any:
    """A calendar date given as YYYY-MM-DD (or a date)."""
    return calendar_date(value, _YEARS)


def hhs_marketplace_string_list(value: Any) -> list[str]:
    items = as_list(value)
    if len(items) > 200:
        raise tk.Invalid(tk._("At most 200 values are allowed"))
    out = []
    for item in items:
        if not isinstance(item, str):
            raise tk.Invalid(tk._("{item!r} is not text").format(item=item))
        _no_nul(item)
        if item.strip():
            out.append(item.strip())
    return list(dict.fromkeys(out))


def hhs_marketplace_amount(value: Any) -> Any:
    """A money amount in dollars, e.g. 125000 or 125000.50."""
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except InvalidOperation as e:
        raise tk.Invalid(tk._("{value!r} is not an amount; use digits, e.g. 125000.00").format(value=value)) from e
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise tk.Invalid(tk._("{value!r} is not a valid amount").format(value=value))
    return amount.quantize(Decimal("0.01"))
