"""An RDF profile for ckanext-dcat that adds the HHS fields to its DCAT-US 3 output.

Used after `dcat_us_3` (`ckanext.dcat.rdf.profiles = dcat_us_3 hhs`): health fields with the
HealthDCAT-AP and DPV terms ckanext-dcat's own health profile uses, POD's bureau/program codes and
access level, and the HHS governance fields. It parses the same triples back, so a dataset
serialised and parsed again keeps its values.
"""

from __future__ import annotations

from typing import Any

from rdflib import Literal, Namespace, URIRef

from ckanext.dcat.profiles.base import RDFProfile, URIRefOrLiteral
from ckanext.dcat.profiles.euro_health_dcat_ap import DPV, HEALTHDCATAP

POD = Namespace("https://project-open-data.cio.gov/v1.1/schema#")
HHS = Namespace("https://www.hhs.gov/ns/data-hub#")

_LISTS = (
    ("bureau_code", POD.bureauCode),
    ("program_code", POD.programCode),
    ("coding_system", HEALTHDCATAP.hasCodingSystem),
    ("health_category", HEALTHDCATAP.healthCategory),
    ("health_theme", HEALTHDCATAP.healthTheme),
    ("population_coverage", HEALTHDCATAP.populationCoverage),
    ("legal_basis", DPV.hasLegalBasis),
    ("personal_data", DPV.hasPersonalData),
    ("glossary_terms", HHS.glossaryTerm),
)
_INTS = (
    ("number_of_records", HEALTHDCATAP.numberOfRecords),
    ("number_of_unique_individuals", HEALTHDCATAP.numberOfUniqueIndividuals),
    ("min_typical_age", HEALTHDCATAP.minTypicalAge),
    ("max_typical_age", HEALTHDCATAP.maxTypicalAge),
)
_SCALARS = (
    ("access_level", POD.accessLevel),
    ("phi_classification", HHS.phiClassification),
    ("sensitivity", HHS.fips199Sensitivity),
)


class HhsProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        self.g.bind("healthdcatap", HEALTHDCATAP)
        self.g.bind("dpv", DPV)
        self.g.bind("pod", POD)
        self.g.bind("hhs", HHS)
        self._add_list_triples_from_dict(
            dataset_dict, dataset_ref, [(key, pred, None, URIRefOrLiteral) for key, pred in _LISTS]
        )
        for key, predicate in _INTS:
            value = dataset_dict.get(key)
            if value not in (None, ""):
                self.g.add((dataset_ref, predicate, Literal(int(value), datatype=_XSD_NONNEG)))
        self._add_triples_from_dict(dataset_dict, dataset_ref, [(k, p, None, Literal) for k, p in _SCALARS])
        if dataset_dict.get("authoritative_source") is not None:
            self.g.add((dataset_ref, HHS.authoritativeSource, Literal(bool(dataset_dict["authoritative_source"]))))

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        for key, predicate in _LISTS:
            values = self._object_value_list(dataset_ref, predicate)
            if values:
                dataset_dict[key] = sorted(values)
        for key, predicate in _INTS:
            value = self._object_value_int(dataset_ref, predicate)
            if value is not None:
                dataset_dict[key] = value
        for key, predicate in _SCALARS:
            value = self._object_value(dataset_ref, predicate)
            if value:
                dataset_dict[key] = value
        flag = self._object_value(dataset_ref, HHS.authoritativeSource)
        if flag:
            dataset_dict["authoritative_source"] = flag.lower() == "true"
        return dataset_dict


_XSD_NONNEG = URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")
