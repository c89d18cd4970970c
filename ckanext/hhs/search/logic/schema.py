"""Validation schemas of the search actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging


@validator_args
def hhs_search_suggest(
    not_empty: Validator,
    unicode_safe: Validator,
    natural_number_validator: Validator,
    default: ValidatorFactory,
    limit_to_configured_maximum: ValidatorFactory,
) -> Schema:
    return {
        "q": [not_empty, unicode_safe],
        "rows": paging.limit(5),
    }
