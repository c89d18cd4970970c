"""The one mapping from HHS datasets to DCAT-US 3.0 JSON, and the official schema that checks it.

A dataset goes out from its POD v1.1 view (`pod.to_pod`: an imported record as it came, a hub
dataset from its fields), so both standards give the same values, plus the HHS fields DCAT-US 3.0
has a place for. What it has no place for is listed in NO_PLACE (and the README); a value of a
field that has a place but not in the form the standard requires (a `modified` given as a repeating
interval, a three-letter language code) is left out rather than sent invalid.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import pod, vocab

FOLDER = os.path.join(vocab.DATA, "dcat-us-3", "jsonschema", "definitions")
DEFINITIONS = "https://resources.data.gov/dcat-us/3.0.0/definitions/"
CONFORMS_TO = "https://resources.data.gov/dcat-us/3.0.0/"
HHS = {"@type": "Organization", "name": "U.S. Department of Health and Human Services", "notation": ["HHS"]}
# The field that keeps a DCAT-US 3.0 source record as it came (set by a DCAT-US 3.0 import).
RECORD_FIELD = "dcatus3_record"
# Raise when the output changes: the copies' stamps include it, so they are rebuilt.
MAPPING_VERSION = "1"

# HHS fields and POD keys DCAT-US 3.0 has no place for: kept in the hub, /data.json and the RDF
# (`hhs` profile), not in this export.
NO_PLACE = {
    "dataQuality": "POD's yes/no quality flag: DCAT-US 3.0 measures quality (hasQualityMeasurement), has no flag",
    "primaryITInvestmentUII": "no property for an IT investment",
    "systemOfRecords": "no property for a Privacy Act system of records notice",
    "number_of_records": "HealthDCAT-AP's counts have no DCAT-US 3.0 property",
    "number_of_unique_individuals": "as number_of_records",
    "min_typical_age": "as number_of_records",
    "max_typical_age": "as number_of_records",
    "personal_data": "DPV personal data categories have no property",
    "legal_basis": "DPV legal basis has no property",
    "phi_classification": "no property; a CUI marking (cuiRestriction) needs an agency designation the hub lacks",
    "sensitivity": "FIPS 199 impact level has no property",
    "authoritative_source": "the Board's flag is the hub's own",
    "listing_title": "the marketplace's own title for a private dataset in product listings",
    "data_steward": "no role property for a steward (contactPoint is the dataset's public contact)",
}

_YEAR_MONTH = re.compile(r"[0-9]{4}(-[0-9]{2})?")
_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER
_FREQUENCY_WORDS = {
    "continual",
    "daily",
    "weekly",
    "fortnightly",
    "monthly",
    "quarterly",
    "biannually",
    "annually",
    "asNeeded",
    "irregular",
    "notPlanned",
    "unknown",
    "continuous",
    "biweekly",
    "semiannual",
    "annual",
    "triennial",
    "biennial",
    "threeTimesAYear",
    "bimonthly",
    "semimonthly",
    "threeTimesAMonth",
    "semiweekly",
    "threeTimesAWeek",
}
_SCHEMES = {
    "bureau_code": {"@type": "ConceptScheme", "title": "OMB bureau codes (OMB Circular A-11, Appendix C)"},
    "program_code": {"@type": "ConceptScheme", "title": "Federal Program Inventory program codes"},
    "health_theme": {"@type": "ConceptScheme", "title": "HealthDCAT-AP health themes"},
    "health_category": {"@type": "ConceptScheme", "title": "HealthDCAT-AP health categories"},
    "glossary_terms": {"@type": "ConceptScheme", "title": "HHS data glossary"},
}


def _date(value: Any) -> str | None:
    """A date in one of the forms DCAT-US 3.0 accepts (date, date-time, year, year-month), else None."""
    if not isinstance(value, str):
        return None
    if _YEAR_MONTH.fullmatch(value) or _FORMATS.conforms(value, "date") or _FORMATS.conforms(value, "date-time"):
        return value
    return None


def _concepts(values: Any, scheme: dict[str, Any] | None = None) -> list[Any]:
    out = []
    for value in values or []:
        if isinstance(value, str) and value.strip():
            concept: dict[str, Any] = {"@type": "Concept", "prefLabel": value}
            if scheme:
                concept["notation"] = [value]
                concept["inScheme"] = scheme
            out.append(concept)
    return out


def _organization(publisher: Any, depth: int = 10) -> dict[str, Any] | None:
    """POD's nested publisher (subOrganizationOf an object) as an Organization (subOrganizationOf a list)."""
    if not isinstance(publisher, dict) or not isinstance(publisher.get("name"), str) or not publisher["name"]:
        return None
    out: dict[str, Any] = {"@type": "Organization", "name": publisher["name"]}
    parent = _organization(publisher.get("subOrganizationOf"), depth - 1) if depth else None
    if parent:
        out["subOrganizationOf"] = [parent]
    return out


def _kind(contact: Any) -> dict[str, Any] | None:
    if not isinstance(contact, dict):
        return None
    email = contact.get("hasEmail")
    if not isinstance(email, str) or not email:
        return None
    return {"@type": "Kind", "fn": str(contact.get("fn") or ""), "hasEmail": email}


def _period(temporal: Any) -> dict[str, Any] | None:
    if not isinstance(temporal, str) or "/" not in temporal:
        return None
    start, end = (_date(part) for part in temporal.split("/", 1))
    if not (start or end):
        return None
    period: dict[str, Any] = {"@type": "PeriodOfTime"}
    if start:
        period["startDate"] = start
    if end:
        period["endDate"] = end
    return period


def _location(spatial: Any) -> dict[str, Any] | None:
    if not isinstance(spatial, str) or not spatial.strip():
        return None
    if re.match(r"^https?://\S+$", spatial):
        return {"@id": spatial, "@type": "Location"}
    if spatial.lstrip().startswith("{"):
        return {"@type": "Location", "geometry": spatial}
    return {"@type": "Location", "prefLabel": spatial}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


_DISTRIBUTION_TEXT = ("title", "description", "downloadURL", "accessURL", "mediaType", "format")


def _distribution(dist: dict[str, Any], license_url: str | None, contact: Any, publisher: Any) -> dict[str, Any]:
    # Inlined checks: a CMS record has 29 distributions, this runs for each (benchmarks/dcatus3.py).
    out: dict[str, Any] = {"@type": "Distribution"}
    for key in _DISTRIBUTION_TEXT:
        value = dist.get(key)
        if value and isinstance(value, str):
            out[key] = value
    described = dist.get("describedBy")
    if described and isinstance(described, str):
        out["describedBy"] = {"@type": "Distribution", "downloadURL": described}
        if _text(dist.get("describedByType")):
            out["describedBy"]["mediaType"] = dist["describedByType"]
    standard = dist.get("conformsTo")
    if standard and isinstance(standard, str):
        out["conformsTo"] = [{"@id": standard, "@type": "Standard"}]
    if license_url:
        out["license"] = license_url
    if "downloadURL" not in out and "accessURL" in out and contact and publisher:
        # An API (or a lakehouse SQL endpoint): the service that gives access to the data.
        service: dict[str, Any] = {
            "@type": "DataService",
            "title": out.get("title") or out["accessURL"],
            "endpointURL": [out["accessURL"]],
            "contactPoint": [contact],
            "publisher": publisher,
        }
        out["accessService"] = [service]
    return out


def to_dataset(pkg: dict[str, Any], division_title: str | None = None, uri: str | None = None) -> dict[str, Any]:
    """An HHS dataset (package_show output) as a DCAT-US 3.0 Dataset.

    A dataset imported from a DCAT-US 3.0 catalog keeps its source record (RECORD_FIELD) and gives it
    back as it came, as an imported POD record does in /data.json."""
    kept = pkg.get(RECORD_FIELD)
    if isinstance(kept, str) and kept:
        try:
            source = json.loads(kept)
        except ValueError:
            source = None
        if isinstance(source, dict):
            return {"@type": "Dataset", **source}
    record = pod.to_pod(pkg, division_title)
    out: dict[str, Any] = {"@type": "Dataset"}
    if uri:
        out["@id"] = uri
    out["title"] = str(record.get("title") or "")
    out["description"] = str(record.get("description") or "")
    out["identifier"] = str(record.get("identifier") or pkg.get("id"))
    keywords = [k for k in record.get("keyword") or [] if isinstance(k, str) and k]
    if keywords:
        out["keyword"] = keywords
    for key in ("modified", "issued"):
        if _date(record.get(key)):
            out[key] = _date(record[key])
    publisher = _organization(record.get("publisher"))
    if publisher:
        out["publisher"] = publisher
    contact = _kind(record.get("contactPoint"))
    if contact:
        out["contactPoint"] = [contact]
    if _text(record.get("accessLevel")):
        out["accessRights"] = record["accessLevel"]
    if _text(record.get("rights")):
        out["rights"] = [record["rights"]]
    _coverage(record, out)
    _links(record, pkg, out)
    _classes(record, pkg, out)
    license_url = _text(record.get("license"))
    distributions = [
        _distribution(d, license_url, contact, publisher)
        for d in record.get("distribution") or []
        if isinstance(d, dict)
    ]
    if distributions:
        out["distribution"] = distributions
    return out


def _coverage(record: dict[str, Any], out: dict[str, Any]) -> None:
    """When, where, how often, in which language."""
    frequency = record.get("accrualPeriodicity")
    if isinstance(frequency, str) and (frequency in _FREQUENCY_WORDS or re.search("^R/P.+$", frequency)):
        out["accrualPeriodicity"] = frequency
    languages = sorted({code.split("-")[0].lower() for code in record.get("language") or [] if isinstance(code, str)})
    languages = [code for code in languages if len(code) == 2]
    if languages:
        out["language"] = languages
    period = _period(record.get("temporal"))
    if period:
        out["temporal"] = [period]
    location = _location(record.get("spatial"))
    if location:
        out["spatial"] = location


def _links(record: dict[str, Any], pkg: dict[str, Any], out: dict[str, Any]) -> None:
    """Pages, data dictionary, standards, references and the collection."""
    if _text(record.get("landingPage")):
        out["landingPage"] = {
            "@type": "Document",
            "title": out["title"] or "Landing page",
            "accessURL": record["landingPage"],
        }
    if _text(record.get("describedBy")):
        out["describedBy"] = {"@type": "Distribution", "downloadURL": record["describedBy"]}
        if _text(record.get("describedByType")):
            out["describedBy"]["mediaType"] = record["describedByType"]
    if _text(record.get("conformsTo")):
        out["conformsTo"] = [{"@id": record["conformsTo"], "@type": "Standard"}]
    standards = [{"@type": "Standard", "title": name} for name in pkg.get("coding_system") or [] if _text(name)]
    if standards:
        out["conformsTo"] = out.get("conformsTo", []) + standards
    references = [r for r in record.get("references") or [] if _text(r)]
    if references:
        out["isReferencedBy"] = references
    if _text(record.get("isPartOf")):
        # POD names the collection by its identifier in the same catalog.
        out["inSeries"] = [
            {
                "@type": "DatasetSeries",
                "title": record["isPartOf"],
                "description": f"The collection {record['isPartOf']} of this catalog",
            }
        ]


def _classes(record: dict[str, Any], pkg: dict[str, Any], out: dict[str, Any]) -> None:
    """Themes, codes and health categories as concepts in their schemes; glossary terms as subjects."""
    themes = _concepts(record.get("theme"))
    if themes:
        out["theme"] = themes
    categories = [
        concept
        for field, codes in (("bureau_code", record.get("bureauCode")), ("program_code", record.get("programCode")))
        for concept in _concepts(codes, _SCHEMES[field])
    ]
    categories += [
        c for field in ("health_theme", "health_category") for c in _concepts(pkg.get(field), _SCHEMES[field])
    ]
    if categories:
        out["category"] = categories
    terms = _concepts(pkg.get("glossary_terms"), _SCHEMES["glossary_terms"])
    if terms:
        out["subject"] = terms
    if _text(pkg.get("purpose")):
        out["purpose"] = pkg["purpose"]
    coverage = [c for c in pkg.get("population_coverage") or [] if _text(c)]
    if coverage:
        out["scopeNote"] = "Population covered: " + "; ".join(coverage)


def catalog_head(title: str, division: dict[str, Any] | None = None) -> dict[str, Any]:
    """The catalog's own properties (without its datasets): HHS's, or one division's under HHS."""
    publisher: dict[str, Any] = dict(HHS)
    if division:
        publisher = {
            "@type": "Organization",
            "name": division.get("title") or division["name"],
            "subOrganizationOf": [HHS],
        }
        if division.get("acronym"):
            publisher["notation"] = [division["acronym"]]
    return {
        "@type": "Catalog",
        "conformsTo": {"@id": CONFORMS_TO, "@type": "Standard", "title": "DCAT-US 3.0"},
        "title": title,
        "description": f"{title}: datasets of the {publisher['name']}, as DCAT-US 3.0.",
        "publisher": publisher,
    }


@functools.cache
def _registry() -> Registry:
    resources = []
    for filename in sorted(os.listdir(FOLDER)):
        with open(os.path.join(FOLDER, filename), encoding="utf-8") as f:
            schema = json.load(f)
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


@functools.cache
def validator(definition: str = "catalog") -> jsonschema.Draft202012Validator:
    """The official DCAT-US 3.0 definition (catalog, dataset, ...) with its references and formats checked."""
    schema = _registry().contents(DEFINITIONS + definition)
    return jsonschema.Draft202012Validator(
        schema, registry=_registry(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_errors(document: Any, definition: str = "catalog") -> list[tuple[str, str]]:
    """(JSON path, message) for each way `document` fails the official DCAT-US 3.0 `definition`."""
    errors = sorted(validator(definition).iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [(e.json_path, e.message) for e in errors]
