"""DCAT-US 3 output carries the HHS health fields, and parses back to the same values."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from ckanext.dcat.processors import RDFParser
from ckanext.dcat.profiles.euro_health_dcat_ap import HEALTHDCATAP
from ckanext.hhs.rdf import HHS, POD
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
