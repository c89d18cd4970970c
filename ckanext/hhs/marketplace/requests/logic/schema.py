"""Validation schemas of the access request actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging

from ... import model as mm


@validator_args
def request_create(
    ignore_empty: Validator,
    not_empty: Validator,
    ignore_missing: Validator,
    hhs_marketplace_text: Validator,
    boolean_validator: Validator,
    natural_number_validator: Validator,
    default: ValidatorFactory,
    hhs_text_cap: Validator,
    hhs_marketplace_date: Validator,
    hhs_marketplace_string_list: Validator,
) -> Schema:
    return {
        "product": [not_empty, hhs_marketplace_text],
        # Required unless the product opens at once (the action checks: it knows the product).
        "purpose": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "project": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "datasets": [ignore_missing, hhs_marketplace_string_list],
        "columns": [ignore_missing, hhs_marketplace_text, hhs_text_cap],
        "end_date": [ignore_missing, hhs_marketplace_date],
        "duration_days": [ignore_empty, natural_number_validator],
        "accept_terms": [default(False), boolean_validator],
    }


@validator_args
def request_ref(not_empty: Validator, hhs_marketplace_text: Validator, ignore_missing: Validator) -> Schema:
    return {"id": [not_empty, hhs_marketplace_text], "message": [ignore_missing, hhs_marketplace_text]}


@validator_args
def grant_list(ignore_missing: Validator, hhs_marketplace_text: Validator) -> Schema:
    return {"dataset": [ignore_missing, hhs_marketplace_text], "product": [ignore_missing, hhs_marketplace_text]}


@validator_args
def request_extend(
    not_empty: Validator, hhs_marketplace_text: Validator, ignore_missing: Validator, hhs_marketplace_date: Validator
) -> Schema:
    return {
        "id": [not_empty, hhs_marketplace_text],
        "end_date": [not_empty, hhs_marketplace_date],
        "message": [ignore_missing, hhs_marketplace_text],
    }


@validator_args
def request_message(not_empty: Validator, hhs_marketplace_text: Validator, hhs_text_cap: Validator) -> Schema:
    """A step that must say why (reject, ask for information, answer it)."""
    return {"id": [not_empty, hhs_marketplace_text], "message": [not_empty, hhs_marketplace_text, hhs_text_cap]}


@validator_args
def request_list(
    ignore_empty: Validator,
    ignore_missing: Validator,
    hhs_marketplace_text: Validator,
    one_of: ValidatorFactory,
    default: ValidatorFactory,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
) -> Schema:
    return {
        "scope": [default("mine"), one_of(["mine", "queue"])],
        "status": [ignore_missing, one_of([*mm.REQUEST_STATUSES, "open"])],
        "product": [ignore_missing, hhs_marketplace_text],
        "limit": paging.limit(),
        "offset": paging.offset(),
    }


@validator_args
def grants_expire(ignore_missing: Validator, hhs_marketplace_date: Validator) -> Schema:
    return {"as_of": [ignore_missing, hhs_marketplace_date]}
