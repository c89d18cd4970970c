"""Likely duplicates of a glossary term: the same name once normalised, or a close name or definition.

Offline and light: normalised text match, then TF-IDF cosine similarity (scikit-learn) over character
n-grams of names and synonyms and over the words of definitions. No model download, no torch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

NAME_THRESHOLD = 0.7
DEFINITION_THRESHOLD = 0.5


def normalise(text: str) -> str:
    """Lower case, no accents or punctuation, single spaces: 'Beneficiary, Medicare' -> 'beneficiary medicare'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def name_key(text: str) -> str:
    """How two names are compared for "same name": normalised, each word made singular."""
    return " ".join(_singular(w) for w in normalise(text).split())


@dataclass
class Candidate:
    id: str
    names: Sequence[str]  # label, abbreviation, synonyms
    definition: str


def similar(names: Sequence[str], definition: str, candidates: Sequence[Candidate], limit: int = 5) -> list[dict]:
    """The candidates most like the given names and definition, best first, with a score and why."""
    wanted = {name_key(n) for n in names if name_key(n)}
    if not candidates or not (wanted or definition.strip()):
        return []
    scores: dict[str, tuple[float, str]] = {}
    for c in candidates:
        if wanted & {name_key(n) for n in c.names}:
            scores[c.id] = (1.0, "same name")
    if wanted:
        # Each candidate scores by its closest name (label, abbreviation or a synonym).
        names_of = [(c, normalise(n)) for c in candidates for n in c.names if normalise(n)]
        _rank(
            scores,
            list(wanted),
            names_of,
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3)),
            NAME_THRESHOLD,
            "similar name",
        )
    if definition.strip():
        _rank(
            scores,
            [definition],
            [(c, c.definition) for c in candidates if c.definition.strip()],
            TfidfVectorizer(stop_words="english"),
            DEFINITION_THRESHOLD,
            "similar definition",
        )
    best = sorted(scores.items(), key=lambda kv: -kv[1][0])[:limit]
    return [{"id": cid, "score": round(score, 3), "reason": reason} for cid, (score, reason) in best]


def _rank(scores, queries, texts, vectorizer, threshold, reason) -> None:
    if not texts:
        return
    try:
        matrix = vectorizer.fit_transform([*queries, *(t for _, t in texts)])
    except ValueError:  # nothing but stop words
        return
    best = linear_kernel(matrix[: len(queries)], matrix[len(queries) :]).max(axis=0)
    for (candidate, _text), score in zip(texts, best, strict=True):
        if score >= threshold and score > scores.get(candidate.id, (0.0, ""))[0]:
            scores[candidate.id] = (float(score), reason)
