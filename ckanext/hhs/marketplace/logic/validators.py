"""Validators of marketplace input: each error names the value that is wrong."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.hhs.logic.validators import as_list

__all__ = [
    "hhs_marketplace_amount",
    "hhs_marketplace_components",
    "hhs_marketplace_date",
    "hhs_marketplace_string_list",
]


def hhs_marketplace_components(value: Any, context: Context) -> Any:
    """Component datasets of a product: existing datasets the author may see, stored by URL name.

    A dataset the author may not see gets the same error as one that does not exist, so the form
    tells nobody what private datasets exist."""
    names = []
    for ref in as_list(value):
        pkg = model.Package.get(str(ref).strip()) if isinstance(ref, str) else None
        visible = pkg is not None and pkg.state == "active" and pkg.type == "dataset"
        if visible and not context.get("ignore_auth"):
            try:
                tk.check_access("package_show", {"user": context.get("user") or ""}, {"id": pkg.id})
            except tk.NotAuthorized:
                visible = False
        if not visible:
            raise tk.Invalid(tk._('"{ref}" is not a dataset you can see').format(ref=ref))
        names.append(pkg.name)
    return json.dumps(list(dict.fromkeys(names)))


def hhs_marketplace_date(value: Any) -> Any:
    """A calendar date given as YYYY-MM-DD (or a date)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as e:
        raise tk.Invalid(tk._("{value!r} is not a date; use YYYY-MM-DD").format(value=value)) from e


def hhs_marketplace_string_list(value: Any) -> list[str]:
    items = as_list(value)
    if len(items) > 200:
        raise tk.Invalid(tk._("At most 200 values are allowed"))
    out = []
    for item in items:
        if not isinstance(item, str):
            raise tk.Invalid(tk._("{item!r} is not text").format(item=item))
        if item.strip():
            out.append(item.strip())
    return list(dict.fromkeys(out))


def hhs_marketplace_amount(value: Any) -> Any:
    """A money amount in dollars, e.g. 125000 or 125000.50."""
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except InvalidOperation as e:
        raise tk.Invalid(tk._("{value!r} is not an amount; use digits, e.g. 125000.00").format(value=value)) from e
    if amount < 0 or amount >= Decimal("1e12"):
        raise tk.Invalid(tk._("{value!r} is not a valid amount").format(value=value))
    return amount.quantize(Decimal("0.01"))
