"""Validation schema of the marketplace figures."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def metrics(ignore_missing: Validator, hhs_marketplace_text: Validator) -> Schema:
    return {"division": [ignore_missing, hhs_marketplace_text]}
