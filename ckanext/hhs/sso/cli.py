"""`ckan hhs sso sync`: the provider's current groups applied to everyone who signed in through it."""

from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.cli import hhs
from ckanext.hhs.context import site_context

__all__ = ["hhs"]


@hhs.group()
def sso():
    """Sign-in with the HHS identity provider."""


@sso.command("sync")
def sync():
    """Apply the provider's groups to every signed-in-before user; close accounts the provider disabled."""
    try:
        counts = tk.get_action("hhs_sso_sync")(site_context(), {})
    except tk.ValidationError as e:
        raise click.ClickException("; ".join(m for msgs in e.error_dict.values() for m in msgs)) from e
    click.echo(
        f"{counts['checked']} checked, {counts['updated']} roles applied, {counts['disabled']} disabled, "
        f"{counts['errors']} without an answer"
    )
    if counts["errors"]:
        raise SystemExit(1)
