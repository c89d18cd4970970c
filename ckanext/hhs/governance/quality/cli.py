"""`ckan hhs governance quality`: the quality check (suggestions and Table Schema validation); added
to the group by governance/cli.py."""

from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

__all__ = ["quality"]


@click.command("quality")
@click.option("--dataset", default=None, help="Check only this dataset (name or id).")
@click.option("--force", is_flag=True, help="Check every dataset again, changed or not.")
@click.option("--queue", is_flag=True, help="Queue the check for a worker instead of running it here.")
def quality(dataset: str | None, force: bool, queue: bool):
    """Check datasets changed since their last check for missing and weak fields, and validate their
    tabular resources against their Table Schema (as the site user)."""
    data = {"force": force, "wait": not queue, **({"id": dataset} if dataset else {})}
    run = tk.get_action("hhs_governance_quality_check")(site_context(), data)
    if queue:
        click.echo(f"Queued quality check {run['id']}; a `ckan jobs worker` runs it.")
        return
    click.echo(f"Quality check {run['status']}: {run['checked']} datasets checked, {run['failed']} failed.")
    if run["status"] == "failed":
        raise click.ClickException(run["error"] or "the check failed")
