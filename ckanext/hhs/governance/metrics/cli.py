"""`ckan hhs governance refresh` and `ckan hhs governance linkcheck`: the metrics jobs run here or
queued (governance/cli.py adds them to its group)."""

from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

from . import figures
from . import links as link_check

__all__ = ["linkcheck", "refresh"]


@click.command("refresh")
@click.option("--queue", is_flag=True, help="Queue the job for a worker instead of running it here.")
@click.option("--links/--no-links", default=True, help="Check a batch of resource links first (default: yes).")
def refresh(queue: bool, links: bool):
    """Compute and store the dashboard's figures (after a link-check batch)."""
    if queue:
        job = tk.get_action("hhs_governance_metrics_refresh")(site_context(), {"links": links})
        also = f" and link-check job {job['linkcheck_job_id']}" if job.get("linkcheck_job_id") else ""
        click.echo(f"Queued figures job {job['job_id']}{also}; a `ckan jobs worker` runs them.")
        return
    try:
        if links:
            _report_links(link_check.check_links(_ProgressBar("Checking links")))
        run = figures.compute_figures(_ProgressBar("Reading the catalog"))
    except Exception as e:  # noqa: BLE001 (the run is recorded as failed; say why and exit non-zero)
        raise click.ClickException(f"The governance figures could not be computed: {e}") from e
    click.secho(
        f"Figures computed for {run.counts['divisions']} divisions, {run.counts['datasets']} datasets.", fg="green"
    )


@click.command("linkcheck")
@click.option("--limit", type=click.IntRange(min=0), help="Most URLs to check (default: the configured batch).")
def linkcheck(limit: int | None):
    """Check a batch of resource links (http(s) only, through the fetch guard, rate-bounded)."""
    _report_links(link_check.check_links(_ProgressBar("Checking links"), limit=limit))


class _ProgressBar:
    """A click progress bar for a job's progress(done, total) callback, opened at the first call."""

    def __init__(self, label: str):
        self.label, self.bar, self.done = label, None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done
        if done >= total:
            self.bar.__exit__(None, None, None)


def _report_links(run) -> None:
    counts = run.counts
    click.echo(
        f"Links checked: {counts.get('checked', 0)} (ok {counts.get('ok', 0)}, broken {counts.get('broken', 0)}, "
        f"refused {counts.get('refused', 0)})"
    )
