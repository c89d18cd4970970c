"""Validation schemas of the marketplace actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging


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
    from ..model import REQUEST_STATUSES

    return {
        "scope": [default("mine"), one_of(["mine", "queue"])],
        "status": [ignore_missing, one_of([*REQUEST_STATUSES, "open"])],
        "product": [ignore_missing, hhs_marketplace_text],
        "limit": paging.limit(),
        "offset": paging.offset(),
    }


@validator_args
def product_ref(not_empty: Validator, hhs_marketplace_text: Validator) -> Schema:
    return {"id": [not_empty, hhs_marketplace_text]}


@validator_args
def grants_expire(ignore_missing: Validator, hhs_marketplace_date: Validator) -> Schema:
    return {"as_of": [ignore_missing, hhs_marketplace_date]}


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
def metrics(ignore_missing: Validator, hhs_marketplace_text: Validator) -> Schema:
    return {"division": [ignore_missing, hhs_marketplace_text]}


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
