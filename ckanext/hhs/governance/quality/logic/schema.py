"""schema: the quality actions, one schema per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging

from ...logic.validators import text
from .. import model as qm

__all__ = [
    "fixlist_show",
    "quality_check",
    "quality_summary",
    "suggestion_list",
    "suggestion_ref",
]


_ref = text(200, "Not a valid id or name")  # an id or name the database can look up


@validator_args
def quality_check(ignore_missing: Validator, boolean_validator: Validator) -> Schema:
    return {
        "id": [ignore_missing, _ref],
        "wait": [ignore_missing, boolean_validator],
        "force": [ignore_missing, boolean_validator],
    }


@validator_args
def suggestion_list(
    ignore_missing: Validator, one_of: ValidatorFactory, natural_number_validator: Validator, int_validator: Validator
) -> Schema:
    return {
        "id": [ignore_missing, _ref],
        "division": [ignore_missing, _ref],
        "kind": [ignore_missing, _ref],
        "status": [ignore_missing, one_of(list(qm.SUGGESTION_STATUSES))],
        "limit": paging.limit(50, top=500),
        "offset": paging.offset(),
    }


@validator_args
def suggestion_ref(not_empty: Validator) -> Schema:
    return {"id": [not_empty, _ref]}


@validator_args
def fixlist_show(not_empty: Validator, ignore_missing: Validator) -> Schema:
    return {"division": [not_empty, _ref], "source": [ignore_missing, _source]}


_source = text(2000, "Not a harvest source or catalog URL")  # a harvest source's id or name, or a catalog URL


@validator_args
def quality_summary() -> Schema:
    return {}
