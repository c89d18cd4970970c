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
MAPPING_VERSION = "2"

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
_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
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
# Dublin Core's Collection Description Frequency Vocabulary: the standard's JSON-LD context reads every
# accrualPeriodicity against its base (`"@base": "http://purl.org/cld/freq/"`), so its terms are the
# frequencies that mean the same in the JSON and in the RDF.
DUBLIN_CORE_FREQUENCY = "http://purl.org/cld/freq/"
_DUBLIN_CORE_TERMS = {
    "R/P1Y": "annual",
    "R/P2M": "bimonthly",
    "R/P2Y": "biennial",
    "R/P2W": "biweekly",
    "R/PT1S": "continuous",
    "R/P1D": "daily",
    "irregular": "irregular",
    "R/P1M": "monthly",
    "R/P3M": "quarterly",
    "R/P6M": "semiannual",
    "R/P0.5M": "semimonthly",
    "R/P3.5D": "semiweekly",
    "R/P0.33M": "threeTimesAMonth",
    "R/P0.33W": "threeTimesAWeek",
    "R/P4M": "threeTimesAYear",
    "R/P3Y": "triennial",
    "R/P1W": "weekly",
}
# ISO 19115 words the schema also takes, as the Dublin Core term of the same frequency.
_ISO_19115_TERMS = {
    "continual": "continuous",
    "fortnightly": "biweekly",
    "biannually": "semiannual",
    "annually": "annual",
}


def dublin_core_frequency(value: Any) -> str | None:
    """The Dublin Core frequency term of a POD interval (`R/P1M` -> `monthly`), a Dublin Core term or an
    ISO 19115 word of the same frequency; None for the frequencies it has no term for (`R/P10Y`, `R/PT1H`)."""
    if not isinstance(value, str):
        return None
    if value in _DUBLIN_CORE_TERMS.values():
        return value
    return _ISO_19115_TERMS.get(value) or _DUBLIN_CORE_TERMS.get(value)


_SCHEMES = {
    "theme": {"@type": "ConceptScheme", "title": "Themes of the source catalog"},
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


def _concepts(values: Any, scheme: dict[str, Any], notation: bool = True) -> list[Any]:
    # Each in its scheme: the shapes require skos:inScheme of a concept (the RDF gives the same nodes).
    out = []
    for value in values or []:
        if isinstance(value, str) and value.strip():
            concept: dict[str, Any] = {"@type": "Concept", "prefLabel": value}
            if notation:
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
    frequency = dublin_core_frequency(record.get("accrualPeriodicity")) or record.get("accrualPeriodicity")
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
        # Named by its URL, as the RDF names it (dcat:landingPage <url>); accessURL for JSON readers.
        page = {"@type": "Document", "title": out["title"] or "Landing page", "accessURL": record["landingPage"]}
        out["landingPage"] = {"@id": record["landingPage"], **page} if _IRI.match(record["landingPage"]) else page
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
    themes = _concepts(record.get("theme"), _SCHEMES["theme"], notation=False)
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


# ---------------------------------------------------------------- DCAT-US 3.0 JSON in
#
# A DCAT-US 3.0 catalog is harvested through the same two gates as a POD one: the official
# `Dataset` definition decides whether a record is accepted; the record is kept as it came
# (RECORD_FIELD, given back by `to_dataset`) and the POD v1.1 record /data.json gives is derived
# from it (`to_pod_record`). Where POD requires a value the record does not hold, the derived record
# takes the division's (bureau code, publisher) or a stated default, and says so as a finding.

POD_CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
RULE_DERIVED = "POD value derived from DCAT-US 3.0"
_CATALOG_TYPES = ("Catalog", "dcat:Catalog", "http://www.w3.org/ns/dcat#Catalog")
# DCAT-US 3.0's frequency words (ISO 19115 and Dublin Core) as POD's ISO 8601 repeating intervals.
_POD_FREQUENCIES = {
    "continual": "R/PT1S",
    "continuous": "R/PT1S",
    "daily": "R/P1D",
    "semiweekly": "R/P3.5D",
    "threeTimesAWeek": "R/P0.33W",
    "weekly": "R/P1W",
    "fortnightly": "R/P2W",
    "biweekly": "R/P2W",
    "semimonthly": "R/P0.5M",
    "threeTimesAMonth": "R/P0.33M",
    "monthly": "R/P1M",
    "bimonthly": "R/P2M",
    "quarterly": "R/P3M",
    "threeTimesAYear": "R/P4M",
    "biannually": "R/P6M",
    "semiannual": "R/P6M",
    "annually": "R/P1Y",
    "annual": "R/P1Y",
    "biennial": "R/P2Y",
    "triennial": "R/P3Y",
    "irregular": "irregular",
    "asNeeded": "irregular",
}
# HHS Departmental Management (Office of the Secretary): the department's own bureau code.
HHS_BUREAU = "009:90"
_ACCESS_LEVELS = ("public", "restricted public", "non-public")
_BUREAU = re.compile(r"^[0-9]{3}:[0-9]{2}$")
_PROGRAM = re.compile(r"^[0-9]{3}:[0-9]{3}$")
_WEB = re.compile(r"^(https?|ftp)://\S+$", re.IGNORECASE)
# POD key -> where the DCAT-US 3.0 record holds it, so a finding points the division at its own record.
_RECORD_PATHS = {
    "bureauCode": "category",
    "programCode": "category",
    "accessLevel": "accessRights",
    "references": "isReferencedBy",
    "isPartOf": "inSeries",
    "license": "distribution",
}


# A catalog's lists of records other than `dataset`, and the official definition of each record: each
# is accepted or refused alone (the standard's harvester validates datasets, data services and
# catalog records one by one), never the whole catalog for one of them.
RECORD_LISTS = {"service": "dataservice", "record": "catalogrecord", "catalog": "catalog", "hasPart": "catalog"}


def record_label(record: Any) -> str | None:
    """How a report names a record other than a dataset: its identifier text, its IRI, else its title."""
    if not isinstance(record, dict):
        return None
    identifier = record.get("identifier")
    if isinstance(identifier, dict):
        identifier = identifier.get("notation")
    for value in (identifier, record.get("@id"), record.get("title")):
        if isinstance(value, str) and value.strip():
            return value
    return None


def is_catalog(document: Any) -> bool:
    """Whether a harvested document is a DCAT-US 3.0 catalog: a Catalog that does not say it is POD v1.1."""
    if not isinstance(document, dict):
        return False
    conforms = document.get("conformsTo")
    if isinstance(conforms, str) and conforms.rstrip("/").startswith(POD_CONFORMS_TO):
        return False
    return document.get("@type") in _CATALOG_TYPES


def record_path(pod_path: str) -> str:
    """The JSON path in the DCAT-US 3.0 record of what a POD path (``$.bureauCode``) was derived from."""
    match = re.match(r"^\$\.(\w+)(.*)$", pod_path)
    if not match:
        return pod_path
    key, rest = match.groups()
    return f"$.{_RECORD_PATHS.get(key, key)}{rest if key not in _RECORD_PATHS else ''}"


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def _label(value: Any) -> str | None:
    """A concept, location, series or document as text: its label, title or name, else its IRI."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        for key in ("prefLabel", "title", "name", "label", "@id"):
            if isinstance(value.get(key), str) and value[key]:
                return value[key]
    return None


def _url(value: Any) -> str | None:
    """A link given as a string or as a Document / Distribution (its accessURL, downloadURL or IRI)."""
    if isinstance(value, str):
        return value if _WEB.match(value) else None
    if isinstance(value, dict):
        for key in ("accessURL", "downloadURL", "@id"):
            if isinstance(value.get(key), str) and _WEB.match(value[key]):
                return value[key]
    return None


def _pod_organization(org: Any, depth: int = 10) -> dict[str, Any] | None:
    if not isinstance(org, dict):
        return None
    name = org.get("name") or org.get("prefLabel")
    if not isinstance(name, str) or not name:
        return None
    out: dict[str, Any] = {"@type": "org:Organization", "name": name}
    parent = _pod_organization(_first(org.get("subOrganizationOf")), depth - 1) if depth else None
    if parent:
        out["subOrganizationOf"] = parent
    return out


def _codes(record: dict[str, Any], pattern: re.Pattern[str]) -> list[str]:
    """Codes given as concept notations (the hub's own export writes bureau and program codes so)."""
    codes = []
    for concept in (record.get("category") or []) + (record.get("theme") or []):
        if isinstance(concept, dict):
            for value in [*(concept.get("notation") or []), concept.get("prefLabel")]:
                if isinstance(value, str) and pattern.match(value) and value not in codes:
                    codes.append(value)
    return codes


def _pod_dictionary(described: Any, out: dict[str, Any]) -> None:
    """A data dictionary (a Distribution, or a link) as POD's describedBy and describedByType."""
    if not _url(described):
        return
    out["describedBy"] = _url(described)
    media = described.get("mediaType") if isinstance(described, dict) else None
    if isinstance(media, str) and pod._MEDIA_TYPE.match(media):
        out["describedByType"] = media


def _pod_distribution(dist: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "dcat:Distribution"}
    for key in ("title", "description", "format"):
        if isinstance(dist.get(key), str) and dist[key]:
            out[key] = dist[key]
    download, access = _url(dist.get("downloadURL")), _url(dist.get("accessURL"))
    if not access:
        service = _first(dist.get("accessService"))
        access = _url(_first(service.get("endpointURL"))) if isinstance(service, dict) else None
    if access:
        out["accessURL"] = access
    if download:
        out["downloadURL"] = download
        media = dist.get("mediaType")
        out["mediaType"] = (
            (media if isinstance(media, str) and pod._MEDIA_TYPE.match(media) else None)
            or pod.media_type(out.get("format"), download)
            or "application/octet-stream"
        )
    _pod_dictionary(dist.get("describedBy"), out)
    standard = next((s["@id"] for s in dist.get("conformsTo") or [] if isinstance(s, dict) and _url(s)), None)
    if standard:
        out["conformsTo"] = standard
    return out


def record_identifier(record: dict[str, Any]) -> str:
    """The identifier a DCAT-US 3.0 record is matched and listed by: its identifier text (or an
    Identifier's notation), else its IRI, else a hash of the record."""
    identifier = record.get("identifier")
    if isinstance(identifier, dict):
        identifier = identifier.get("notation")
    if isinstance(identifier, str) and identifier.strip():
        return identifier
    if isinstance(record.get("@id"), str) and record["@id"].strip():
        return record["@id"]
    return _hashed(record)


def _hashed(record: dict[str, Any]) -> str:
    return "sha256:" + pod.record_hash(record)[:32]


def to_pod_record(
    record: dict[str, Any], division: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The POD v1.1 record of a DCAT-US 3.0 dataset record (valid against the Dataset definition),
    and a finding for each value POD requires that the record does not hold, said with what was used.

    `division` is the organization the record is harvested into (its title and bureau code)."""
    division = division or {}
    notes: list[dict[str, str]] = []

    def derived(key: str, value: Any, why: str) -> Any:
        notes.append({"path": record_path(f"$.{key}"), "rule": RULE_DERIVED, "message": why})
        return value

    out: dict[str, Any] = {"@type": "dcat:Dataset", "title": record["title"], "description": record["description"]}
    out["identifier"] = record_identifier(record)
    if out["identifier"] == _hashed(record):
        derived("identifier", out["identifier"], "no identifier text: /data.json names the record by a hash of it")
    # DCAT-US 3.0 lets a title and a description be empty; POD v1.1 and the hub's fields need text.
    if not out["title"]:
        out["title"] = derived("title", out["identifier"], "the title is empty: the record's identifier is given")
    if not out["description"]:
        out["description"] = derived("description", out["title"], "the description is empty: the title is given")
    keywords = [k for k in record.get("keyword") or [] if isinstance(k, str) and k]
    if not keywords:
        keywords = [label for label in map(_label, record.get("theme") or []) if label]
        keywords = (
            derived("keyword", keywords, "POD v1.1 needs a keyword: the record's themes are given")
            if keywords
            else keywords
        )
    out["keyword"] = keywords or derived(
        "keyword",
        [division.get("acronym") or division.get("title") or "HHS"],
        "POD v1.1 needs a keyword and the record has none: the division's acronym is given",
    )
    modified = _pod_date(record.get("modified"))
    if not modified:
        fallback = _pod_date(record.get("issued")) or _pod_date(record.get("created"))
        modified = (
            derived("modified", fallback, "POD v1.1 needs modified: the record's release date is given")
            if fallback
            else None
        )
    out["modified"] = modified or derived(
        "modified", _today(), "POD v1.1 needs modified and the record has no date: the date it was harvested is given"
    )
    publisher = _pod_organization(record.get("publisher"))
    out["publisher"] = publisher or derived(
        "publisher",
        {"@type": "org:Organization", "name": division.get("title") or HHS["name"]},
        "the record names no publisher: its division is given",
    )
    contact = _pod_contact(record.get("contactPoint"), division, derived)
    if contact:
        out["contactPoint"] = contact
    rights = [r for r in record.get("rights") or [] if isinstance(r, str) and r.strip()]
    access = record.get("accessRights")
    level = access.strip().lower().rstrip("/").rsplit("/", 1)[-1].replace("-", " ") if isinstance(access, str) else ""
    level = "non-public" if level == "non public" else level
    if level in _ACCESS_LEVELS:
        out["accessLevel"] = level
    elif isinstance(access, str) and access.strip():
        out["accessLevel"] = derived(
            "accessLevel", "non-public", "access rights in words, not a POD access level: listed as non-public"
        )
        rights = [access.strip(), *rights]
    else:
        out["accessLevel"] = derived(
            "accessLevel", "public", "no access rights: taken as public, as the source catalog publishes it"
        )
    if rights:
        out["rights"] = "; ".join(rights)[:255]
    bureau = _codes(record, _BUREAU)
    if not bureau and division.get("bureau_code"):
        bureau = derived("bureauCode", [division["bureau_code"]], "no OMB bureau code: the division's is given")
    out["bureauCode"] = bureau or derived(
        "bureauCode", [HHS_BUREAU], "no OMB bureau code: HHS Departmental Management's is given"
    )
    program = _codes(record, _PROGRAM)
    out["programCode"] = program or derived(
        "programCode", [f"{out['bureauCode'][0][:3]}:000"], "no program code: the agency's 000 (no program) is given"
    )
    _pod_optional(record, out)
    _pod_fit(out, derived)
    return out, notes


def _pod_date(value: Any) -> str | None:
    """A date both standards take: DCAT-US 3.0's year-month pattern lets `2024-15` through, POD's not."""
    date = _date(value)
    return date if date and not pod.schema_errors("dataset.json", {**_POD_PROBE, "modified": date}) else None


# A valid POD record, to ask POD's schema about one value.
_POD_PROBE = {
    "title": "t",
    "description": "d",
    "keyword": ["k"],
    "modified": "2024-01-01",
    "publisher": {"name": "p"},
    "contactPoint": {"fn": "f", "hasEmail": "mailto:a@b.gov"},
    "identifier": "i",
    "accessLevel": "public",
    "bureauCode": ["009:00"],
    "programCode": ["009:000"],
}
_POD_PATH = re.compile(r"^\$\.(\w+)(?:\[(\d+)\])?(?:\.(\w+))?")


def _pod_fit(out: dict[str, Any], derived: Any) -> None:
    """Leave out of the derived record each value POD v1.1's schema refuses where DCAT-US 3.0 takes it
    (an `R/P` frequency that is no ISO 8601 duration, a language that is no BCP 47 tag, ...): one item of
    a list, one property of a distribution, else the optional property. The record keeps them all."""
    required = set(pod._schemas()["dataset.json"]["required"])
    for _attempt in range(5):
        errors = pod.schema_errors("dataset.json", out)
        left_out = False
        for path, _message in sorted(errors, reverse=True):  # later list items first: indexes stay right
            match = _POD_PATH.match(path)
            if not match or match.group(1) in required or match.group(1) not in out:
                continue
            key, index, inner = match.group(1), match.group(2), match.group(3)
            value = out[key]
            if index is not None and isinstance(value, list) and int(index) < len(value):
                if inner and isinstance(value[int(index)], dict) and inner in value[int(index)]:
                    bad = value[int(index)].pop(inner)
                elif not inner:
                    bad = value.pop(int(index))
                else:
                    continue
                if not value:
                    out.pop(key)
            else:
                bad = out.pop(key)
            derived(
                key, None, f"POD v1.1 cannot take {json.dumps(bad, ensure_ascii=False)[:100]}: left out of /data.json"
            )
            left_out = True
        if not left_out:
            return


def _pod_contact(contacts: Any, division: dict[str, Any], derived: Any) -> dict[str, Any] | None:
    """POD's one contactPoint: the record's first contact (a Kind, or a list of them, possibly empty);
    with an empty name its email is the name; with no contact the division's data steward, else the
    address the site mails from (`smtp.mail_from`), else none (the hub's contact field then refuses
    the record: docs/catalog.md)."""
    contact = _first(contacts) if isinstance(contacts, list) else contacts
    if isinstance(contact, dict) and isinstance(contact.get("hasEmail"), str):
        email = contact["hasEmail"] if contact["hasEmail"].startswith("mailto:") else f"mailto:{contact['hasEmail']}"
        name = contact.get("fn") if isinstance(contact.get("fn"), str) else ""
        if not name:
            name = derived(
                "contactPoint", email.removeprefix("mailto:"), "the contact's name is empty: its email is given"
            )
        return {"@type": "vcard:Contact", "fn": name, "hasEmail": email}
    import ckan.plugins.toolkit as tk  # config only: the mapping is pure otherwise

    if division.get("steward_email"):
        name, email = (
            division.get("steward_name") or division.get("title") or division["steward_email"],
            division["steward_email"],
        )
        why = "the record names no contact: the division's data steward is given"
    elif tk.config.get("smtp.mail_from"):
        name, email = HHS["name"], tk.config["smtp.mail_from"]
        why = "the record names no contact and its division no data steward: the hub's own address is given"
    else:
        derived(
            "contactPoint", None, "the record names no contact and its division no data steward: /data.json has none"
        )
        return None
    email = email if email.startswith("mailto:") else f"mailto:{email}"
    return derived("contactPoint", {"@type": "vcard:Contact", "fn": name, "hasEmail": email}, why)


def _today() -> str:
    import datetime as dt

    return dt.date.today().isoformat()


def _pod_optional(record: dict[str, Any], out: dict[str, Any]) -> None:
    """The properties POD does not require, where the record holds a value POD can take."""
    issued = _date(record.get("issued"))
    if issued:
        out["issued"] = issued
    frequency = record.get("accrualPeriodicity")
    if isinstance(frequency, str):
        frequency = _POD_FREQUENCIES.get(frequency, frequency if frequency.startswith("R/P") else None)
        if frequency:
            out["accrualPeriodicity"] = frequency
    languages = record.get("language")
    languages = [languages] if isinstance(languages, str) else languages or []
    languages = [code for code in languages if isinstance(code, str) and code]
    if languages:
        out["language"] = languages
    period = _first(record.get("temporal"))
    if isinstance(period, dict) and _date(period.get("startDate")) and _date(period.get("endDate")):
        out["temporal"] = f"{period['startDate']}/{period['endDate']}"
    place = _first(record.get("spatial"))
    place = (
        place.get("@id") or place.get("prefLabel") or place.get("geometry") or place.get("bbox")
        if isinstance(place, dict)
        else place
    )
    if isinstance(place, str) and place:
        out["spatial"] = place
    landing = _url(record.get("landingPage"))
    if landing:
        out["landingPage"] = landing
    _pod_dictionary(record.get("describedBy"), out)
    standard = next((s["@id"] for s in record.get("conformsTo") or [] if isinstance(s, dict) and _url(s)), None)
    if standard:
        out["conformsTo"] = standard
    references = list(dict.fromkeys(r for r in record.get("isReferencedBy") or [] if _url(r)))
    if references:
        out["references"] = references
    series = _label(_first(record.get("inSeries")))
    if series:
        out["isPartOf"] = series
    themes = list(dict.fromkeys(label for label in map(_label, record.get("theme") or []) if label))
    if themes:
        out["theme"] = themes
    distributions = [d for d in record.get("distribution") or [] if isinstance(d, dict)]
    if distributions:
        out["distribution"] = [_pod_distribution(d) for d in distributions]
    licence = next(
        (d["license"] for d in distributions if isinstance(d.get("license"), str) and _url(d["license"])), None
    )
    if licence:
        out["license"] = licence


# ---------------------------------------------------------------- DCAT-US 3.0 JSON read as JSON-LD

CONTEXT = os.path.join(vocab.DATA, "dcat-us-3", "shacl", "dcat-us-3.0.jsonld")


@functools.cache
def jsonld_context() -> list[dict[str, Any]]:
    """The standard's JSON-LD context, and the plain class names the JSON Schema uses as `@type`
    (`Dataset`, `Kind`, ...) bound to the context's classes (`dcat:Dataset`, `vcard:Kind`, ...) with
    their property terms: the standard's context keys its terms by prefixed class names only."""
    with open(CONTEXT, encoding="utf-8") as f:
        context = json.load(f)["@context"]
    classes = {
        name.split(":", 1)[1]: term
        for name, term in context.items()
        if ":" in name and isinstance(term, dict) and "@context" in term
    }
    return [context, classes]


def as_jsonld(document: dict[str, Any]) -> dict[str, Any]:
    """A DCAT-US 3.0 JSON document (a catalog or a dataset) with the context that reads it as JSON-LD."""
    return {"@context": jsonld_context(), **document}
