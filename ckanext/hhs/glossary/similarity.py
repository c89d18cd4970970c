"""Likely duplicates of a glossary term: the same name once normalised, or a close name or definition.

All offline: normalised text match; TF-IDF cosine similarity (scikit-learn) over character n-grams of
names and synonyms and over the words of definitions; and, for definitions that say the same thing in
other words, the cosine of their sentence embeddings (the core's embedding.py, all-MiniLM-L6-v2). Each term keeps
the embedding of its definition (computed when the definition is written), so a check embeds only the
text being checked and compares it with every term.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

log = logging.getLogger(__name__)

NAME_THRESHOLD = 0.7
DEFINITION_THRESHOLD = 0.5
# Calibrated on the starter glossary (tests/glossary): of eight of its definitions reworded by hand,
# seven score 0.71-0.92 against their own term with all-MiniLM-L6-v2 and one 0.68; 14 of its 2,346
# pairs of distinct terms reach 0.7, nearly all closely related (race / race and ethnicity, incidence /
# prevalence), which a reviewer is glad to see next to a proposal anyway.
MEANING_THRESHOLD = 0.7
MAX_UNSTORED = 100  # definitions without a stored embedding that a check embeds itself (18 ms each)


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
    meaning: bytes | None = None  # the stored embedding of the definition (definition_embedding)


def meaning(definition: str) -> bytes | None:
    """What a term stores as the embedding of its definition (float32 bytes), None for no definition."""
    return _embed([definition])[0].tobytes() if definition.strip() else None


def similar(
    names: Sequence[str], definition: str, candidates: Sequence[Candidate], limit: int = 5, by_meaning: bool = True
) -> list[dict]:
    """The candidates most like the given names and definition, best first, with a score and why.

    `by_meaning` adds the sentence-embedding comparison of definitions."""
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
        defined = [(c, c.definition) for c in candidates if c.definition.strip()]
        _rank(
            scores,
            [definition],
            defined,
            TfidfVectorizer(stop_words="english"),
            DEFINITION_THRESHOLD,
            "similar definition",
        )
        if by_meaning and defined:
            _rank_by_meaning(scores, definition, [c for c, _ in defined])
    best = sorted(scores.items(), key=lambda kv: -kv[1][0])[:limit]
    return [{"id": cid, "score": round(score, 3), "reason": reason} for cid, (score, reason) in best]


def _rank(scores, queries, texts, vectorizer, threshold, reason) -> None:
    if not texts:
        return
    try:
        matrix = vectorizer.fit_transform([*queries, *(t for _, t in texts)])
    except ValueError:  # nothing but stop words
        return
    _keep(
        scores,
        [c for c, _ in texts],
        linear_kernel(matrix[: len(queries)], matrix[len(queries) :]).max(axis=0),
        threshold,
        reason,
    )


def _rank_by_meaning(scores, definition: str, candidates: Sequence[Candidate]) -> None:
    # Terms written while comparing by meaning was off have no stored embedding; a few are computed
    # here, many would make every check slow: `ckan hhs glossary embed` stores them.
    unstored = [c for c in candidates if not c.meaning]
    if len(unstored) > MAX_UNSTORED:
        log.warning("%d glossary definitions have no stored embedding: run `ckan hhs glossary embed`", len(unstored))
        candidates, unstored = [c for c in candidates if c.meaning], []
    computed = iter(_embed([c.definition for c in unstored]))
    vectors = [np.frombuffer(c.meaning, dtype=np.float32) if c.meaning else next(computed) for c in candidates]
    if vectors:
        _keep(scores, candidates, np.stack(vectors) @ _embed([definition])[0], MEANING_THRESHOLD, "similar meaning")


def _keep(scores, candidates, values, threshold, reason) -> None:
    for candidate, score in zip(candidates, values, strict=True):
        if score >= threshold and score > scores.get(candidate.id, (0.0, ""))[0]:
            scores[candidate.id] = (float(score), reason)


def _embed(texts: list[str]) -> np.ndarray:
    from ckanext.hhs import embedding  # loads the model (90 MB) on first use only

    return embedding.embed(texts)
