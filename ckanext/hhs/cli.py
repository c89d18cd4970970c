"""`ckan hhs ...`: the command group every ckanext-hhs plugin adds its commands to."""

from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

__all__ = ["hhs"]


@click.group(short_help="HHS data hub commands")
def hhs():
    """HHS data hub: divisions, catalogs, glossary, marketplace."""


@hhs.command("seed-divisions")
def seed_divisions():
    """Create or update every HHS division (OMB bureau codes of agency 009)."""
    result = tk.get_action("hhs_divisions_seed")(site_context(), {})
    _report_seed(result)


def _report_seed(result: dict[str, list[str]]) -> None:
    for key in ("created", "updated"):
        if result[key]:
            click.echo(f"{key.capitalize()}: {', '.join(result[key])}")
    if not result["created"] and not result["updated"]:
        click.secho(f"Nothing to change: all {len(result['unchanged'])} divisions are up to date.", fg="green")
    else:
        click.echo(f"{len(result['unchanged'])} divisions unchanged.")


@hhs.command("seed-demo")
@click.pass_context
def seed_demo(ctx: click.Context):
    """Seed the demo portal: divisions, then whatever each loaded HHS feature seeds."""
    click.secho("Divisions", bold=True)
    _report_seed(tk.get_action("hhs_divisions_seed")(site_context(), {}))
    # Each feature plugin adds a `seed-demo-<feature>` command; run them in a stable order.
    for name in sorted(hhs.commands):
        if name.startswith("seed-demo-"):
            click.secho(name.removeprefix("seed-demo-").capitalize(), bold=True)
            ctx.invoke(hhs.commands[name])
