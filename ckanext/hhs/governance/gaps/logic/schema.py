"""schema: the gaps tracker's actions, one schema per action (update = create + id, all optional)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.hhs.logic import paging
from ckanext.hhs.logic.validators import as_list, calendar_date

from ...logic.validators import text
from .. import model as gm

__all__ = [
    "gap_comment_create",
    "gap_create",
    "gap_list",
    "gap_ref",
    "gap_summary",
    "gap_update",
]

_MAX_LINKS = 200
_YEARS = (2000, 2200)


_text = text()


def _date(value: Any) -> Any:
    """A calendar date, YYYY-MM-DD; empty means none."""
    return None if value in ("", None) else calendar_date(value, _YEARS, "due date")


def _names(value: Any) -> list[str]:
    """A list of names (JSON list, comma-separated text or a list), without blanks and repeats."""
    out = []
    for item in as_list(value):
        if not isinstance(item, str):
            raise tk.Invalid(tk._("{item!r} is not text").format(item=item))
        if "\x00" in item:
            raise tk.Invalid(tk._("Text may not contain NUL characters"))
        if item.strip():
            out.append(item.strip())
    if len(out) > _MAX_LINKS:
        raise tk.Invalid(tk._("At most {n} values are allowed").format(n=_MAX_LINKS))
    return list(dict.fromkeys(out))


@validator_args
def gap_create(
    not_empty: Validator,
    ignore_missing: Validator,
    one_of: ValidatorFactory,
    default: ValidatorFactory,
    hhs_text_cap: Validator,
) -> Schema:
    return {
        "title": [not_empty, _text, not_empty, hhs_text_cap],
        "description": [ignore_missing, _text, hhs_text_cap],
        "division": [not_empty, _text],
        "severity": [default("medium"), one_of(list(gm.GAP_SEVERITIES))],
        "due_date": [ignore_missing, _date],
        "datasets": [ignore_missing, _names],
        "terms": [ignore_missing, _names],
    }


@validator_args
def gap_update(
    not_empty: Validator, ignore_missing: Validator, one_of: ValidatorFactory, hhs_text_cap: Validator
) -> Schema:
    schema = gap_create()
    for field in ("title", "division", "severity"):
        schema[field] = [ignore_missing, *schema[field][1:]]  # type: ignore[index]
    schema["id"] = [not_empty, _text]
    schema["status"] = [ignore_missing, one_of(list(gm.GAP_STATUSES))]
    schema["message"] = [ignore_missing, _text, hhs_text_cap]
    return schema


@validator_args
def gap_ref(not_empty: Validator) -> Schema:
    return {"id": [not_empty, _text]}


@validator_args
def gap_comment_create(not_empty: Validator, hhs_text_cap: Validator) -> Schema:
    return {"id": [not_empty, _text], "text": [not_empty, _text, not_empty, hhs_text_cap]}


@validator_args
def gap_list(
    ignore_missing: Validator,
    one_of: ValidatorFactory,
    boolean_validator: Validator,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
) -> Schema:
    return {
        "status": [ignore_missing, one_of([*gm.GAP_STATUSES, "not_closed"])],
        "severity": [ignore_missing, one_of(list(gm.GAP_SEVERITIES))],
        "division": [ignore_missing, _text],
        "overdue": [ignore_missing, boolean_validator],
        "q": [ignore_missing, _text],
        "limit": paging.limit(),
        "offset": paging.offset(),
    }


@validator_args
def gap_summary(ignore_missing: Validator) -> Schema:
    return {"division": [ignore_missing, _text]}
