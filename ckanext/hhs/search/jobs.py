"""Background jobs of search by meaning: embed the datasets that changed, then index them again with
their vectors. Queued by the index hook (plugin.py), at most one waiting at a time, so a harvest of
thousands of records is embedded in batches rather than a job per record."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator

import ckan.plugins.toolkit as tk
from ckan.lib import search
from ckan.lib.redis import connect_to_redis
from ckan.lib.search.common import make_connection

from . import vectors

log = logging.getLogger(__name__)

_QUEUED_SECONDS = 600  # a job lost with its worker is queued again by the next change after this
BATCH = 64


def queue() -> None:
    """Make sure one embedding job is waiting (the pending texts are already in Redis)."""
    redis = connect_to_redis()
    if redis.set(vectors.key("queued"), "1", nx=True, ex=_QUEUED_SECONDS):
        try:
            tk.enqueue_job(embed_pending, title="hhs_search: embed changed datasets", rq_kwargs={"timeout": 3600})
        except Exception:
            redis.delete(vectors.key("queued"))  # the next change tries again
            raise


def embed_pending() -> int:
    """Background job: embed every pending dataset text and index those datasets again; returns how many."""
    redis = connect_to_redis()
    redis.delete(vectors.key("queued"))  # changes from now on queue a new job
    working = vectors.key(f"pending:{uuid.uuid4().hex}")
    try:
        redis.rename(vectors.key("pending"), working)  # atomic: texts written meanwhile go to a fresh hash
    except Exception:  # noqa: BLE001 (redis raises ResponseError "no such key" when nothing is pending)
        return 0
    try:
        texts = {k.decode(): v.decode() for k, v in redis.hgetall(working).items()}
        done = 0
        ids = list(texts)
        for start in range(0, len(ids), BATCH):
            done += _embed_and_index({pid: texts[pid] for pid in ids[start : start + BATCH]})
        return done
    finally:
        redis.delete(working)


def _embed_and_index(texts: dict[str, str]) -> int:
    embedded = vectors.embed_and_store(texts)
    if embedded:
        search.rebuild(package_ids=embedded, defer_commit=True, quiet=True)
        # CKAN's own commit does not wait for the new searcher; this one does, so the datasets are found
        # by meaning as soon as the job has ended.
        make_connection().commit(waitSearcher=True)
    return len(embedded)


def indexed_texts(rows: int = 500) -> Iterator[dict[str, str]]:
    """Pages of {package id: text} of every dataset in this site's index, read from the index itself."""
    conn = make_connection()
    cursor = "*"
    while True:
        page = conn.search(
            "*:*",
            fq=[f'+site_id:"{tk.config["ckan.site_id"]}"', "+state:active"],
            fl="id,validated_data_dict",
            sort="index_id asc",  # a cursor needs the unique key
            rows=rows,
            cursorMark=cursor,
        )
        yield {d["id"]: vectors.text_of(json.loads(d.get("validated_data_dict") or "{}")) for d in page.docs}
        if page.nextCursorMark in (None, cursor):
            return
        cursor = page.nextCursorMark


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Embed every indexed dataset whose text has no stored vector, and index it again; returns how many."""
    done = 0
    for page in indexed_texts():
        ids = list(page)
        for start in range(0, len(ids), BATCH):
            batch = {pid: page[pid] for pid in ids[start : start + BATCH]}
            done += _embed_and_index(batch)
            if progress:
                progress(len(batch))
    return done


def total_indexed() -> int:
    return make_connection().search("*:*", fq=[f'+site_id:"{tk.config["ckan.site_id"]}"', "+state:active"], rows=0).hits
