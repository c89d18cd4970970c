"""schema: the duplicates part of the dashboard, one schema per action."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ..model.duplicates import PAIR_STATUSES

__all__ = [
    "authoritative_set",
    "duplicate_decide",
    "duplicate_list",
    "duplicate_scan",
    "duplicate_show",
    "duplicate_summary",
]

MAX_PAGE = 100
MAX_NOTE = 2000


def _text(limit: int):
    def check(value: Any) -> Any:
        if not isinstance(value, str) or "\x00" in value:
            raise tk.Invalid(tk._("Not text"))
        if len(value) > limit:
            raise tk.Invalid(tk._("At most {n} characters").format(n=limit))
        return value.strip()

    return check


def _at_most(limit: int):
    def check(value: Any) -> Any:
        if int(value) > limit:
            raise tk.Invalid(tk._("At most {n}").format(n=limit))
        return value

    return check


@validator_args
def duplicate_list(
    ignore_missing: Validator,
    default: ValidatorFactory,
    natural_number_validator: Validator,
    one_of: ValidatorFactory,
) -> Schema:
    return {
        "status": [ignore_missing, one_of(PAIR_STATUSES)],
        "division": [ignore_missing, _text(100)],
        "package_id": [ignore_missing, _text(100)],
        "limit": [default(20), natural_number_validator, _at_most(MAX_PAGE)],
        "offset": [default(0), natural_number_validator, _at_most(10_000_000)],
    }


@validator_args
def duplicate_show(not_empty: Validator) -> Schema:
    return {"id": [not_empty, _text(100)]}


@validator_args
def duplicate_summary() -> Schema:
    return {}


@validator_args
def duplicate_decide(not_empty: Validator, ignore_missing: Validator, one_of: ValidatorFactory) -> Schema:
    return {
        "id": [not_empty, _text(100)],
        "decision": [not_empty, one_of(("duplicate", "distinct"))],
        "authoritative": [ignore_missing, _text(100)],
        "note": [ignore_missing, _text(MAX_NOTE)],
    }


@validator_args
def duplicate_scan(default: ValidatorFactory, boolean_validator: Validator) -> Schema:
    return {"full": [default(False), boolean_validator]}


@validator_args
def authoritative_set(not_empty: Validator, ignore_missing: Validator, boolean_validator: Validator) -> Schema:
    return {
        "id": [not_empty, _text(100)],
        "authoritative": [ignore_missing, boolean_validator],
        "authoritative_dataset": [ignore_missing, _text(100)],
    }
