"""Catalog exports served from a stored copy, rebuilt in the background when the catalog changes.

Building /data.json reads and maps every listed dataset; doing it on every request let a few
clients starve the portal (#23). Each export (a kind, a filter and, for the inventory, its caller)
is kept in Redis as a gzipped document with its stamp (`export.stamp`: the listing's count and
newest change). A request reads the stamp (one small Solr query) and serves the stored copy:

- copy up to date: served as it is (a conditional request gets 304);
- copy out of date: the old copy is served and a rebuild is queued (`changed`), not built in the
  request, while a job worker runs (without one, the request builds); a copy that may hold
  CKAN-private datasets (the inventory, per caller) is never served out of date, it is rebuilt
  on its caller's request;
- no copy yet (or one dropped because a dataset left the public catalog): built once, under a
  lock; concurrent requests wait for that build instead of building their own.

Dataset writes queue the rebuild (`changed`, from the plugin's action signal): one job at a time
is queued however many writes come, and the job waits until writes have been quiet for
`ckanext.hhs.catalog.rebuild_delay` seconds. The job rebuilds every known public copy whose stamp
changed. A write after which a dataset may have left the public catalog (made private, deleted,
withdrawn, made non-public) drops the public copies at once, so it never goes out in an old one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import rq

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import jobs
from ckan.lib.redis import connect_to_redis

from . import config, export

log = logging.getLogger(__name__)

_PREFIX = "hhs:catalog:"
KNOWN = _PREFIX + "known"  # hash: copy name -> its spec (JSON), what the rebuild job goes through
QUEUED = _PREFIX + "queued"  # set while a rebuild job is queued and not started
CHANGED = _PREFIX + "changed"  # time of the last catalog write (the job waits for quiet)
# Readers still streaming a replaced copy keep reading it this long.
OLD_COPY_SECONDS = 600
# Redis round trips while building and serving: large enough to be few, small enough to keep the
# process's memory flat in the catalog's size.
CHUNK = 256 * 1024
_WAIT_STEP = 0.1

QUEUED_SECONDS = 300
# A crashed builder's lock ends after this; a build of the whole catalog takes well under it.
LOCK_SECONDS = 600


# Actions that change what a catalog lists (resource actions end in a package_update, which counts).
WRITES = (
    "package_create",
    "package_update",
    "package_patch",
    "package_revise",
    "package_delete",
    "dataset_purge",
    "package_owner_org_update",
    "bulk_update_private",
    "bulk_update_public",
    "bulk_update_delete",
    "organization_update",
    "organization_patch",
)


class Unavailable(Exception):
    """No copy could be built or waited for in time."""


def name(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def _meta_key(copy: str) -> str:
    return f"{_PREFIX}copy:{copy}"


def _lock_key(copy: str) -> str:
    return f"{_PREFIX}lock:{copy}"


def reachable() -> None:
    """Raise Redis's ConnectionError (answered 503) unless the copies' store answers."""
    connect_to_redis().ping()


def current(spec: dict[str, Any]) -> dict[str, str] | None:
    """The stored copy's description (stamp, tag, modified, blob, size), if there is one."""
    meta = connect_to_redis().hgetall(_meta_key(name(spec)))
    return {k.decode(): v.decode() for k, v in meta.items()} or None


def build(spec: dict[str, Any], stamp: str, modified: str | None) -> dict[str, str]:
    """Build the copy of `spec` now (the caller holds its lock) and make it the current one.

    `stamp` is read before the datasets are: a change during the build leaves the copy's stamp
    older than the listing's, so the copy is rebuilt again rather than kept with the change missed."""
    redis, copy = connect_to_redis(), name(spec)
    blob = f"{_PREFIX}blob:{copy}:{time.time_ns()}"
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    size, buffer = 0, bytearray()
    redis.set(blob, b"", ex=config.copy_seconds())
    for piece in export.document(spec):
        buffer += compressor.compress(piece.encode())
        if len(buffer) >= CHUNK:
            redis.append(blob, bytes(buffer))
            size, buffer = size + len(buffer), bytearray()
    buffer += compressor.flush()
    redis.append(blob, bytes(buffer))
    size += len(buffer)
    meta = {
        "stamp": stamp,
        "tag": hashlib.sha256(f"{stamp}|{copy}".encode()).hexdigest()[:32],
        "modified": modified or "",
        "blob": blob,
        "size": str(size),
    }
    old = current(spec)
    pipe = redis.pipeline()
    pipe.expire(blob, config.copy_seconds())
    pipe.delete(_meta_key(copy))
    pipe.hset(_meta_key(copy), mapping=meta)
    pipe.expire(_meta_key(copy), config.copy_seconds())
    pipe.hset(KNOWN, copy, json.dumps(spec, sort_keys=True))
    if old and old["blob"] != blob:
        pipe.expire(old["blob"], OLD_COPY_SECONDS)
    pipe.execute()
    return meta


def get(spec: dict[str, Any], stamp: str, modified: str | None, serve_stale: bool = True) -> dict[str, str]:
    """The copy to serve for `spec`, whose listing now has `stamp`: the stored one, or one built now.

    An out-of-date copy is served only while a job worker runs to rebuild it; without one (a portal
    started without `ckan jobs worker`) the request builds, as a portal without copies would."""
    meta = current(spec)
    if meta and meta["stamp"] == stamp:
        return meta
    if meta and serve_stale and _worker_running():
        changed()
        return meta
    return _build_once(spec, stamp, modified)


def _worker_running() -> bool:
    return rq.Worker.count(connection=connect_to_redis(), queue=jobs.get_queue()) > 0


def _build_once(spec: dict[str, Any], stamp: str, modified: str | None) -> dict[str, str]:
    """Build under the copy's lock; whoever finds the lock taken waits for that build."""
    redis, copy = connect_to_redis(), name(spec)
    deadline = time.monotonic() + config.build_wait()
    while True:
        if redis.set(_lock_key(copy), "1", nx=True, ex=LOCK_SECONDS):
            try:
                meta = current(spec)
                if meta and meta["stamp"] == stamp:  # built by whoever held the lock before
                    return meta
                return build(spec, stamp, modified)
            finally:
                redis.delete(_lock_key(copy))
        time.sleep(_WAIT_STEP)
        meta = current(spec)
        if meta and meta["stamp"] == stamp:
            return meta
        if time.monotonic() > deadline:
            raise Unavailable("the catalog copy is being built")


def drop_public() -> None:
    """Stop serving the stored public copies: the next request builds a fresh one. For a change that
    must not wait for the rebuild: a dataset that may have left the public catalog (made private,
    deleted, withdrawn, moved) must not go out again in an old copy."""
    redis = connect_to_redis()
    for copy, spec in redis.hgetall(KNOWN).items():
        if json.loads(spec)["user"] is None:
            redis.delete(_meta_key(copy.decode()))


def changed() -> None:
    """The catalog changed: queue one rebuild job, unless one is queued already."""
    redis = connect_to_redis()
    redis.set(CHANGED, str(time.time()))
    # Nobody to run it (the requests build instead), or a rebuild already waiting: nothing to queue.
    # A queued job lost with its worker is queued again once QUEUED expires.
    if _worker_running() and redis.set(QUEUED, "1", nx=True, ex=QUEUED_SECONDS):
        try:
            tk.enqueue_job(rebuild, title="hhs_catalog: rebuild catalog copies", rq_kwargs={"timeout": 3600})
        except Exception:
            redis.delete(QUEUED)  # the next change or request tries again
            raise


def rebuild(stamp_of: Callable[[dict[str, Any]], tuple[str, str | None]] | None = None) -> int:
    """Background job: rebuild each known copy whose listing changed; returns how many were rebuilt."""
    stamp_of = stamp_of or export.spec_stamp
    redis = connect_to_redis()
    quiet = config.rebuild_delay()
    while quiet > 0:  # writes still coming (an import): wait for them to stop, within reason
        last = float(redis.get(CHANGED) or 0)
        wait = last + quiet - time.time()
        if wait <= 0:
            break
        time.sleep(min(wait, quiet))
    redis.delete(QUEUED)  # writes from now on queue another run
    rebuilt = 0
    for copy, text in redis.hgetall(KNOWN).items():
        spec = json.loads(text)
        meta = current(spec)
        division = spec["division"] and model.Group.get(spec["division"])
        if (spec["user"] is not None and meta is None) or (spec["division"] and not division):
            # An inventory copy nobody asked for lately, a division that is gone: not kept up.
            redis.hdel(KNOWN, copy)
            continue
        if spec["user"] is not None:
            continue  # inventory copies are per caller and built on their request, never served stale
        try:
            stamp, modified = stamp_of(spec)
            if meta and meta["stamp"] == stamp:
                continue
            if not redis.set(_lock_key(copy.decode()), "1", nx=True, ex=LOCK_SECONDS):
                continue  # a request is building it now
            try:
                build(spec, stamp, modified)
                rebuilt += 1
            finally:
                redis.delete(_lock_key(copy.decode()))
        except Exception:
            # One copy failing (a division deleted, Solr hiccup) must not keep the others stale.
            log.exception("Rebuilding catalog copy %s failed", spec)
    return rebuilt


def body(meta: dict[str, str], gzipped: bool) -> Iterator[bytes]:
    """The stored document, read from Redis a chunk at a time (gzipped, or unpacked on the way)."""
    redis = connect_to_redis()
    size = int(meta["size"])
    decompressor = None if gzipped else zlib.decompressobj(31)
    offset = 0
    while offset < size:
        data = redis.getrange(meta["blob"], offset, min(offset + CHUNK, size) - 1)
        if not data:
            log.error("Catalog copy %s vanished while being sent", meta["blob"])
            return
        offset += len(data)
        yield decompressor.decompress(data) if decompressor else data
    if decompressor:
        yield decompressor.flush()
