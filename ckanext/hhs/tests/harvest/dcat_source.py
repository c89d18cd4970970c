"""DCAT RDF sources for the tests, made from real POD catalogs (the CMS data.json shipped in the package).

A POD v1.1 catalog is JSON-LD once it has a context: `CONTEXT` maps each POD property to the DCAT
(and POD namespace) term POD's own catalog context and DCAT-US give it, so rdflib reads a data.json
as the DCAT graph a division publishing RDF would serve. Properties with no term of their own
(extension properties such as CMS's `resourcesAPI`) take the source's vocabulary (`@vocab`), as an
agency's own RDF would. Datasets are named by a URI made from their identifier, distributions and
contact points are blank nodes.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

from rdflib import Graph

_ID = {"@type": "@id"}
CONTEXT = {
    "@vocab": "https://data.cms.gov/ns/extension#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "pod": "https://project-open-data.cio.gov/v1.1/schema#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "title": "dct:title",
    "description": "dct:description",
    "keyword": "dcat:keyword",
    "modified": "dct:modified",
    "issued": "dct:issued",
    "publisher": "dct:publisher",
    "name": "foaf:name",
    "subOrganizationOf": "org:subOrganizationOf",
    "contactPoint": "dcat:contactPoint",
    "fn": "vcard:fn",
    "hasEmail": {"@id": "vcard:hasEmail", **_ID},
    "identifier": "dct:identifier",
    "accessLevel": "pod:accessLevel",
    "bureauCode": "pod:bureauCode",
    "programCode": "pod:programCode",
    "license": {"@id": "dct:license", **_ID},
    "rights": "dct:rights",
    "spatial": "dct:spatial",
    "temporal": "dct:temporal",
    "distribution": "dcat:distribution",
    "downloadURL": {"@id": "dcat:downloadURL", **_ID},
    "accessURL": {"@id": "dcat:accessURL", **_ID},
    "mediaType": "dcat:mediaType",
    "format": "dct:format",
    "accrualPeriodicity": "dct:accrualPeriodicity",
    "conformsTo": {"@id": "dct:conformsTo", **_ID},
    "dataQuality": "pod:dataQuality",
    "describedBy": {"@id": "pod:describedBy", **_ID},
    "describedByType": "pod:describedByType",
    "isPartOf": "dct:isPartOf",
    "language": "dct:language",
    "landingPage": {"@id": "dcat:landingPage", **_ID},
    "primaryITInvestmentUII": "pod:primaryITInvestmentUII",
    "references": {"@id": "dct:references", **_ID},
    "systemOfRecords": {"@id": "pod:systemOfRecords", **_ID},
    "theme": "dcat:theme",
    "dataset": "dcat:dataset",
}


def dataset_uri(record: dict[str, Any]) -> str:
    return f"https://data.example.gov/id/{quote(str(record.get('identifier')), safe='')}"


def to_graph(catalog: dict[str, Any]) -> Graph:
    doc = {k: v for k, v in copy.deepcopy(catalog).items() if k not in ("@context", "conformsTo", "describedBy")}
    doc["@context"] = CONTEXT
    doc.setdefault("@id", "https://data.example.gov/catalog")
    for record in doc["dataset"]:
        record["@id"] = dataset_uri(record)
    return Graph().parse(data=json.dumps(doc), format="json-ld")


def to_turtle(catalog: dict[str, Any]) -> str:
    return to_graph(catalog).serialize(format="turtle")


# The properties of CMS distributions that are extensions (no POD term): in the RDF record only.
DIST_EXTENSIONS = ("resourcesAPI",)


def expected_pod(record: dict[str, Any]) -> dict[str, Any]:
    """What the POD record derived from a source record's triples is: the same record with lists
    sorted (RDF values are sets) and only POD's distribution properties."""
    out = copy.deepcopy(record)
    out.setdefault("@type", "dcat:Dataset")
    for key in ("keyword", "bureauCode", "programCode", "language", "references", "theme"):
        if isinstance(out.get(key), list):
            out[key] = sorted(set(out[key]))
    if "distribution" in out:
        dists = [{k: v for k, v in d.items() if k not in DIST_EXTENSIONS} for d in out["distribution"]]
        out["distribution"] = sorted(dists, key=lambda d: json.dumps(d, sort_keys=True))
    return out
