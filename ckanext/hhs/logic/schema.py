"""Input schemas of the core actions."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def divisions_seed(ignore_missing: Validator, boolean_validator: Validator) -> Schema:
    return {"include_governance_board": [ignore_missing, boolean_validator]}


@validator_args
def dataset_ref(not_empty: Validator, hhs_db_text: Validator) -> Schema:
    return {"id": [not_empty, hhs_db_text]}


@validator_args
def resource_guess(not_empty: Validator, hhs_db_text: Validator, hhs_text_cap: Validator) -> Schema:
    return {"url": [not_empty, hhs_db_text, hhs_text_cap]}
