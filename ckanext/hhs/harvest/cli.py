"""`ckan hhs import-catalog` and the demo's catalog seed."""

from __future__ import annotations

import os

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs import config as core_config
from ckanext.hhs import vocab
from ckanext.hhs.cli import hhs
from ckanext.hhs.context import site_context

from . import config, importer

__all__ = ["hhs"]


@hhs.command("import-catalog")
@click.argument("source")
@click.option("--division", required=True, help="Division (organization) name, e.g. cms")
@click.option(
    "--withdraw",
    type=click.Choice(["delete", "keep"]),
    default=None,
    help="What to do with datasets gone from the source (default: config)",
)
@click.option("--force", is_flag=True, help="Update unchanged records too (after a schema change)")
def import_catalog(source: str, division: str, withdraw: str | None, force: bool):
    """Import a POD v1.1 data.json (a FILE or an http(s) URL) into one division."""
    _run_import(source, division, withdraw or config.withdraw(), force)


def _run_import(source: str, division: str, withdraw: str, force: bool = False) -> None:
    context = site_context()
    tk.check_access("hhs_catalog_import", context, {"source": source, "division": division})
    try:
        catalog = importer.load_catalog(source, allow_path=True)
    except importer.CatalogError as e:
        raise click.ClickException(str(e)) from e
    with click.progressbar(length=len(catalog["dataset"]), label=f"Importing into {division}") as bar:
        report = importer.import_catalog(context, catalog, division, source, withdraw, progress=bar.update, force=force)
    for failure in report.failed:
        click.secho(f"  {failure['identifier']}: {failure['path']}: {failure['message']}", fg="red", err=True)
    for warning in report.warnings:  # kept records that break HHS rules beyond POD
        click.secho(f"  {warning['identifier']}: {warning['path']}: {warning['message']}", fg="yellow", err=True)
    summary = report.summary()
    click.echo(", ".join(f"{count} {key}" for key, count in summary.items()))


@hhs.command("seed-demo-catalog")
def seed_demo_catalog():
    """Import the demo division catalog (CMS's real data.json, 139 datasets) into CMS."""
    source = core_config.demo_catalog() or os.path.join(vocab.DATA, "demo", "cms-data.json")
    _run_import(source, "cms", "delete")
