"""Help for a search that finds nothing or little: a corrected question ("did you mean"), the glossary
terms it touches, and the datasets nearest it in meaning; each drawn only from what the viewer may see.

The spelling vocabulary is the catalog's own: the words of every dataset's title, keywords and linked
glossary term names, indexed with the dataset (`WORDS_FIELD`), and the names of the approved (public)
glossary terms. A question's words are looked up in the words of the datasets the viewer may see (a Solr
facet under CKAN's own permission labels), so a word that only a private dataset holds is never offered
to someone who may not open that dataset. Distances are Damerau-Levenshtein (rapidfuzz).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

import ckan.plugins.toolkit as tk
from ckan.lib.search.query import solr_literal

from . import config, query, terms, vectors

log = logging.getLogger(__name__)

# CKAN's schema.xml has one multi-valued, untokenised string field pattern: vocab_* (meant for tag
# vocabularies). The words go there, so no schema change is needed for them.
WORDS_FIELD = "vocab_hhs_search_words"
_WORD = re.compile(r"[a-z0-9]+")
_MIN_LENGTH = 3  # shorter words ("of", "by", "a1") are neither indexed nor corrected
FEW = 3  # a search with fewer results than this gets the help too


def words_of(validated: dict[str, Any]) -> list[str]:
    """The distinct lower-case words of a (validated) dataset dict's title, keywords and glossary term names."""
    tags = [t["name"] if isinstance(t, dict) else str(t) for t in validated.get("tags") or []]
    glossary = terms.labels(list(validated.get("glossary_terms") or []))
    text = " ".join([validated.get("title") or "", *tags, *glossary]).lower()
    return sorted({w for w in _WORD.findall(text) if len(w) >= _MIN_LENGTH and not w.isdigit()})


def _vocabulary(letters: set[str], fq: list[str]) -> dict[str, dict[str, int]]:
    """Per first letter, the words of the visible datasets that start with it, with how many datasets hold each."""
    solr = query._solr(tk.config["solr_url"], tk.config["solr_timeout"])
    fields = [f"{{!key=w{c} facet.prefix={c}}}{WORDS_FIELD}" for c in sorted(letters)]
    found = solr.search(
        "*:*", fq=fq, rows=0, facet="true", **{"facet.field": fields, "facet.limit": -1, "facet.mincount": 1}
    )
    by_letter: dict[str, dict[str, int]] = {}
    for c in letters:
        flat = found.facets.get("facet_fields", {}).get(f"w{c}", [])
        by_letter[c] = dict(zip(flat[::2], flat[1::2], strict=True))
    for term in terms.approved():  # public names; a dataset count of 0 ranks them after catalog words
        for _name, normal in term["names"]:
            for w in normal.split():
                if len(w) >= _MIN_LENGTH and w[0] in by_letter:
                    by_letter[w[0]].setdefault(w, 0)
    return by_letter


def corrected(question: str, fq: list[str]) -> str | None:
    """The question with each word the visible catalog does not know replaced by the nearest word it knows
    (one edit for words up to four letters, two for longer; more datasets first), or None if nothing changed."""
    words = [m for m in _WORD.finditer(question.lower()) if len(m.group()) >= _MIN_LENGTH and not m.group().isdigit()]
    if not words:
        return None
    try:
        known = _vocabulary({m.group()[0] for m in words}, fq)
    except Exception as e:  # noqa: BLE001 (Solr refusing: no suggestion rather than a failed page)
        log.warning("No spelling suggestion: %s", e)
        return None
    out, last, changed = [], 0, False
    for m in words:
        word, bucket = m.group(), known.get(m.group()[0], {})
        out.append(question[last : m.start()])
        last = m.end()
        if _known(word, bucket):
            out.append(question[m.start() : m.end()])
            continue
        limit = 1 if len(word) <= 4 else 2
        near = process.extract(word, list(bucket), scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=20)
        if not near:
            out.append(question[m.start() : m.end()])
            continue
        best = min(near, key=lambda hit: (hit[1], -bucket[hit[0]], hit[0]))[0]
        out.append(best)
        changed = True
    out.append(question[last:])
    return "".join(out) if changed else None


def _known(word: str, bucket: dict[str, int]) -> bool:
    # Solr stems what it searches: "hospitals" finds "hospital", so a plural is no misspelling.
    return any(form in bucket for form in (word, word + "s", word.removesuffix("s"), word.removesuffix("es")))


def suggest(question: str, user: str | None, rows: int) -> dict[str, Any]:
    """What the help on a search with few results offers (see the action hhs_search_suggest)."""
    fq = query.visible_fq(user)
    context = {"user": user or "", "ignore_auth": False}
    search = tk.get_action("package_search")
    asked = search(dict(context), {"q": question, "rows": 0, "include_private": True})["count"]
    suggestion, suggestion_count = corrected(question, fq), 0
    if suggestion:
        suggestion_count = search(dict(context), {"q": suggestion, "rows": 0, "include_private": True})["count"]
        if not suggestion_count or suggestion_count < asked:
            suggestion, suggestion_count = None, 0  # no better than what was asked
    datasets = _nearest(suggestion or question, fq, context, rows)
    return {
        "suggestion": suggestion,
        "suggestion_count": suggestion_count,
        "terms": _terms(suggestion or question, datasets, rows),
        "datasets": datasets,
    }


def _nearest(question: str, fq: list[str], context: dict[str, Any], rows: int) -> list[dict[str, Any]]:
    """The visible datasets nearest the question in meaning, however near (the hybrid search asks more)."""
    if not config.enabled():
        return []
    try:
        near = query.nearest_among(vectors.query_vector(question), fq, rows)
    except Exception as e:  # noqa: BLE001 (no vector field, Solr refusing: no datasets by meaning)
        log.warning("No datasets by meaning: %s", e)
        return []
    if not near:
        return []
    similarity = dict(near)
    # Fetched through package_search as the viewer, so CKAN itself judges what may be shown.
    found = tk.get_action("package_search")(
        dict(context),
        {
            "fq": "id:(" + " OR ".join(solr_literal(pid) for pid, _ in near) + ")",
            "rows": len(near),
            "include_private": True,
        },
    )["results"]
    found.sort(key=lambda d: -similarity[d["id"]])
    return [
        {
            "id": d["id"],
            "name": d["name"],
            "title": d.get("title") or d["name"],
            "similarity": round(similarity[d["id"]], 3),
            "glossary_terms": list(d.get("glossary_terms") or []),
        }
        for d in found
    ]


def _terms(question: str, datasets: list[dict[str, Any]], rows: int) -> list[dict[str, str]]:
    """Approved glossary terms the question names, then those most linked to the datasets nearest in meaning."""
    approved = {t["slug"]: t["label"] for t in terms.approved()}
    slugs = [t["slug"] for t in terms.named_in(question)]
    linked = Counter(s for d in datasets for s in d["glossary_terms"] if s in approved)
    slugs += [s for s, _ in linked.most_common() if s not in slugs]
    return [{"slug": s, "label": approved[s]} for s in slugs[:rows]]
