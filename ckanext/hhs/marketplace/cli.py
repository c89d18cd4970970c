"""`ckan hhs marketplace expire|remind` and the demo's marketplace seed."""

from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.cli import hhs
from ckanext.hhs.context import site_context

from . import jobs, seed

__all__ = ["hhs"]


@hhs.group()
def marketplace():
    """The Health Data marketplace."""


@marketplace.command("expire")
@click.option("--as-of", default=None, help="Expire against this day (YYYY-MM-DD) instead of today")
@click.option("--queue", is_flag=True, help="Queue the job for `ckan jobs worker` instead of running it here")
def expire(as_of: str | None, queue: bool):
    """Revoke access grants past their end date (run daily, e.g. from cron)."""
    if queue:
        tk.enqueue_job(jobs.expire_grants, [as_of], title="hhs_marketplace: expire access grants")
        click.echo("Queued.")
        return
    result = jobs.expire_grants(as_of)
    click.echo(
        f"{len(result['expired'])} requests expired, {result['revoked']} grants revoked, "
        f"{result['provisioned']} missing grants provisioned, "
        f"{result['removed']} collaborations that outlived their grants removed"
    )


@marketplace.command("remind")
@click.option("--as-of", default=None, help="Count from this day (YYYY-MM-DD) instead of today")
@click.option("--queue", is_flag=True, help="Queue the job for `ckan jobs worker` instead of running it here")
def remind(as_of: str | None, queue: bool):
    """Remind licence holders of licences that end soon (run daily, e.g. from cron)."""
    if queue:
        tk.enqueue_job(jobs.remind_renewals, [as_of], title="hhs_marketplace: licence renewal reminders")
        click.echo("Queued.")
        return
    result = jobs.remind_renewals(as_of)
    click.echo(f"{len(result['reminded'])} licence holders reminded")


@hhs.command("seed-demo-marketplace")
def seed_demo_marketplace():
    """Add demo data products over CMS datasets, licences, data needs and requests in several states."""
    for line in seed.run(site_context()):
        click.echo(line)
