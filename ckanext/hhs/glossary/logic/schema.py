"""Validation schemas of the glossary actions, one per action."""

from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging


@validator_args
def term_create(
    not_empty: Validator,
    ignore_missing: Validator,
    hhs_glossary_text: Validator,
    hhs_glossary_slug: Validator,
    hhs_glossary_string_list: Validator,
    hhs_glossary_http_url: Validator,
    hhs_glossary_relation_type: Validator,
    hhs_text_cap: Validator,
    default: ValidatorFactory,
) -> Schema:
    # Lists of objects are nested schemas, as CKAN validates resources and tags.
    return {
        "label": [not_empty, hhs_glossary_text, hhs_text_cap],
        "slug": [ignore_missing, hhs_glossary_text, hhs_glossary_slug],
        "definition": [not_empty, hhs_glossary_text, hhs_text_cap],
        "explanation": [ignore_missing, hhs_glossary_text, hhs_text_cap],
        "example": [ignore_missing, hhs_glossary_text, hhs_text_cap],
        "abbreviation": [ignore_missing, hhs_glossary_text, hhs_text_cap],
        "synonyms": [ignore_missing, hhs_glossary_string_list],
        "owners": [ignore_missing, hhs_glossary_string_list],
        "sensitivity": [ignore_missing, hhs_glossary_string_list],
        "references": {
            "name": [not_empty, hhs_glossary_text, hhs_text_cap],
            "url": [ignore_missing, hhs_glossary_text, hhs_glossary_http_url],
        },
        "exact_matches": {
            "system": [not_empty, hhs_glossary_text, hhs_text_cap],
            "code": [not_empty, hhs_glossary_text, hhs_text_cap],
            "label": [ignore_missing, hhs_glossary_text, hhs_text_cap],
        },
        "related": {"term": [not_empty, hhs_glossary_text], "type": [default("related"), hhs_glossary_relation_type]},
        "parent": [ignore_missing, hhs_glossary_text],
        "steward": [ignore_missing, hhs_glossary_text],
        "message": [ignore_missing, hhs_glossary_text, hhs_text_cap],
    }


@validator_args
def term_update(not_empty: Validator, hhs_glossary_text: Validator, ignore_missing: Validator) -> Schema:
    schema = term_create()
    for field in ("label", "definition"):
        schema[field] = [ignore_missing, *schema[field][1:]]  # type: ignore[index]
    schema["id"] = [not_empty, hhs_glossary_text]
    return schema


@validator_args
def term_ref(not_empty: Validator, hhs_glossary_text: Validator, ignore_missing: Validator) -> Schema:
    return {"id": [not_empty, hhs_glossary_text], "message": [ignore_missing, hhs_glossary_text]}


@validator_args
def term_review(
    not_empty: Validator, hhs_glossary_text: Validator, ignore_missing: Validator, int_validator: Validator
) -> Schema:
    return {**term_ref(), "revision": [ignore_missing, int_validator]}


@validator_args
def term_reject(not_empty: Validator, hhs_glossary_text: Validator, ignore_missing: Validator) -> Schema:
    return {**term_review(), "message": [not_empty, hhs_glossary_text]}


@validator_args
def term_deprecate(not_empty: Validator, hhs_glossary_text: Validator, ignore_missing: Validator) -> Schema:
    return {**term_ref(), "replaced_by": [ignore_missing, hhs_glossary_text]}


@validator_args
def term_list(
    ignore_empty: Validator,
    ignore_missing: Validator,
    hhs_glossary_text: Validator,
    one_of: ValidatorFactory,
    natural_number_validator: Validator,
    int_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
) -> Schema:
    return {
        "q": [ignore_missing, hhs_glossary_text],
        "status": [ignore_missing, one_of(["draft", "in_review", "approved", "deprecated", "rejected"])],
        "steward": [ignore_missing, hhs_glossary_text],
        "letter": [ignore_missing, hhs_glossary_text],
        "parent": [ignore_missing, hhs_glossary_text],
        "limit": paging.limit(),
        "offset": paging.offset(),
    }


@validator_args
def term_autocomplete(
    ignore_empty: Validator,
    not_empty: Validator,
    hhs_glossary_text: Validator,
    natural_number_validator: Validator,
) -> Schema:
    return {"q": [not_empty, hhs_glossary_text], "limit": paging.limit(top=50)}


@validator_args
def revision_compare(not_empty: Validator, hhs_glossary_text: Validator, int_validator: Validator) -> Schema:
    return {"id": [not_empty, hhs_glossary_text], "a": [not_empty, int_validator], "b": [not_empty, int_validator]}


@validator_args
def term_similar(
    ignore_missing: Validator, hhs_glossary_text: Validator, hhs_glossary_string_list: Validator
) -> Schema:
    return {
        "label": [ignore_missing, hhs_glossary_text],
        "definition": [ignore_missing, hhs_glossary_text],
        "synonyms": [ignore_missing, hhs_glossary_string_list],
        "exclude": [ignore_missing, hhs_glossary_text],
    }


@validator_args
def term_datasets(
    ignore_empty: Validator,
    not_empty: Validator,
    hhs_glossary_text: Validator,
    natural_number_validator: Validator,
) -> Schema:
    return {
        "id": [not_empty, hhs_glossary_text],
        "limit": paging.limit(),
        "offset": paging.offset(),
    }


def term_related() -> Schema:
    return {"related": term_create()["related"]}
