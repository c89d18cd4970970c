"""`ckan hhs lakehouse refresh [--all]` and the demo's lakehouse tables."""

from __future__ import annotations

import sys

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.cli import hhs
from ckanext.hhs.context import site_context

from . import jobs

__all__ = ["hhs"]


@hhs.group()
def lakehouse():
    """Lakehouse tables linked in place (Delta Lake, Apache Iceberg, Parquet)."""


@lakehouse.command("refresh")
@click.argument("resource_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Refresh every registered table")
@click.option("--queue", is_flag=True, help="Queue the job for `ckan jobs worker` instead of running it here")
def refresh(resource_ids: tuple[str, ...], everything: bool, queue: bool):
    """Re-read the metadata of registered tables (run on a schedule, e.g. hourly from cron)."""
    if not everything and not resource_ids:
        raise click.UsageError("Name resource ids or use --all")
    context = site_context()
    ids = [t["resource_id"] for t in _all_tables(context)] if everything else list(resource_ids)
    if queue:
        from .logic.action import enqueue_refresh

        click.echo(f"Queued job {enqueue_refresh(ids)} for {len(ids)} tables.")
        return
    with click.progressbar(length=len(ids), label=f"Refreshing {len(ids)} tables") as bar:
        results = jobs.refresh(ids, bar.update)
    failed = [r for r in results if r["status"] == "error"]
    for r in failed:
        click.secho(f"  {r['id']}: {r['error']}", fg="red", err=True)
    for r in results:
        if r.get("drift"):
            click.echo(f"  {r['id']}: columns changed {r['drift']}")
    stale = sum(1 for r in results if r.get("stale"))
    click.echo(f"{len(results) - len(failed)} refreshed, {len(failed)} failed, {stale} stale")
    if failed:
        sys.exit(1)


def _all_tables(context: dict) -> list[dict]:
    out, offset = [], 0
    while True:
        page = tk.get_action("hhs_lakehouse_table_list")(context, {"limit": 500, "offset": offset})
        out += page["results"]
        offset += 500
        if offset >= page["count"]:
            return out


@hhs.command("seed-demo-lakehouse")
def seed_demo_lakehouse():
    """Write small synthetic CMS-like and CDC-like Delta and Iceberg tables sharing the state FIPS code,
    and register them on datasets of the cms and cdc divisions."""
    from . import seed

    for line in seed.run(site_context()):
        click.echo(line)
