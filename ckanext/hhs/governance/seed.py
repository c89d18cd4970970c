"""The governance demo: the Board's demo member, then each part's own demo data (its seed.py: gaps,
quality, duplicates), then the figures computed over the seeded divisions so the dashboard shows real
numbers at once.

The link check is left to the hourly refresh (`ckan hhs governance refresh`): it fetches each URL with
a pause between fetches, too slow for the seed."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs import config as core_config
from ckanext.hhs.context import site_context

from .duplicates import seed as duplicates_seed
from .gaps import seed as gaps_seed
from .metrics import figures
from .quality import seed as quality_seed

# The Board's demo member: an editor of the governance organization, who decides (duplicates, gaps).
BOARD_USER = ("board-chair", "Morgan Lee (Data Governance Board)")


def run() -> Iterator[str]:
    yield from _board_user()
    # Each part's demo data (one line each), then the figures over all of it.
    yield from _lines(gaps_seed.seed_demo())
    yield from _lines(quality_seed.seed_demo())
    yield from _lines(duplicates_seed.seed_demo())
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


def _lines(result: Any) -> Iterator[str]:
    """What a part's seed_demo() says (None, a line, lines or a dict), as lines."""
    if isinstance(result, str):
        yield result
    elif isinstance(result, dict):
        yield from (f"{key}: {value}" for key, value in result.items())
    elif isinstance(result, Iterable):
        yield from (str(line) for line in result)


def _figures() -> Iterator[str]:
    run = figures.compute_figures()
    yield f"Governance figures computed: {run.counts['divisions']} divisions, {run.counts['datasets']} datasets."
