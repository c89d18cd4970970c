"""`ckan hhs glossary import|export` and the demo's starter glossary."""

from __future__ import annotations

import os
import sys

import click

import ckan.plugins.toolkit as tk

from ckanext.hhs.cli import hhs
from ckanext.hhs.context import site_context

from . import csv_io, skos
from . import export as glossary_export

__all__ = ["hhs"]

SEED = os.path.join(os.path.dirname(__file__), "data", "hhs-glossary.csv")


@hhs.group()
def glossary():
    """The glossary of common data terms."""


def _rows(path: str) -> list[dict]:
    with open(path, encoding="utf-8-sig") as f:
        text = f.read()
    ext = path.rsplit(".", 1)[-1].lower()
    try:
        if ext in skos.FORMATS:
            return skos.rows(text, ext)
        return csv_io.read(text)
    except Exception as e:  # noqa: BLE001 (rdflib and csv raise many kinds; all mean a bad file)
        raise click.ClickException(f"{path}: {e}") from e


def _import(path: str, atomic: bool) -> None:
    rows = _rows(path)
    with click.progressbar(length=len(rows), label=f"Importing {len(rows)} terms") as bar:
        report = tk.get_action("hhs_glossary_import")(
            site_context(), {"rows": rows, "atomic": atomic, "progress": bar.update}
        )
    for failure in report["failed"]:
        problems = "; ".join(f"{field}: {', '.join(map(str, msgs))}" for field, msgs in failure["errors"].items())
        click.secho(f"  row {failure['row']} ({failure['term']}): {problems}", fg="red", err=True)
    note = "" if report["applied"] else " (nothing applied: --atomic)"
    click.echo(
        f"{len(report['created'])} created, {len(report['updated'])} updated, {len(report['unchanged'])} unchanged, "
        f"{len(report['failed'])} failed{note}"
    )
    if report["failed"]:
        sys.exit(1)


@glossary.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--atomic", is_flag=True, help="Apply every row or none")
def import_(path: str, atomic: bool):
    """Import terms from a CSV file (see ckanext/hhs/glossary/csv_io.py) or SKOS (.ttl, .jsonld)."""
    _import(path, atomic)


@glossary.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "ttl", "jsonld"]), default="csv")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
def export(fmt: str, output):
    """Export every term (CSV) or the approved and deprecated ones (SKOS)."""
    terms = list(glossary_export.terms(site_context()))
    if fmt == "csv":
        output.writelines(csv_io.write(terms))
    else:
        public = [t for t in terms if t["status"] in ("approved", "deprecated")]
        output.write(skos.graph(public).serialize(format=skos.FORMATS[fmt][0]))


@glossary.command("embed")
@click.option("--all", "everything", is_flag=True, help="Recompute every definition's, not only the missing ones")
def embed(everything: bool):
    """Store the embedding of each definition that has none (terms written before it was kept, or while
    ckanext.hhs.glossary.similar_by_meaning was off), so duplicate checks need not compute them."""
    with click.progressbar(length=0, label="Embedding definitions", show_pos=True) as bar:
        done = tk.get_action("hhs_glossary_embed")(site_context(), {"all": everything, "progress": bar.update})
    click.echo(f"Definitions embedded: {done['embedded']}")


@hhs.command("seed-demo-glossary")
@click.pass_context
def seed_demo_glossary(ctx: click.Context):
    """Load the starter glossary of common HHS health data terms (each with its public source)."""
    _import(SEED, atomic=True)
    ctx.invoke(embed, everything=False)
