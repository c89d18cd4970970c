"""Validation schemas of the licence actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging


@validator_args
def licence_create(
    ignore_empty: Validator,
    not_empty: Validator,
    ignore_missing: Validator,
    hhs_marketplace_text: Validator,
    natural_number_validator: Validator,
    one_of: ValidatorFactory,
    default: ValidatorFactory,
    hhs_text_cap: Validator,
    hhs_marketplace_date: Validator,
    hhs_marketplace_string_list: Validator,
    hhs_marketplace_amount: Validator,
    hhs_marketplace_seats: Validator,
) -> Schema:
    return {
        "vendor": [not_empty, hhs_marketplace_text, hhs_text_cap],
        "product": [not_empty, hhs_marketplace_text, hhs_text_cap],
        "subject": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "contract_number": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "holder": [not_empty, hhs_marketplace_text],
        "covered": [ignore_missing, hhs_marketplace_string_list],
        "seats": [ignore_empty, natural_number_validator, hhs_marketplace_seats],
        "cost": [ignore_missing, hhs_marketplace_amount],
        "start_date": [not_empty, hhs_marketplace_date],
        "end_date": [not_empty, hhs_marketplace_date],
        "renewal": [default("manual"), one_of(["auto", "manual", "none"])],
        "terms": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "data_product": [ignore_missing, hhs_marketplace_text],
    }


@validator_args
def licence_update(not_empty: Validator, hhs_marketplace_text: Validator, ignore_missing: Validator) -> Schema:
    schema = licence_create()
    for field in ("vendor", "product", "holder", "start_date", "end_date"):
        schema[field] = [ignore_missing, *schema[field][1:]]  # type: ignore[index]
    schema["renewal"] = [ignore_missing, *schema["renewal"][1:]]  # type: ignore[index]
    schema["id"] = [not_empty, hhs_marketplace_text]
    return schema


@validator_args
def licence_search(
    ignore_empty: Validator,
    ignore_missing: Validator,
    hhs_marketplace_text: Validator,
    boolean_validator: Validator,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
) -> Schema:
    return {
        "q": [ignore_missing, hhs_marketplace_text],
        "vendor": [ignore_missing, hhs_marketplace_text],
        "division": [ignore_missing, hhs_marketplace_text],
        "current": [ignore_missing, boolean_validator],
        "limit": paging.limit(),
        "offset": paging.offset(),
    }


@validator_args
def licence_request_create(
    not_empty: Validator, hhs_marketplace_text: Validator, ignore_missing: Validator, hhs_text_cap: Validator
) -> Schema:
    return {
        "licence": [not_empty, hhs_marketplace_text],
        "division": [not_empty, hhs_marketplace_text],
        "reason": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
    }


@validator_args
def licence_ref(not_empty: Validator, hhs_marketplace_text: Validator) -> Schema:
    return {"id": [not_empty, hhs_marketplace_text]}


@validator_args
def licence_request_ref(not_empty: Validator, hhs_marketplace_text: Validator, ignore_missing: Validator) -> Schema:
    """A decision whose note is optional (approving a division)."""
    return {"id": [not_empty, hhs_marketplace_text], "message": [ignore_missing, hhs_marketplace_text]}


@validator_args
def licence_request_message(not_empty: Validator, hhs_marketplace_text: Validator, hhs_text_cap: Validator) -> Schema:
    """A decision that must say why (declining a division)."""
    return {"id": [not_empty, hhs_marketplace_text], "message": [not_empty, hhs_marketplace_text, hhs_text_cap]}


@validator_args
def licence_remind(ignore_missing: Validator, hhs_marketplace_date: Validator) -> Schema:
    return {"as_of": [ignore_missing, hhs_marketplace_date]}
