"""The governance demo: each part of the dashboard seeds its own demo data (duplicates, quality, gaps:
one `_part(...)` line each below, naming its module, whose `seed_demo()` does the work), then the
figures are computed over the seeded divisions so the dashboard shows real numbers at once.

The link check is left to the hourly refresh (`ckan hhs governance refresh`): it fetches each URL with
a pause between fetches, too slow for the seed."""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs import config as core_config
from ckanext.hhs.context import site_context

from . import metrics

# The Board's demo member: an editor of the governance organization, who decides (duplicates, gaps).
BOARD_USER = ("board-chair", "Morgan Lee (Data Governance Board)")


def run() -> Iterator[str]:
    yield from _board_user()
    # Each part's demo data (one line each), then the figures over all of it.
    yield from _part("gaps")
    yield from _part("quality")
    yield from _part("duplicates")
    yield from _figures()


def _board_user() -> Iterator[str]:
    name, full = BOARD_USER
    if model.User.get(name) is None:
        password = secrets.token_urlsafe(12)
        user = {"name": name, "fullname": full, "email": f"{name}@hhs-demo.localhost", "password": password}
        tk.get_action("user_create")(site_context(), user)
        yield f"User {name} created, password: {password}"
    if model.Group.get(core_config.governance_org()) is not None:
        member = {"id": core_config.governance_org(), "username": name, "role": "editor"}
        tk.get_action("organization_member_create")(site_context(), member)


def _part(module: str) -> Iterator[str]:
    """Run governance.<module>.seed_demo() and report what it says (None, a line, lines or a dict)."""
    result: Any = importlib.import_module(f"{__package__}.{module}").seed_demo()
    if isinstance(result, str):
        yield result
    elif isinstance(result, dict):
        yield from (f"{key}: {value}" for key, value in result.items())
    elif isinstance(result, Iterable):
        yield from (str(line) for line in result)


def _figures() -> Iterator[str]:
    run = metrics.compute_figures()
    yield f"Governance figures computed: {run.counts['divisions']} divisions, {run.counts['datasets']} datasets."
