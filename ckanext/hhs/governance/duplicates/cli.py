"""`ckan hhs governance duplicates ...`: the duplicate scan across divisions (a subgroup that
governance/cli.py adds to its group)."""

from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

__all__ = ["duplicates"]

_STAGES = {"embedding": "Embedding changed titles and descriptions", "comparing": "Comparing with the catalog"}


@click.group()
def duplicates():
    """Likely duplicate datasets across divisions."""


@duplicates.command("scan")
@click.option("--full", is_flag=True, help="Embed every text again and compare every dataset with every other.")
@click.option("--queue", is_flag=True, help="Queue the scan for a worker instead of running it here.")
def scan(full: bool, queue: bool):
    """Find likely duplicate datasets across divisions (by default only changed datasets are embedded and
    compared against all)."""
    from . import scan as job

    if queue:
        queued = tk.get_action("hhs_governance_duplicate_scan")(site_context(), {"full": full})
        click.echo(f"Queued job {queued['job_id']}; a `ckan jobs worker` runs it.")
        return
    bar = _StageBars()
    try:
        run = job.scan(full, bar)
    except job.ScanBusy as e:
        raise click.ClickException(str(e).capitalize()) from e
    except Exception as e:  # noqa: BLE001 (the run is recorded as failed; say why and exit non-zero)
        raise click.ClickException(f"The duplicate scan failed: {e}") from e
    finally:
        bar.close()
    c = run.counts
    click.secho(
        f"Scanned {c['datasets']} datasets ({c['changed']} changed, {c['embedded']} texts embedded): "
        f"{c['new']} new pairs, {c['reopened']} reopened, {c['dropped']} dropped, {c['open']} open.",
        fg="green",
    )


class _StageBars:
    """One click progress bar per stage of the scan, for its progress(stage, done, total) callback."""

    def __init__(self):
        self.stage, self.bar, self.done = None, None, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in _STAGES:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=_STAGES[stage])
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
