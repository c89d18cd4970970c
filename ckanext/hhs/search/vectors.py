"""Dataset vectors: the text a dataset is embedded from, the stored vector of that text, and storing new ones."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import numpy as np
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.hhs import embedding

from . import terms
from .model import Vector

log = logging.getLogger(__name__)
_MAX_CHARS = 1000  # about 200 tokens: the title and the start of the description say what it is; more costs time


def text_of(validated: dict[str, Any]) -> str:
    """Title, description, keywords and glossary term names of a (validated) dataset dict."""
    tags = [t["name"] if isinstance(t, dict) else str(t) for t in validated.get("tags") or []]
    glossary = terms.labels(list(validated.get("glossary_terms") or []))
    parts = [validated.get("title") or "", validated.get("notes") or "", ", ".join(tags), ", ".join(glossary)]
    return "\n".join(p for p in parts if p)[:_MAX_CHARS]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_table_seen: dict[str, float] = {}
_TABLE_CHECK_SECONDS = 60


def table_ready() -> bool:
    """Whether hhs_search_vector exists (`ckan db upgrade -p hhs_search`); without it datasets are still
    saved and indexed, without vectors. Asked once a minute per process."""
    now = time.monotonic()
    if "checked" in _table_seen and now - _table_seen["checked"] < _TABLE_CHECK_SECONDS:
        return bool(_table_seen["ready"])
    ready = sa.inspect(model.Session.get_bind()).has_table(Vector.__tablename__)
    if not ready:
        log.warning("Search by meaning has no table %s: run `ckan db upgrade -p hhs_search`", Vector.__tablename__)
    _table_seen.update(checked=now, ready=ready)
    return ready


def forget_table() -> None:
    """Ask the database again next time (after a migration, and in tests)."""
    _table_seen.clear()


def stored(package_id: str) -> Vector | None:
    return model.Session.get(Vector, package_id)


def to_list(blob: bytes) -> list[float]:
    return [round(float(v), 6) for v in np.frombuffer(blob, dtype="<f4")]


def key(name: str) -> str:
    """A Redis key of this site's (sites may share a Redis, as CKAN's own job queues do)."""
    return f"hhs_search:{tk.config['ckan.site_id']}:{name}"


def mark_pending(package_id: str, text: str) -> None:
    connect_to_redis().hset(key("pending"), package_id, text)  # package id -> text still to embed


def embed_and_store(texts: dict[str, str]) -> list[str]:
    """Embed the texts that changed since their dataset's stored vector; returns the ids embedded."""
    hashes = {pid: digest(text) for pid, text in texts.items()}
    known = dict(model.Session.query(Vector.package_id, Vector.text_hash).filter(Vector.package_id.in_(list(texts))))
    # Shortest first: a batch is padded to its longest text.
    todo = sorted((pid for pid in texts if known.get(pid) != hashes[pid]), key=lambda pid: len(texts[pid]))
    if not todo:
        return []
    matrix = embedding.embed([texts[pid] for pid in todo])
    for pid, vector in zip(todo, matrix, strict=True):
        row = stored(pid) or Vector(package_id=pid)
        row.text_hash, row.vector = hashes[pid], vector.astype("<f4").tobytes()
        model.Session.add(row)
    model.Session.commit()
    return todo


def query_vector(text: str) -> str:
    """The question's embedding as Solr reads it ("0.0123,-0.0456,..."), cached in Redis for a day: the same
    questions are asked again and again, and embedding one takes tens of milliseconds."""
    redis = connect_to_redis()
    key = "hhs_search:question:" + digest(text)
    cached = redis.get(key)
    if cached is not None:
        return cached.decode()
    vector = ",".join(f"{v:.5f}" for v in embedding.embed([text])[0])
    redis.set(key, vector, ex=86400)
    return vector
