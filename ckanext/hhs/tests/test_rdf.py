"""DCAT-US 3 output carries the HHS health fields, and parses back to the same values."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from ckanext.dcat.processors import RDFParser
from ckanext.dcat.profiles.euro_health_dcat_ap import HEALTHDCATAP
from ckanext.hhs.rdf import HHS, POD, RULE_SHAPE, record_triples, serialize_record, shape_findings
from ckanext.hhs.tests import factories

HEALTH = {
    "coding_system": ["ICD-10-CM", "LOINC"],
    "health_theme": ["chronic-disease"],
    "health_category": ["claims"],
    "population_coverage": ["Medicare beneficiaries"],
    "legal_basis": ["hipaa-privacy-rule"],
    "number_of_records": 1000,
    "number_of_unique_individuals": 400,
    "min_typical_age": 65,
    "max_typical_age": 99,
    "phi_classification": "limited-data-set",
    "sensitivity": "moderate",
    "access_level": "restricted public",
    "access_rights": "Available under a data use agreement.",
}


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_dataset_turtle_carries_health_fields_and_round_trips(app):
    dataset = factories.HhsDataset(**HEALTH)
    response = app.get(f"/dataset/{dataset['name']}.ttl")
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    ref = next(graph.subjects(POD.bureauCode, None))
    assert {str(o) for o in graph.objects(ref, HEALTHDCATAP.hasCodingSystem)} == {"ICD-10-CM", "LOINC"}
    assert int(next(graph.objects(ref, HEALTHDCATAP.numberOfRecords))) == 1000
    assert str(next(graph.objects(ref, HHS.phiClassification))) == "limited-data-set"

    parser = RDFParser(profiles=["dcat_us_3", "hhs"])
    parser.parse(response.get_data(as_text=True), _format="turtle")
    parsed = next(parser.datasets())
    for key, value in HEALTH.items():
        if key == "access_rights":
            continue
        assert parsed[key] == (sorted(value) if isinstance(value, list) else value), key
    assert parsed["bureau_code"] == ["009:38"]
    assert isinstance(ref, URIRef)


SOURCE = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://data.cms.gov/id/a> a dcat:Dataset ; dct:title "A" ; dct:description "A dataset" ;
    dct:identifier %(identifier)s ;
    dct:publisher %(publisher)s ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "Help" ; vcard:hasEmail <mailto:help@cms.gov> ] ;
    dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <https://data.cms.gov/a.csv> ;
        dcat:mediaType %(media)s ] .
"""


def _findings(**values):
    graph = Graph().parse(data=SOURCE % values, format="turtle")
    triples, _ = record_triples(graph, URIRef("https://data.cms.gov/id/a"))
    return shape_findings(serialize_record(triples))


def test_a_harvested_records_shape_violations_become_findings():
    # As a source may publish it: the identifier an IRI, the publisher a foaf:Agent, the media type text.
    findings = _findings(
        identifier="<https://data.cms.gov/id/a>", publisher='[ a foaf:Agent ; foaf:name "CMS" ]', media='"text/csv"'
    )
    assert {(f["path"], f["rule"]) for f in findings} == {
        ("$ (dct:identifier)", RULE_SHAPE),
        ("$ (dct:publisher)", RULE_SHAPE),
        ("$.dcat:distribution (dcat:mediaType)", RULE_SHAPE),
    }
    assert all(f["message"] for f in findings)
    conforming = _findings(
        identifier='"https://data.cms.gov/id/a"',
        publisher="<https://www.cms.gov/>",
        media="<https://www.iana.org/assignments/media-types/text/csv>",
    )
    assert conforming == []
