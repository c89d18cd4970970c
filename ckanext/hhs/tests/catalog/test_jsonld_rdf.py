"""The hub's two DCAT-US 3.0 exports of one catalog say the same: /dcat-us-3.json read as JSON-LD with the
standard's own context (dcatus3.as_jsonld) and catalog.ttl give isomorphic graphs for the properties both
carry, on real records (CMS's catalog) and hub-authored datasets: text, dates, keywords, language,
frequency, landing page, themes and categories as concepts in their schemes, publisher, contact and
distributions. The one difference is the standard's own (docs/catalog.md, "JSON and RDF say the same"):
its context reads every frequency against Dublin Core's frequency base, so a frequency Dublin Core has no
term for reads as an IRI no vocabulary defines; `frequency_as_in_rdf` applies exactly that rule."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS

from ckanext.dcat.profiles.base import VCARD
from ckanext.hhs import dcatus3, rdf, vocab
from ckanext.hhs.harvest import jobs
from ckanext.hhs.tests import factories

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis")

# What both exports carry, in the same RDF terms: the dataset's own values, its publisher's and contact
# point's, and each distribution's links and media type.
DATASET = (
    DCTERMS.title,
    DCTERMS.description,
    DCTERMS.identifier,
    DCAT.keyword,
    DCTERMS.modified,
    DCTERMS.issued,
    DCTERMS.language,
    DCTERMS.accrualPeriodicity,
    DCAT.landingPage,
)
CONCEPT = (RDF.type, SKOS.prefLabel, SKOS.notation, SKOS.inScheme)
PARTS = {
    DCTERMS.publisher: (FOAF.name,),
    DCAT.contactPoint: (VCARD.fn, VCARD.hasEmail),
    DCAT.distribution: (DCAT.downloadURL, DCAT.accessURL, DCAT.mediaType, DCTERMS.title),
    DCAT.landingPage: (RDF.type, DCTERMS.title),
    DCAT.theme: CONCEPT,
    DCTERMS.type: CONCEPT,
    DCTERMS.subject: CONCEPT,
}


def frequency_as_in_rdf(value):
    """The standard's context reads `R/P10Y` as <http://purl.org/cld/freq/R/P10Y>, which no vocabulary
    defines (Dublin Core has no term for every ten years); the RDF gives that frequency's IRI."""
    term = str(value).removeprefix(dcatus3.DUBLIN_CORE_FREQUENCY)
    if str(value).startswith(dcatus3.DUBLIN_CORE_FREQUENCY) and not dcatus3.dublin_core_frequency(term):
        return rdf._frequency(Graph(), term)
    return value


def _value(graph, node):
    # A literal by its text: the RDF export types dates (xsd:date), the JSON has strings. A node the
    # exports name differently (a blank node, a skolem IRI: a concept's scheme) by what it says.
    if isinstance(node, Literal):
        return Literal(str(node))
    if isinstance(node, BNode) or "/.well-known/genid/" in str(node):
        return Literal(repr(sorted((str(p), str(_value(graph, o))) for p, o in graph.predicate_objects(node))))
    return node


def shared(graph: Graph, json_ld: bool = False) -> Graph:
    """The properties both exports carry, each part (publisher, contact, distribution, concept, landing
    page) a node named by a hash of its values: the RDF export names parts by IRIs the JSON has no
    place for, and graphs without blank nodes compare in linear time (isomorphism of blank nodes that
    look alike does not)."""
    out = Graph()
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        if not isinstance(dataset, URIRef):
            continue
        for predicate in DATASET:
            read = frequency_as_in_rdf if json_ld and predicate == DCTERMS.accrualPeriodicity else (lambda v: v)
            for value in graph.objects(dataset, predicate):
                out.add((dataset, predicate, _value(graph, read(value))))
        for link, predicates in PARTS.items():
            for part in graph.objects(dataset, link):
                values = sorted((p, _value(graph, v)) for p in predicates for v in graph.objects(part, p))
                node = URIRef("urn:x-part:" + hashlib.sha256(repr(values).encode()).hexdigest())
                out.add((dataset, link, node))
                for predicate, value in values:
                    out.add((node, predicate, value))
    return out


def test_the_json_ld_and_the_rdf_of_a_division_catalog_are_isomorphic(app, sysadmin_context, tmp_path):
    division = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", acronym="CMS")
    with open(CMS, encoding="utf-8") as f:
        cms = json.load(f)
    source = tmp_path / "cms-part.json"
    source.write_text(json.dumps({**cms, "dataset": cms["dataset"][:40]}))
    jobs.import_catalog(sysadmin_context["user"], str(source), "cms", "delete")
    factories.HhsDataset(
        owner_org=division["id"],
        identifier="cms-hub-every-ten-years",
        frequency="R/P10Y",
        url="https://www.cms.gov/decennial",
        theme=["Health", "Census"],
        health_theme=["infectious-disease"],
    )
    factories.HhsDataset(
        owner_org=division["id"],
        identifier="cms-hub-authored",
        frequency="R/P1M",
        url="https://www.cms.gov/monthly",
        theme=["Medicare"],
        language=["en"],
        resources=[
            {"url": "https://data.cms.gov/a.csv", "format": "CSV", "mimetype": "text/csv", "name": "A"},
            {"url": "https://data.cms.gov/api/a", "resource_kind": "api", "format": "API", "name": "A API"},
        ],
    )

    document = json.loads(app.get("/organization/cms/dcat-us-3.json").get_data(as_text=True))
    assert dcatus3.schema_errors(document) == []
    as_jsonld = Graph().parse(data=json.dumps(dcatus3.as_jsonld(document)), format="json-ld")
    as_rdf = Graph().parse(data=app.get("/organization/cms/catalog.ttl").get_data(as_text=True), format="turtle")

    ours, theirs = shared(as_jsonld, json_ld=True), shared(as_rdf)
    assert len(set(ours.subjects(DCTERMS.identifier, None))) == 42
    assert len(ours) > 42 * 10  # not comparing nothing: titles, keywords, distributions, ...
    # ... and what this test once left out: frequencies, landing pages, concepts in their schemes.
    frequencies = set(theirs.objects(None, DCTERMS.accrualPeriodicity))
    assert {URIRef(dcatus3.DUBLIN_CORE_FREQUENCY + "monthly"), rdf.EU_FREQUENCY.DECENNIAL} <= frequencies
    assert URIRef(dcatus3.DUBLIN_CORE_FREQUENCY + "R/P10Y") in set(as_jsonld.objects(None, DCTERMS.accrualPeriodicity))
    assert URIRef("https://www.cms.gov/monthly") in set(ours.objects(None, DCAT.landingPage))
    labels = {str(label) for label in as_rdf.objects(None, SKOS.prefLabel)}
    assert {"Medicare", "Health", "Census", "infectious-disease", "009:38"} <= labels
    assert len(set(theirs.objects(None, DCAT.theme))) >= 3 and len(set(theirs.objects(None, DCTERMS.type))) >= 3
    only_json, only_rdf = set(ours) - set(theirs), set(theirs) - set(ours)
    assert not only_json and not only_rdf, (sorted(only_json)[:10], sorted(only_rdf)[:10])
    assert isomorphic(ours, theirs)
