"""Validation schemas of the data product actions."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def product_ref(not_empty: Validator, hhs_marketplace_text: Validator) -> Schema:
    return {"id": [not_empty, hhs_marketplace_text]}
