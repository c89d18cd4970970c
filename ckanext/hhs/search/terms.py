"""The approved glossary terms, as search reads them: through the glossary's actions, cached briefly in
Redis (every web and job process shares it), and the terms a question names."""

from __future__ import annotations

import json
import re
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

_CACHE_SECONDS = 300  # a new or changed term is used by search within five minutes
_PAGE = 1000


def _cache_key() -> str:
    return f"hhs_search:{tk.config['ckan.site_id']}:glossary_terms:2"


def approved() -> list[dict[str, Any]]:
    """slug, label and names (label, abbreviation, synonyms; each with its normalised form) of every approved
    term ([] without the glossary)."""
    if not p.plugin_loaded("hhs_glossary"):
        return []
    redis = connect_to_redis()
    cached = redis.get(_cache_key())
    if cached is not None:
        return json.loads(cached)
    found, offset = [], 0
    while True:
        # As an anonymous reader would: approved terms are public, so nothing private reaches search.
        page = tk.get_action("hhs_glossary_term_list")(
            {"ignore_auth": False}, {"status": "approved", "limit": _PAGE, "offset": offset}
        )
        for t in page["results"]:
            names = [t["label"], t.get("abbreviation") or "", *(t.get("synonyms") or [])]
            names = [n for n in names if len(n.strip()) > 1]
            # Normalised once here, not for every question.
            found.append({"slug": t["slug"], "label": t["label"], "names": [[n, _normal(n)] for n in names]})
        offset += _PAGE
        if offset >= page["count"]:
            break
    redis.set(_cache_key(), json.dumps(found), ex=_CACHE_SECONDS)
    return found


def forget() -> None:
    connect_to_redis().delete(_cache_key())


def labels(slugs: list[str]) -> list[str]:
    """The names of the terms with these slugs (a slug not approved is left as it is)."""
    by_slug = {t["slug"]: t["label"] for t in approved()} if slugs else {}
    return [by_slug.get(s, s.replace("-", " ")) for s in slugs]


def _normal(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "


def named_in(question: str) -> list[dict[str, Any]]:
    """The terms whose name, abbreviation or a synonym the question contains as whole words, each with
    `matched` (the words found) and `expansions` (the term's other names, to search for too)."""
    asked = _normal(question)
    found = []
    for term in approved():
        matched = next((name for name, normal in term["names"] if normal in asked), None)
        if matched:
            expansions = [name for name, normal in term["names"] if normal not in asked]
            found.append({"slug": term["slug"], "label": term["label"], "matched": matched, "expansions": expansions})
    return found
