"""`ckan hhs governance ...`: the group, with each part's commands added explicitly (metrics: refresh,
linkcheck; duplicates: duplicates scan; quality: quality), and `ckan hhs seed-demo-governance`."""

from __future__ import annotations

import click

from ckanext.hhs.cli import hhs

from .duplicates import cli as duplicates_cli
from .metrics import cli as metrics_cli
from .quality import cli as quality_cli

__all__ = ["hhs"]


@hhs.group()
def governance():
    """The Data Governance Board's dashboard: figures, duplicates, quality, gaps."""


governance.add_command(metrics_cli.refresh)
governance.add_command(metrics_cli.linkcheck)
governance.add_command(duplicates_cli.duplicates)
governance.add_command(quality_cli.quality)


@hhs.command("seed-demo-governance")
def seed_demo_governance():
    """Seed each dashboard part's demo data, then compute the figures for the seeded divisions."""
    from . import seed

    for line in seed.run():
        click.echo(line)
