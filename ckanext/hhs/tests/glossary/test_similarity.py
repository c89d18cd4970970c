"""Duplicate glossary terms by meaning: the threshold the core's embedding model is used with."""

from __future__ import annotations

import numpy as np
import pytest

from ckanext.hhs import embedding
from ckanext.hhs.glossary import csv_io, similarity
from ckanext.hhs.glossary.cli import SEED

# Eight definitions of the starter glossary, reworded by hand so that few words are shared.
REWORDED = {
    "Encounter": "A visit or contact in which a patient receives care or an assessment of their health "
    "from a clinician.",
    "Beneficiary": "Someone entitled to receive benefits from a health coverage program like Medicaid or Medicare.",
    "Date of birth": "The day, month and year a person was born.",
    "Incidence": "How many new cases of an illness occur in a population over a given time period.",
    "Prevalence": "The share of a population that has a condition at a given time.",
    "Diagnosis": "A disease or condition a clinician determines a patient has, typically recorded with ICD-10-CM "
    "or SNOMED CT codes.",
    "LOINC": "A code system that identifies lab tests and clinical measurements.",
    "Race": "The racial category a person reports for themselves, using the OMB minimum categories.",
}


@pytest.fixture(scope="module")
def starter_glossary():
    """Labels and definition embeddings of the starter glossary, embedded once for the module."""
    with open(SEED, encoding="utf-8") as f:
        rows = csv_io.read(f.read())
    return [r["displayName"] for r in rows], embedding.embed([r["description"] for r in rows])


def test_reworded_definitions_find_their_own_term_by_meaning(starter_glossary):
    labels, vectors = starter_glossary
    found = 0
    for label, text in REWORDED.items():
        closeness = vectors @ embedding.embed([text])[0]
        assert labels[int(np.argmax(closeness))] == label
        found += closeness[labels.index(label)] >= similarity.MEANING_THRESHOLD
    assert found >= 7  # what the threshold's comment says


def test_few_distinct_starter_terms_look_alike_by_meaning(starter_glossary):
    labels, vectors = starter_glossary
    closeness = vectors @ vectors.T
    pairs = closeness[np.triu_indices(len(labels), 1)]
    assert (pairs >= similarity.MEANING_THRESHOLD).sum() <= 15  # of 2,346 pairs
