"""schema: the duplicates part of the dashboard, one schema per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging

from ...logic.validators import text
from ..model import PAIR_STATUSES

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


@validator_args
def duplicate_list(
    ignore_missing: Validator,
    default: ValidatorFactory,
    natural_number_validator: Validator,
    one_of: ValidatorFactory,
) -> Schema:
    return {
        "status": [ignore_missing, one_of(PAIR_STATUSES)],
        "division": [ignore_missing, text(100)],
        "package_id": [ignore_missing, text(100)],
        "limit": paging.limit(20, top=MAX_PAGE),
        "offset": paging.offset(),
    }


@validator_args
def duplicate_show(not_empty: Validator) -> Schema:
    return {"id": [not_empty, text(100)]}


@validator_args
def duplicate_summary() -> Schema:
    return {}


@validator_args
def duplicate_decide(not_empty: Validator, ignore_missing: Validator, one_of: ValidatorFactory) -> Schema:
    return {
        "id": [not_empty, text(100)],
        "decision": [not_empty, one_of(("duplicate", "distinct"))],
        "authoritative": [ignore_missing, text(100)],
        "note": [ignore_missing, text(MAX_NOTE)],
    }


@validator_args
def duplicate_scan(default: ValidatorFactory, boolean_validator: Validator) -> Schema:
    return {"full": [default(False), boolean_validator]}


@validator_args
def authoritative_set(not_empty: Validator, ignore_missing: Validator, boolean_validator: Validator) -> Schema:
    return {
        "id": [not_empty, text(100)],
        "authoritative": [ignore_missing, boolean_validator],
        "authoritative_dataset": [ignore_missing, text(100)],
    }
