"""Contexts for actions that call other actions in a loop."""

from __future__ import annotations

from ckan.types import Context


def fresh(context: Context) -> Context:
    """A new context for the same user: CKAN's auth audit list and cached objects must not be
    shared between sibling action calls (a shallow copy shares them)."""
    new: Context = {"user": context.get("user", "")}
    if context.get("ignore_auth"):
        new["ignore_auth"] = True
    return new
