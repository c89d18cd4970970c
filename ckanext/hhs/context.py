"""Contexts for actions: a fresh one per sibling call, the site user's for work no person asks for (CLI,
jobs, seeding), and keys for looking up what a caller names."""

from __future__ import annotations

import functools
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict


def fresh(context: Context, *, check_auth: bool = False) -> Context:
    """A new context for the same user: CKAN's auth audit list and cached objects must not be
    shared between sibling action calls (a shallow copy shares them). With ``check_auth`` the
    sibling call is checked as that user even where the caller's own context skipped auth."""
    new: Context = {"user": context.get("user", "")}
    if context.get("ignore_auth") and not check_auth:
        new["ignore_auth"] = True
    return new


def site_user() -> model.User:
    """The site user: CKAN's own sysadmin account for work no person does (made on first ask)."""
    return model.User.get(_site_user_name())


def site_context() -> Context:
    """A context acting as the site user, as CKAN's own CLI commands do. Auth still runs (as a
    sysadmin): whoever starts the work already holds that right (a CLI runs on the server, a job is
    queued by an action whose own auth passed), and nothing any auth refuses even a sysadmin gets through."""
    return {"user": _site_user_name(), "ignore_auth": False}


def _site_user_name() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def all_or_nothing(action: Any) -> Any:
    """A write action that fails leaves nothing behind: its session changes are rolled back."""

    @functools.wraps(action)
    def wrapped(context: Context, data_dict: DataDict) -> Any:
        try:
            return action(context, data_dict)
        except (tk.ValidationError, tk.NotAuthorized, tk.ObjectNotFound):
            model.Session.rollback()
            raise

    return wrapped


def db_key(value: Any) -> str:
    """What a caller gave as an id or name, as a key the database can look up: text, '' for nothing or
    for text with a NUL character (PostgreSQL refuses NUL in a query: a 500 instead of "not found")."""
    key = str(value or "")
    return "" if "\x00" in key else key


def is_activity_snapshot(context: Context) -> bool:
    """A package_show of CKAN's activity plugin: the dataset kept in the activity stream and shown to
    everyone who may see the dataset. It runs with `for_view: False` and `ignore_auth`; in a web request
    CKAN also fills in the editor as the context's user, so the user says nothing about who will see it."""
    return context.get("for_view") is False and bool(context.get("ignore_auth"))
