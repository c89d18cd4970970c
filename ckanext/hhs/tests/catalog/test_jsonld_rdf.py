"""The hub's two DCAT-US 3.0 exports of one catalog say the same: /dcat-us-3.json read as JSON-LD with the
standard's own context (dcatus3.as_jsonld) and catalog.ttl give isomorphic graphs for the properties both
carry, on real records (CMS's catalog) and a hub-authored dataset."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from ckanext.dcat.profiles.base import VCARD
from ckanext.hhs import dcatus3, vocab
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
)
PARTS = {
    DCTERMS.publisher: (FOAF.name,),
    DCAT.contactPoint: (VCARD.fn, VCARD.hasEmail),
    DCAT.distribution: (DCAT.downloadURL, DCAT.accessURL, DCAT.mediaType, DCTERMS.title),
}


def _value(node):
    # A literal by its text: the RDF export types dates (xsd:date), the JSON has strings.
    return Literal(str(node)) if isinstance(node, Literal) else node


def shared(graph: Graph) -> Graph:
    """The properties both exports carry, each part (publisher, contact, distribution) a node named by a
    hash of its values: the RDF export names parts by IRIs the JSON has no place for, and graphs without
    blank nodes compare in linear time (isomorphism of blank nodes that look alike does not)."""
    out = Graph()
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        if not isinstance(dataset, URIRef):
            continue
        for predicate in DATASET:
            for value in graph.objects(dataset, predicate):
                out.add((dataset, predicate, _value(value)))
        for link, predicates in PARTS.items():
            for part in graph.objects(dataset, link):
                values = sorted((p, _value(v)) for p in predicates for v in graph.objects(part, p))
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
        identifier="cms-hub-authored",
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

    ours, theirs = shared(as_jsonld), shared(as_rdf)
    assert len(set(ours.subjects(DCTERMS.identifier, None))) == 41
    assert len(ours) > 41 * 10  # not comparing nothing: titles, keywords, distributions, ...
    only_json, only_rdf = set(ours) - set(theirs), set(theirs) - set(ours)
    assert not only_json and not only_rdf, (sorted(only_json)[:10], sorted(only_rdf)[:10])
    assert isomorphic(ours, theirs)
