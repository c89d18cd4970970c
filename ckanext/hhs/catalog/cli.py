"""`ckan hhs validate-catalog`."""

from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.cli import hhs
from ckanext.hhs.context import site_context

__all__ = ["hhs"]


@hhs.command("validate-catalog")
@click.option("--division", default=None, help="Only this division (organization name)")
@click.option("--inventory", is_flag=True, help="Check the internal inventory (non-public datasets too)")
def validate_catalog(division: str | None, inventory: bool):
    """Print every dataset of /data.json that fails the POD v1.1 schema, with the path and message.

    Exits with status 1 when any dataset fails."""
    report = tk.get_action("hhs_catalog_validate")(site_context(), {"division": division, "inventory": inventory})
    for failure in report["failures"]:
        click.secho(f"{failure['identifier']} ({failure['title']})", fg="red", bold=True)
        for error in failure["errors"]:
            click.echo(f"  {error['path']}: {error['message']}")
    click.echo(f"{report['checked']} checked, {len(report['failures'])} failing the POD v1.1 dataset schema")
    if report["failures"]:
        raise SystemExit(1)
