"""Controlled vocabularies of the HHS schemas, defined once.

The scheming schemas use them through `choices_helper`s (helpers.py) and the validators check
values against them (logic/validators.py), so a form, the API and an import agree.
"""

from __future__ import annotations

import csv
import functools
import os
from typing import Any, NamedTuple

from . import config

DATA = os.path.join(os.path.dirname(__file__), "data")

# Project Open Data v1.1 accessLevel.
ACCESS_LEVELS = {
    "public": "Public",
    "restricted public": "Restricted public",
    "non-public": "Non-public",
}

# HIPAA-based classification of protected health information.
PHI_CLASSES = {
    "none": "No personal health information",
    "de-identified": "De-identified (HIPAA Safe Harbor or Expert Determination)",
    "limited-data-set": "Limited data set (HIPAA, needs a data use agreement)",
    "identifiable-phi": "Identifiable protected health information",
}

# FIPS 199 security categories.
SENSITIVITY = {"low": "Low", "moderate": "Moderate", "high": "High"}

CODING_SYSTEMS = {
    "ICD-10-CM": "ICD-10-CM (diagnoses)",
    "ICD-10-PCS": "ICD-10-PCS (inpatient procedures)",
    "SNOMED CT": "SNOMED CT (clinical terms)",
    "LOINC": "LOINC (laboratory tests and observations)",
    "RxNorm": "RxNorm (clinical drugs)",
    "CPT": "CPT (procedures and services)",
    "HCPCS": "HCPCS (procedures, supplies, services)",
    "NDC": "NDC (National Drug Codes)",
    "NPI": "NPI (National Provider Identifiers)",
    "CVX": "CVX (vaccines administered)",
}

LEGAL_BASES = {
    "hipaa-privacy-rule": "HIPAA Privacy Rule (45 CFR Parts 160 and 164)",
    "privacy-act": "Privacy Act of 1974 (5 U.S.C. 552a)",
    "42-cfr-part-2": "42 CFR Part 2 (substance use disorder records)",
    "cipsea": "CIPSEA (confidential statistical information)",
    "public-health-service-act": "Public Health Service Act",
    "social-security-act": "Social Security Act (Medicare, Medicaid)",
    "ferpa": "FERPA (education records)",
    "common-rule": "Common Rule (45 CFR 46, human subjects research)",
    "foia-public": "Public information (FOIA)",
}

HEALTH_THEMES = {
    "chronic-disease": "Chronic disease",
    "infectious-disease": "Infectious disease",
    "behavioral-health": "Behavioral health and substance use",
    "maternal-child-health": "Maternal and child health",
    "health-care-quality": "Health care quality and safety",
    "health-care-cost": "Health care cost and utilization",
    "health-insurance": "Health insurance coverage",
    "providers": "Providers and facilities",
    "drugs-devices": "Drugs, biologics and devices",
    "environmental-health": "Environmental health",
    "emergency-preparedness": "Emergency preparedness",
    "social-services": "Human and social services",
    "health-equity": "Health equity",
    "research": "Biomedical research",
}

RESOURCE_KINDS = {
    "file": "File (download)",
    "api": "API or service",
    "lakehouse": "Lakehouse table (linked in place)",
    "documentation": "Documentation or web page",
}

# POD accrualPeriodicity (ISO 8601 repeating durations) in words, for the form and the pages.
FREQUENCIES = {
    "R/P10Y": "Every ten years",
    "R/P4Y": "Every four years",
    "R/P3Y": "Every three years",
    "R/P2Y": "Every two years",
    "R/P1Y": "Annually",
    "R/P6M": "Every six months",
    "R/P4M": "Three times a year",
    "R/P3M": "Quarterly",
    "R/P2M": "Every two months",
    "R/P1M": "Monthly",
    "R/P0.5M": "Twice a month",
    "R/P2W": "Every two weeks",
    "R/P0.33W": "Three times a week",
    "R/P0.5W": "Twice a week",
    "R/P1W": "Weekly",
    "R/P1D": "Daily",
    "R/PT1H": "Hourly",
    "R/PT1S": "Continuously updated",
    "irregular": "Irregularly",
}

TABLE_FORMATS = {"delta": "Delta Lake", "iceberg": "Apache Iceberg", "parquet": "Parquet dataset"}

DIVISION_KINDS = {
    "operating": "Operating Division",
    "staff": "Staff Division",
    "governance": "Governance body",
}


class Bureau(NamedTuple):
    code: str
    name: str


@functools.cache
def hhs_bureaus() -> tuple[Bureau, ...]:
    """Organizational HHS bureaus of the 2025 OMB list (009:95 is a budget line and left out)."""
    with open(os.path.join(DATA, "hhs_bureau_codes_2025.csv"), encoding="utf-8", newline="") as f:
        rows = [Bureau(f"{r['agency_code']}:{r['bureau_code']}", r["bureau_name"]) for r in csv.DictReader(f)]
    return tuple(b for b in rows if b.code != "009:95")


@functools.cache
def known_bureau_codes() -> frozenset[str]:
    """Every code POD validators know, plus the 2025 HHS rows (POD's list lacks ASPR's 009:76)."""
    with open(os.path.join(DATA, "omb_bureau_codes.csv"), encoding="utf-8", newline="") as f:
        pod = {f"{r['Agency Code']}:{r['Bureau Code']}" for r in csv.DictReader(f)}
    with open(os.path.join(DATA, "hhs_bureau_codes_2025.csv"), encoding="utf-8", newline="") as f:
        hhs = {f"{r['agency_code']}:{r['bureau_code']}" for r in csv.DictReader(f)}
    return frozenset(pod | hhs)


def coding_systems() -> dict[str, str]:
    extra = {code: code for code in config.coding_systems_extra() if code not in CODING_SYSTEMS}
    return {**CODING_SYSTEMS, **extra}


def choices(mapping: dict[str, str]) -> list[dict[str, str]]:
    return [{"value": value, "label": label} for value, label in mapping.items()]


# The portal's licence register (CKAN's licenses_group_url; the plugin points it here unless the ini
# names another): U.S. Government Works, CC0, CC BY 4.0, ODbL, other open, restricted.
LICENSES_FILE = os.path.join(DATA, "licenses.json")


def _bare(value: str) -> str:
    """A licence id or URL compared without scheme, "www.", case and trailing slash."""
    bare = value.strip().lower().removeprefix("http://").removeprefix("https://").removeprefix("www.")
    return bare.rstrip("/")


def license_entry(value: Any) -> Any:
    """The register's licence for an id, its URL or one of the URLs and ids harvested records give for
    it (``hhs_aliases`` in licenses.json); None for a licence the register does not know."""
    import ckan.model as model

    if not isinstance(value, str) or not value.strip():
        return None
    key = _bare(value)
    for licence in model.Package.get_license_register().licenses:
        names = [licence.id, getattr(licence, "url", "") or "", *getattr(licence, "hhs_aliases", [])]
        if key in {_bare(name) for name in names if name}:
            return licence
    return None
