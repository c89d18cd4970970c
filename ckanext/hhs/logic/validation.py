"""The @validate decorator of every hhs_* action."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict, Schema


def validate(schema_func: Callable[[], Schema]) -> Callable[[Action], Action]:
    """CKAN's ``ckan.logic.validate``, except that an optional field sent as an empty list is absent.

    CKAN's navl ``validate`` puts every top-level ``[]`` of the input back after validating, whatever the
    schema says (so that a partial update can tell "emptied" from "not sent"): ``{"limit": []}`` reached
    the action past ``ignore_empty`` and failed in SQLAlchemy, an HTTP 500 (found by tests/test_fuzz.py).
    Here a field validated by ``ignore_empty`` is dropped when it is ``[]``, as that
    validator promises.
    """

    def decorator(action: Action) -> Action:
        @functools.wraps(action)
        def wrapper(context: Context, data_dict: DataDict) -> Any:
            schema = context.get("schema", schema_func())
            data, errors = tk.navl_validate(data_dict, schema, context)
            if errors:
                raise tk.ValidationError(errors)
            ignore_empty = tk.get_validator("ignore_empty")
            for key, validators in schema.items():
                if data.get(key) == [] and isinstance(validators, list) and ignore_empty in validators:
                    del data[key]
            return action(context, data)

        return wrapper

    return decorator
