"""Validation schemas of the lakehouse actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging


@validator_args
def table_ref(not_empty: Validator, hhs_db_text: Validator) -> Schema:
    return {"id": [not_empty, hhs_db_text]}


@validator_args
def table_register(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    boolean_validator: Validator,
    default: ValidatorFactory,
) -> Schema:
    return {
        **table_ref(),
        "table_uri": [ignore_missing, unicode_safe],
        "table_format": [ignore_missing, unicode_safe],
        "allow_phi_preview": [ignore_missing, boolean_validator],
        "queue": [default(True), boolean_validator],
    }


@validator_args
def table_refresh(
    ignore_missing: Validator, unicode_safe: Validator, boolean_validator: Validator, default: ValidatorFactory
) -> Schema:
    return {
        "id": [ignore_missing, unicode_safe],
        "all": [default(False), boolean_validator],
        "queue": [default(True), boolean_validator],
    }


@validator_args
def table_list(
    ignore_missing: Validator,
    unicode_safe: Validator,
    boolean_validator: Validator,
    natural_number_validator: Validator,
    default: ValidatorFactory,
) -> Schema:
    return {
        "package_id": [ignore_missing, unicode_safe],
        "stale": [ignore_missing, boolean_validator],
        "limit": paging.limit(100),
        "offset": paging.offset(),
    }


@validator_args
def column_confirm(
    not_empty: Validator, ignore_missing: Validator, unicode_safe: Validator, boolean_validator: Validator
) -> Schema:
    return {
        **table_ref(),
        "column": [not_empty, unicode_safe],
        "term": [ignore_missing, unicode_safe],
        "remove": [ignore_missing, boolean_validator],
    }


@validator_args
def preview(ignore_empty: Validator, natural_number_validator: Validator) -> Schema:
    return {**table_ref(), "rows": [ignore_empty, natural_number_validator]}


@validator_args
def query(
    ignore_empty: Validator,
    not_empty: Validator,
    unicode_safe: Validator,
    natural_number_validator: Validator,
) -> Schema:
    return {"sql": [not_empty, unicode_safe], "limit": [ignore_empty, natural_number_validator]}
