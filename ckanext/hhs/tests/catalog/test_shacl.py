"""The RDF catalogs and dataset exports pass the official DCAT-US 3.0 SHACL shapes with no violation."""

from __future__ import annotations

import functools
import os

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDFS

from ckanext.hhs import vocab
from ckanext.hhs.harvest import jobs
from ckanext.hhs.rdf import IANA, LOC_639_1
from ckanext.hhs.tests import factories

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
SHAPES = os.path.join(vocab.DATA, "dcat-us-3", "shacl", "dcat-us_3.0_shacl_shapes.ttl")
SH = Namespace("http://www.w3.org/ns/shacl#")
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis")


@functools.cache
def _shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def violations(graph: Graph) -> list[str]:
    """Each violation as 'focus node, path: message', for a readable failure."""
    _conforms, report, _text = validate(graph, shacl_graph=_shapes(), inference="none", allow_warnings=True)
    return sorted(
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(SH.resultSeverity, SH.Violation)
    )


def _graph(app, path: str, fmt: str = "turtle") -> Graph:
    response = app.get(path)
    assert response.status_code == 200, path
    return Graph().parse(data=response.get_data(as_text=True), format=fmt)


def test_a_hub_dataset_conforms_in_every_rdf_format(app):
    division = factories.Division(name="cms")
    dataset = factories.HhsDataset(
        owner_org=division["id"],
        identifier="https://data.cms.gov/id/claims",  # a URL, still a literal identifier
        language=["en", "en-US"],
        frequency="R/P1M",
        url="https://data.cms.gov/claims",  # the landing page: a Document with a title
        theme=["Medicare"],  # concepts, each in its scheme (the shapes require skos:inScheme)
        health_theme=["infectious-disease"],
        resources=[
            {"url": "https://data.cms.gov/a.csv", "format": "CSV", "mimetype": "text/csv"},
            {"url": "https://data.cms.gov/b.pdf", "format": "application/pdf"},
        ],
    )
    for ext, fmt in (("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")):
        graph = _graph(app, f"/dataset/{dataset['name']}.{ext}", fmt)
        assert violations(graph) == [], ext
    node = next(graph.subjects(DCAT.distribution, None))
    assert graph.value(node, DCTERMS.identifier) == Literal("https://data.cms.gov/id/claims")
    # Dublin Core's term, the IRI the JSON's `monthly` reads as with the standard's context.
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef("http://purl.org/cld/freq/monthly")
    assert LOC_639_1.en in set(graph.objects(node, DCTERMS.language))
    media = {graph.value(d, DCAT.mediaType) for d in graph.objects(node, DCAT.distribution)}
    assert IANA["text/csv"] in media


def test_documents_describing_the_same_dataset_merge_without_violations(app):
    """A consumer reading a dataset's own document and its catalog merges them: a blank publisher or
    format would be there twice (both are single-valued in the shapes)."""
    division = factories.Division(name="cms")
    dataset = factories.HhsDataset(
        owner_org=division["id"],
        publisher=[{"name": "Centers for Medicare & Medicaid Services"}],
        resources=[{"url": "https://data.cms.gov/api/1", "format": "API", "resource_kind": "api"}],
    )
    own = _graph(app, f"/dataset/{dataset['name']}.ttl")
    merged = own + _graph(app, "/organization/cms/catalog.ttl") + _graph(app, "/catalog.ttl")
    assert violations(merged) == []
    ref = next(own.subjects(DCAT.distribution, None))
    publisher = own.value(ref, DCTERMS.publisher)
    assert isinstance(publisher, URIRef) and "/.well-known/genid/" in publisher
    assert list(merged.objects(ref, DCTERMS.publisher)) == [publisher]
    fmt = own.value(own.value(ref, DCAT.distribution), DCTERMS["format"])
    assert isinstance(fmt, URIRef) and own.value(fmt, RDFS.label) == Literal("API")


def test_the_cms_division_catalog_and_the_hhs_catalog_conform(app, sysadmin_context):
    factories.Division(name="cms", title="Centers for Medicare & Medicaid Services")
    jobs.import_catalog(sysadmin_context["user"], CMS, "cms", "delete")
    # ckanext-dcat pages catalogs by 100 datasets: both pages together are the 139 records. The HHS
    # catalog names the same datasets by the same URIs: one validation covers the three documents
    # (pySHACL takes about a minute of CPU for them).
    division = _graph(app, "/organization/cms/catalog.ttl") + _graph(app, "/organization/cms/catalog.ttl?page=2")
    assert len(set(division.subjects(DCAT.distribution, None))) == 139
    hhs = _graph(app, "/catalog.ttl")
    ref = next(hhs.subjects(DCAT.dataset, None))
    assert hhs.value(ref, DCTERMS.description) and isinstance(hhs.value(ref, DCTERMS.publisher), URIRef)
    assert violations(division + hhs) == []
