"""schema: the metrics part of the dashboard, one schema per action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging

from ...logic.validators import text

__all__ = ["linkcheck_list", "metrics_history", "metrics_refresh", "metrics_show"]

LINK_STATUSES = ("ok", "broken", "refused", "unknown")


_division = text(100, "Not a division name")  # the HHS-wide figures when empty


def _day(value: Any) -> Any:
    """A calendar date, YYYY-MM-DD."""
    if isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError as e:
        raise tk.Invalid(tk._("Not a date; use YYYY-MM-DD")) from e
    if not 1900 <= day.year <= 9000:  # the figures' days are compared a day later: keep far from the end
        raise tk.Invalid(tk._("Not a date of the figures"))
    return day


@validator_args
def metrics_show(ignore_missing: Validator) -> Schema:
    return {"division": [ignore_missing, _division], "date": [ignore_missing, _day]}


@validator_args
def metrics_history(
    ignore_missing: Validator, default: ValidatorFactory, natural_number_validator: Validator
) -> Schema:
    return {
        "division": [ignore_missing, _division],
        "days": [default(90), natural_number_validator, paging.at_most(3660)],
    }


@validator_args
def metrics_refresh(default: ValidatorFactory, boolean_validator: Validator) -> Schema:
    return {"links": [default(True), boolean_validator]}


@validator_args
def linkcheck_list(
    ignore_missing: Validator,
    default: ValidatorFactory,
    natural_number_validator: Validator,
    one_of: ValidatorFactory,
) -> Schema:
    return {
        "division": [ignore_missing, _division],
        "status": [default("broken"), one_of(LINK_STATUSES)],
        "limit": paging.limit(100),
        "offset": paging.offset(),
    }
