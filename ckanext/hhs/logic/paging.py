"""Paging, once for every list action: how many at most and from where.

Every `limit` is capped by `ckan.search.rows_max` (CKAN's own cap on a page, 1,000 unless configured)
and, where a list is costlier, by a smaller `top`; every `offset` by MAX_OFFSET. A number past a cap
is refused with the field's name, never passed to the database (a bigger one overflows its bigint).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Validator

MAX_OFFSET = 1_000_000  # past any real list


def at_most(top: int) -> Validator:
    """A whole number (already checked as one) no bigger than `top`."""

    def check(value: Any) -> Any:
        if int(value) > top:
            raise tk.Invalid(tk._("Must be at most {top}").format(top=top))
        return int(value)

    return check


def limit(default: int | None = None, top: int | None = None) -> list[Validator]:
    """A list action's `limit`: a whole number, `default` when not given (else left out, for the action
    to choose), at most `ckan.search.rows_max` and `top`."""
    rows_max = tk.config.get("ckan.search.rows_max") or 1000
    first = tk.get_validator("default")(default) if default is not None else tk.get_validator("ignore_empty")
    return [first, tk.get_validator("natural_number_validator"), at_most(min(int(rows_max), top or int(rows_max)))]


def offset() -> list[Validator]:
    """A list action's `offset`: a whole number, 0 when not given, at most MAX_OFFSET."""
    return [tk.get_validator("default")(0), tk.get_validator("natural_number_validator"), at_most(MAX_OFFSET)]
