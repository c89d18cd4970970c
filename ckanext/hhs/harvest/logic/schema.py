from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def catalog_import(
    not_empty: Validator,
    unicode_safe: Validator,
    ignore_missing: Validator,
    one_of: Validator,
    boolean_validator: Validator,
) -> Schema:
    return {
        "source": [not_empty, unicode_safe],
        "division": [not_empty, unicode_safe],
        "withdraw": [ignore_missing, one_of(["delete", "keep"])],
        "force": [ignore_missing, boolean_validator],
    }


@validator_args
def catalog_import_status(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe]}


@validator_args
def source_overlap(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe]}
