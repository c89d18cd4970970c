"""The hybrid query: CKAN's keyword query and the datasets nearest the question by meaning, in one
Solr query that CKAN runs with all its filters (permission labels, facets, sort, paging).

CKAN lets a query carry one local-params parser at its start and no nested ones, so Solr's own
`{!bool should=... should={!knn ...}}` cannot reach Solr through package_search. The nearest datasets
are therefore found first by a `{!knn}` query of their own, and join the keyword query as `id`
clauses scored by their similarity (`^=` constant scores). The final query still goes through
`package_search`, so everything a user may not see is filtered out there, as for any search.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import pysolr

import ckan.authz as authz
import ckan.lib.plugins as lib_plugins
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.search.query import MAGIC_FIELD_RE, QUERY_PARSER_RE, solr_literal

from . import config, terms, vectors

log = logging.getLogger(__name__)

_SPECIAL = re.compile(r"([\\+\-&|!(){}\[\]^~*?:/])")
_OPERATORS = re.compile(r"\b(AND|OR|NOT)\b")


def applies(params: dict[str, Any]) -> bool:
    """A free-text question CKAN would run with dismax (no fielded or local-params query)."""
    q = params.get("q")
    return (
        isinstance(q, str)
        and bool(q.strip())
        and q.strip() not in ("*:*", '""', "''")
        and ":" not in q
        and "{!" not in q
        and params.get("defType", "dismax") == "dismax"
    )


def _words(text: str) -> str:
    """The question as plain words for edismax: no operators, no syntax, quotes kept when balanced."""
    text = _OPERATORS.sub(lambda m: m.group(1).lower(), _SPECIAL.sub(r"\\\1", text))
    return text if text.count('"') % 2 == 0 else text.replace('"', " ")


def _phrase(text: str) -> str:
    return '"' + text.replace("\\", " ").replace('"', " ") + '"'


@functools.cache
def _solr(url: str, timeout: float) -> pysolr.Solr:
    # One connection kept per process: a new one per question (as make_connection gives) costs a TCP set-up.
    return pysolr.Solr(url, timeout=timeout)


def nearest(vector: str, params: dict[str, Any]) -> list[tuple[str, float]]:
    """(id, cosine similarity) of the datasets nearest the vector (comma-separated numbers), under the
    search's own filters."""
    fq = [f'+site_id:"{tk.config["ckan.site_id"]}"']
    own = params.get("fq") or ""
    # CKAN refuses local params and magic fields in a filter before it reaches Solr; this query goes to
    # Solr directly, so such a filter is left out here (CKAN still judges it in the search itself).
    if isinstance(own, str) and own.strip() and not (QUERY_PARSER_RE.search(own) or MAGIC_FIELD_RE.search(own)):
        fq.append(own)
    else:
        own = ""
    if "+state:" not in own:
        fq.append("+state:active")
    if not tk.asbool(params.get("include_private", False)):
        fq.append("+capacity:public")
    else:  # the nearest among what the searcher may see, or private ones they cannot crowd them out
        fq += [f for f in visible_fq(_searcher()) if f.startswith("+permission_labels:")]
    return nearest_among(vector, fq, config.top_k())


def _searcher() -> str | None:
    """The signed-in user of the web request, if any (CKAN's own label filter still judges the results)."""
    try:
        user = tk.current_user
        return user.name if user and user.is_authenticated else None
    except (AttributeError, RuntimeError):  # outside a request
        return None


def visible_fq(user: str | None) -> list[str]:
    """The Solr filters package_search applies for this user: site, active state and CKAN's permission labels
    (as extended by any IPermissionLabels plugin); a sysadmin's have no labels, as in package_search."""
    fq = [f"+site_id:{solr_literal(tk.config['ckan.site_id'])}", "+state:active"]
    if user and authz.is_sysadmin(user):
        return fq
    labels = lib_plugins.get_permission_labels().get_user_dataset_labels(model.User.get(user) if user else None)
    fq.append("+permission_labels:(" + " OR ".join(solr_literal(label) for label in labels) + ")")
    return fq


def nearest_among(vector: str, fq: list[str], k: int) -> list[tuple[str, float]]:
    """(id, cosine similarity) of the k datasets nearest the vector among those that pass the Solr filters."""
    knn = f"{{!knn f={config.vector_field()} topK={k}}}[{vector}]"
    # Filters are Solr's pre-filters of a knn main query: the k nearest among the datasets that pass.
    solr = _solr(tk.config["solr_url"], tk.config["solr_timeout"])
    hits = solr.search(knn, fq=fq, fl="id,score", rows=k)
    # Solr scores cosine as (1 + cos) / 2.
    return [(d["id"], 2 * float(d["score"]) - 1) for d in hits.docs]


def hybrid(params: dict[str, Any]) -> dict[str, Any]:
    """The search params with the question expanded by glossary terms and joined by its nearest datasets."""
    question = params["q"].strip()
    expanded = terms.named_in(question) if config.glossary() else []
    clauses = [f"({_words(question)})"]
    for term in expanded:
        clauses += [_phrase(name) for name in term["expansions"]]
        clauses.append(f'vocab_glossary_terms:"{term["slug"]}"')
    meaning = " ".join([question, *(t["label"] for t in expanded)])
    try:
        near = nearest(vectors.query_vector(meaning), params)
    except Exception as e:  # noqa: BLE001 (Solr down or refusing: the keyword search still answers)
        log.warning("Search by meaning failed, keyword-only: %s", e)
        near = []
    weight, floor = config.weight(), config.min_similarity()
    near = [(pid, sim) for pid, sim in near if sim >= floor]
    if not near and not expanded:
        return params  # nothing to add (no vectors yet, say): CKAN's own query, unchanged
    clauses += [f'id:"{pid}"^={weight * sim:.4f}' for pid, sim in near]
    params["q"] = " OR ".join(clauses)
    params["defType"] = "edismax"
    # Each clause may match alone; within the question's group, CKAN's own rule (q.op AND) holds.
    params["mm"] = "1"
    params.setdefault("extras", {})["hhs_expanded_terms"] = [
        {"label": t["label"], "slug": t["slug"], "matched": t["matched"]} for t in expanded
    ]
    return params
