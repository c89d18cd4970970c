"""Validation schemas of the data need actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging


@validator_args
def need_create(
    not_empty: Validator,
    ignore_missing: Validator,
    hhs_marketplace_text: Validator,
    hhs_text_cap: Validator,
    hhs_marketplace_date: Validator,
    hhs_marketplace_string_list: Validator,
) -> Schema:
    return {
        "title": [not_empty, hhs_marketplace_text, hhs_text_cap],
        "description": [not_empty, hhs_marketplace_text, hhs_text_cap],
        "why": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "needed_by": [ignore_missing, hhs_marketplace_date],
        "asked": [ignore_missing, hhs_marketplace_string_list],
    }


@validator_args
def need_list(
    ignore_empty: Validator,
    ignore_missing: Validator,
    hhs_marketplace_text: Validator,
    one_of: ValidatorFactory,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
) -> Schema:
    return {
        "status": [ignore_missing, one_of(["open", "closed"])],
        "q": [ignore_missing, hhs_marketplace_text],
        "limit": paging.limit(),
        "offset": paging.offset(),
    }


@validator_args
def need_answer(
    not_empty: Validator,
    ignore_missing: Validator,
    hhs_marketplace_text: Validator,
    one_of: ValidatorFactory,
    hhs_text_cap: Validator,
    hhs_marketplace_date: Validator,
    hhs_marketplace_string_list: Validator,
) -> Schema:
    return {
        "id": [not_empty, hhs_marketplace_text],
        "kind": [not_empty, one_of(["existing", "commit"])],
        "datasets": [ignore_missing, hhs_marketplace_string_list],
        "division": [ignore_missing, hhs_marketplace_text],
        "note": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "publish_by": [ignore_missing, hhs_marketplace_date],
    }


@validator_args
def need_ref(not_empty: Validator, hhs_marketplace_text: Validator) -> Schema:
    return {"id": [not_empty, hhs_marketplace_text]}


@validator_args
def need_close(not_empty: Validator, hhs_marketplace_text: Validator, ignore_missing: Validator) -> Schema:
    return {"id": [not_empty, hhs_marketplace_text], "message": [ignore_missing, hhs_marketplace_text]}
