"""Validation schemas of the data-use record actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging


@validator_args
def use_record_show(
    not_empty: Validator, hhs_marketplace_text: Validator, ignore_empty: Validator, natural_number_validator: Validator
) -> Schema:
    return {"id": [not_empty, hhs_marketplace_text], "version": [ignore_empty, natural_number_validator]}


@validator_args
def use_record_export(
    ignore_empty: Validator,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
) -> Schema:
    return {
        "limit": paging.limit(),
        "offset": paging.offset(),
    }
