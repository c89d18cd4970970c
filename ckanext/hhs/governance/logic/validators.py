"""Validators the governance schemas share."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Validator

__all__ = ["text"]


def text(limit: int | None = None, invalid: str | None = None) -> Validator:
    """Text the database can store (no NUL character), stripped, of at most `limit` characters; a
    refused value gets the message `invalid` when given."""

    def check(value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise tk.Invalid(invalid or tk._("Must be text"))
        if "\x00" in value:
            raise tk.Invalid(invalid or tk._("Text may not contain NUL characters"))
        if limit is not None and len(value) > limit:
            raise tk.Invalid(invalid or tk._("At most {n} characters").format(n=limit))
        return value.strip()

    return check
