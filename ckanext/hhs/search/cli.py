"""`ckan hhs search solr-schema|rebuild`: the vector field in a Solr schema.xml, and vectors for an
existing index."""

from __future__ import annotations

import click

from ckanext.hhs.cli import hhs

from . import config, jobs, solr

__all__ = ["hhs"]


@hhs.group()
def search():
    """Search by meaning."""


@search.command("solr-schema")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, writable=True))
def solr_schema(path: str):
    """Add the vector field type and field to the Solr schema.xml at PATH (idempotent); reload the core after."""
    with open(path, encoding="utf-8") as f:
        before = f.read()
    try:
        after = solr.add_vector_field(before, config.vector_field())
    except ValueError as e:
        raise click.ClickException(f"{path}: {e}") from e
    if after == before:
        click.echo(f"{path}: the vector field is there already")
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(after)
    click.echo(f"{path}: added the field {config.vector_field()!r} ({solr.FIELD_TYPE}); reload the Solr core")


@search.command("rebuild")
def rebuild():
    """Embed every indexed dataset that has no vector of its current text, and index it again."""
    solr.forget()
    if not solr.vector_field_present():
        raise click.ClickException(
            f"the Solr core has no field {config.vector_field()!r}: run `ckan hhs search solr-schema` on its "
            "schema.xml and reload it"
        )
    with click.progressbar(length=jobs.total_indexed(), label="Embedding datasets") as bar:
        done = jobs.rebuild(progress=bar.update)
    click.echo(f"{done} datasets embedded and indexed again")
