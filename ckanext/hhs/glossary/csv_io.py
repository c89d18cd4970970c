"""The glossary's CSV layout, close to OpenMetadata's glossary CSV.

Columns: parent, name, displayName, description, synonyms, relatedTerms, references, tags, status,
explanation, example, abbreviation, steward, exactMatches. `name` is the term's slug; `parent` and
`relatedTerms` name other terms by slug. Lists are separated by `;`; a reference is `name|url`, an
exact match `system|code`, a related term `slug` or `slug|type`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

COLUMNS = [
    "parent",
    "name",
    "displayName",
    "description",
    "synonyms",
    "relatedTerms",
    "references",
    "tags",
    "status",
    "explanation",
    "example",
    "abbreviation",
    "steward",
    "exactMatches",
]


def _split(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def _pairs(value: str, first: str, second: str) -> list[dict[str, str]]:
    out = []
    for item in _split(value):
        a, _, b = item.partition("|")
        out.append({first: a.strip(), **({second: b.strip()} if b.strip() else {})})
    return out


def read(text: str) -> list[dict[str, Any]]:
    """Rows of a glossary CSV as import rows; raises ValueError naming a missing column."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "displayName", "description"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"The CSV lacks the column(s) {', '.join(sorted(missing))}; expected {', '.join(COLUMNS)}")
    rows = []
    for row in reader:
        rows.append(
            {
                "name": (row.get("name") or "").strip(),
                "displayName": (row.get("displayName") or "").strip(),
                "description": row.get("description") or "",
                "explanation": row.get("explanation") or "",
                "example": row.get("example") or "",
                "abbreviation": (row.get("abbreviation") or "").strip(),
                "synonyms": _split(row.get("synonyms", "")),
                "parent": (row.get("parent") or "").strip(),
                "relatedTerms": _pairs(row.get("relatedTerms", ""), "term", "type"),
                "references": _pairs(row.get("references", ""), "name", "url"),
                "tags": _split(row.get("tags", "")),
                "status": (row.get("status") or "").strip() or "approved",
                "steward": (row.get("steward") or "").strip(),
                "exactMatches": _pairs(row.get("exactMatches", ""), "system", "code"),
            }
        )
    return rows


def write(terms: Iterable[dict[str, Any]]) -> Iterable[str]:
    """CSV lines for term dicts as `hhs_glossary_term_show` returns them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(COLUMNS)
    yield flush()
    for t in terms:
        writer.writerow(
            [
                (t["parent"] or {}).get("slug", ""),
                t["slug"],
                t["label"],
                t["definition"],
                ";".join(t["synonyms"]),
                ";".join(f"{r['slug']}|{r['type']}" for r in t.get("related", [])),
                ";".join(f"{r['name']}|{r.get('url', '')}".rstrip("|") for r in t["references"]),
                ";".join(t["sensitivity"]),
                t["status"],
                t["explanation"],
                t["example"],
                t["abbreviation"],
                (t["steward"] or {}).get("name", ""),
                ";".join(f"{m['system']}|{m['code']}" for m in t["exact_matches"]),
            ]
        )
        yield flush()
