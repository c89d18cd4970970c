"""Metadata completeness: the weighted share of recommended fields a dataset fills.

Defined once here; the search index (IPackageController), the dataset page and the governance
reports all use `score()`.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

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


class Score(NamedTuple):
    percent: int
    band: str
    missing: list[str]


def _filled(value: Any) -> bool:
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    return value not in (None, "", False)


def score(pkg_dict: dict[str, Any]) -> Score:
    """Score a validated dataset dict (package_show output)."""
    data = dict(pkg_dict)
    if not _filled(data.get("tag_string")):
        data["tag_string"] = data.get("tags")
    total = sum(w for w, _ in WEIGHTS.values())
    got = 0
    missing = []
    for field, (weight, label) in WEIGHTS.items():
        if _filled(data.get(field)):
            got += weight
        else:
            missing.append(label)
    percent = round(100 * got / total)
    band = next(name for floor, name in BANDS if percent >= floor)
    return Score(percent, band, missing)


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
    return pkg_dict
