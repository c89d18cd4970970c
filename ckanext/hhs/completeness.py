"""Metadata completeness: the weighted share of recommended fields a dataset fills.

Defined once here; the search index (IPackageController), the dataset page and the governance
reports all use `score()`.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ckanext.hhs import values

from . import collection

# field -> (weight, label). Weights favour what makes a dataset findable and usable across divisions.
WEIGHTS: dict[str, tuple[int, str]] = {
    "notes": (3, "Description"),
    "tag_string": (2, "Keywords"),
    "contact": (3, "Contact point"),
    "publisher": (1, "Publisher"),
    "modified": (2, "Last modified"),
    "bureau_code": (2, "Bureau code"),
    "program_code": (1, "Program code"),
    "access_level": (3, "Access level"),
    "license_id": (2, "License"),
    "resources": (3, "Distributions"),
    "frequency": (1, "Update frequency"),
    "temporal": (1, "Time period covered"),
    "spatial": (1, "Geography covered"),
    "theme": (1, "Theme"),
    "data_dictionary": (2, "Data dictionary"),
    "health_theme": (1, "Health theme"),
    "coding_system": (1, "Coding systems"),
    "population_coverage": (1, "Population coverage"),
    "phi_classification": (2, "PHI classification"),
    "legal_basis": (1, "Legal basis"),
    "data_steward": (2, "Data steward"),
}
BANDS = ((80, "high"), (50, "medium"), (0, "low"))
# Each HHS finding on an imported record (a rule beyond POD it breaks) costs this many points, and
# the field it names counts as not filled.
FINDING_PENALTY = 5
# What a dataset's fields a finding names count against (findings name CKAN fields or resources[i].x).
_FINDING_FIELDS = {"access_rights": "access_level", "tags": "tag_string", "issued": "modified"}


class Score(NamedTuple):
    percent: int
    band: str
    missing: list[str]


def findings(pkg_dict: dict[str, Any]) -> list[dict[str, str]]:
    """The HHS findings stored on an imported dataset: {path, rule, message} each."""
    value = pkg_dict.get("hhs_findings")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [f for f in value if isinstance(f, dict)] if isinstance(value, list) else []


def score(pkg_dict: dict[str, Any]) -> Score:
    """Score a validated dataset dict (package_show output)."""
    data = dict(pkg_dict)
    if not values.filled(data.get("tag_string")):
        data["tag_string"] = data.get("tags")
    found = findings(data)
    flagged = {_flagged_field(f.get("path", "")) for f in found}
    total = sum(w for w, _ in WEIGHTS.values())
    got = 0
    missing = []
    for field, (weight, label) in WEIGHTS.items():
        if values.filled(data.get(field)) and field not in flagged:
            got += weight
        else:
            missing.append(label)
    percent = max(0, round(100 * got / total) - FINDING_PENALTY * len(found))
    band = next(name for floor, name in BANDS if percent >= floor)
    return Score(percent, band, missing)


_POD_FIELDS = {
    "description": "notes",
    "keyword": "tag_string",
    "contactPoint": "contact",
    "bureauCode": "bureau_code",
    "programCode": "program_code",
    "accessLevel": "access_level",
    "rights": "access_level",
    "license": "license_id",
    "distribution": "resources",
    "accrualPeriodicity": "frequency",
    "describedBy": "data_dictionary",
}


def _flagged_field(path: str) -> str:
    """The scored field a finding's POD path ($.rights, $.distribution[2].title) counts against."""
    key = path.removeprefix("$.").split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]
    return _POD_FIELDS.get(key, key)


# Multi-valued fields are indexed as vocab_* (CKAN's schema.xml makes those multi-valued strings).
_MULTI_FACETS = ("bureau_code", "health_theme", "coding_system", "legal_basis", "glossary_terms")
_SINGLE_FACETS = ("access_level", "phi_classification", "sensitivity")


def index_fields(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Add completeness and facet fields to the dict CKAN sends to Solr."""
    validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
    result = score(validated)
    pkg_dict["completeness"] = result.percent
    # CKAN's schema has no integer dynamic field: a zero-padded string sorts correctly.
    pkg_dict["completeness_sort"] = f"{result.percent:03d}"
    pkg_dict["completeness_band"] = result.band
    for field in _MULTI_FACETS:
        values = validated.get(field)
        if values:
            pkg_dict[f"vocab_{field}"] = values if isinstance(values, list) else [values]
    # A dataset is found by a term that one of its columns holds, as by a term it links itself.
    column_terms = [m["term"] for r in validated.get("resources") or [] for m in r.get("column_terms") or []]
    if column_terms:
        pkg_dict["vocab_glossary_terms"] = sorted({*pkg_dict.get("vocab_glossary_terms", []), *column_terms})
    for field in _SINGLE_FACETS:
        if validated.get(field):
            pkg_dict[field] = validated[field]
    rules = sorted({f.get("rule") for f in findings(validated) if f.get("rule")})
    if rules:
        pkg_dict["vocab_hhs_finding"] = rules
    # A collection member names its parent's identifier; top-level datasets are those that do not.
    pkg_dict[collection.LEVEL_FIELD] = collection.MEMBER if validated.get("is_part_of") else collection.TOP_LEVEL
    # The kept source record and the findings are read from the stored dict, never searched: not
    # indexing them keeps a harvest fast and clear of Solr's 32766-byte limit on a string term.
    for key in (
        "pod_record",
        "extras_pod_record",
        "rdf_record",
        "extras_rdf_record",
        "dcatus3_record",
        "extras_dcatus3_record",
        "hhs_findings",
        "extras_hhs_findings",
        "source_keywords",
    ):
        pkg_dict.pop(key, None)
    _clip_terms(pkg_dict)
    return pkg_dict


# Solr refuses a string term over 32766 bytes; POD sets no length on its values.
_MAX_TERM_BYTES = 32000
_TEXT_TYPED = ("text", "notes", "title", "validated_data_dict", "data_dict")


def _clip_terms(pkg_dict: dict[str, Any]) -> None:
    """Shorten values indexed as single string terms (the `*` dynamic field, url, res_url, ...) that
    Solr would refuse; the dataset itself keeps them whole."""
    for key, value in list(pkg_dict.items()):
        if key in _TEXT_TYPED or key.startswith(("extras_", "res_extras_")):
            continue
        if isinstance(value, str) and len(value) > _MAX_TERM_BYTES // 4:
            pkg_dict[key] = _clip(value)
        elif isinstance(value, list) and any(isinstance(v, str) and len(v) > _MAX_TERM_BYTES // 4 for v in value):
            pkg_dict[key] = [_clip(v) if isinstance(v, str) else v for v in value]


def _clip(value: str) -> str:
    return value.encode("utf-8")[:_MAX_TERM_BYTES].decode("utf-8", "ignore")
