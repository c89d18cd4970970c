"""The duplicate scan: datasets of different divisions that look like the same data.

Signals, each recorded as a reason of the pair:
  identifier     the same POD identifier;
  landing_page   the same landing page, URLs normalised (scheme, `www.`, default port, trailing slash,
                 fragment and query order do not count);
  download_url   a distribution (resource) URL in common, normalised the same way;
  data_dictionary the same data dictionary URL;
  text           the cosine of the title-and-description embeddings (the core's all-MiniLM-L6-v2; the
                 description's first DESCRIPTION_CHARS characters) at or above
                 `ckanext.hhs.governance.duplicate_threshold`, the `top_k` closest of other divisions
                 per dataset, by chunked float32 matrix products;
  columns        the Jaccard index of the column names of registered lakehouse tables (read through
                 `hhs_lakehouse_table_list` when that plugin is on), from three shared names up.
A key (identifier, URL) that more than MAX_GROUP datasets share says nothing (a division's home page
given as every landing page) and is skipped.

Each dataset's title and description are embedded separately and kept with their hashes: a rescan
embeds only titles and descriptions it has not seen (identical descriptions, common in yearly series,
are embedded once) and compares only the changed datasets against all (`--full` forgets the stored
embeddings and compares all against all). The title-and-description vector is the normalised sum of both.

A pair the Board decided keeps its decision. A pair marked distinct is reopened only when the evidence
got materially stronger than what the Board saw: a signal that did not match then matches now, or the
text similarity rose by REOPEN_MARGIN or more. Edits that do not add evidence leave it closed.

The scan is idempotent (pairs are upserted on the dataset pair), resumable (embeddings are stored chunk by
chunk, so a rerun after a failure embeds only what is left), one at a time (a PostgreSQL advisory
lock), bounded in memory (float32, `duplicate_chunk` rows of similarities at a time) and recorded as a
run with its stage, progress and error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs import values
from ckanext.hhs.context import site_context
from ckanext.hhs.embedding import DIMENSIONS

from .. import config
from ..failures import failure_message
from . import model as gm

__all__: list[str] = []

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)

MAX_GROUP = 20
# What of a description is embedded and compared: its beginning says what the data is; the cost of the
# model grows with the length (about 130 tokens here, of the model's 256).
DESCRIPTION_CHARS = 600
REOPEN_MARGIN = 0.05
COLUMN_THRESHOLD = 0.8
MIN_COLUMNS = 3
KEY_SIGNALS = ("identifier", "landing_page", "download_url", "data_dictionary")
_LOCK_KEY = 0x68687364  # "hhsd": one scan at a time across processes
JOB_TIMEOUT = 3 * 3600


class ScanBusy(Exception):
    """Another scan holds the lock."""


@dataclass
class Record:
    """What the signals read of one dataset."""

    id: str
    org: str
    title: str
    notes: str
    keys: dict[str, set[str]] = field(default_factory=dict)
    columns: frozenset[str] = frozenset()

    @property
    def title_hash(self) -> str:
        return _hash(self.title)

    @property
    def notes_hash(self) -> str:
        return _hash(self.notes)

    @property
    def signature(self) -> str:
        parts = [self.org, self.title_hash, self.notes_hash, sorted(self.columns)]
        parts += [sorted(self.keys.get(k, ())) for k in KEY_SIGNALS]
        return _hash(json.dumps(parts))


# ---------------------------------------------------------------- normalising


def normalise_url(url: str | None) -> str:
    """'HTTP://www.CMS.gov:80/data/?b=2&a=1#top' and 'https://cms.gov/data?a=1&b=2' -> 'cms.gov/data?a=1&b=2'."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url.lower()
    if parts.scheme.lower() not in ("http", "https", "ftp", "s3", "") or not parts.hostname:
        return url.lower()
    host = parts.hostname.lower().removeprefix("www.")
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return host + path + (f"?{query}" if query else "")


def normalise_identifier(value: str | None) -> str:
    return " ".join((value or "").split()).lower()


def normalise_column(name: str) -> str:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", name or "")
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- reading the catalog


def read_catalog() -> list[Record]:
    """Every active dataset, private ones too (the scan runs for the Board), read with SQL in one pass."""
    records: dict[str, Record] = {}
    rows = model.Session.execute(
        sa.select(
            model.Package.id, model.Package.owner_org, model.Package.title, model.Package.notes, model.Package.url
        )
        .where(model.Package.state == "active", model.Package.type == "dataset")
        .order_by(model.Package.id)
    )
    for pid, org, title, notes, url in rows:
        record = Record(pid, org or "", _clean(title), _clean(notes)[:DESCRIPTION_CHARS], defaultdict(set))
        if normalise_url(url):
            record.keys["landing_page"].add(normalise_url(url))
        records[pid] = record
    extras = model.Session.execute(
        sa.select(model.PackageExtra.package_id, model.PackageExtra.key, model.PackageExtra.value).where(
            model.PackageExtra.key.in_(("identifier", "data_dictionary")), model.PackageExtra.state == "active"
        )
    )
    for pid, key, value in extras:
        record = records.get(pid)
        if record is None:
            continue
        if key == "identifier" and normalise_identifier(value):
            record.keys["identifier"].add(normalise_identifier(value))
        elif key == "data_dictionary":
            for url in _dictionary_urls(value):
                record.keys["data_dictionary"].add(url)
    resources = model.Session.execute(
        sa.select(model.Resource.package_id, model.Resource.url).where(model.Resource.state == "active")
    )
    for pid, url in resources:
        if pid in records and normalise_url(url):
            records[pid].keys["download_url"].add(normalise_url(url))
    for pid, columns in _lakehouse_columns().items():
        if pid in records:
            records[pid].columns = columns
    model.Session.rollback()  # end the read transaction: the scan commits its own writes
    return list(records.values())


def _dictionary_urls(value: str | None) -> Iterable[str]:
    try:
        entries = json.loads(value or "[]")
    except ValueError:
        return []
    entries = entries if isinstance(entries, list) else [entries]
    return [normalise_url(e.get("url")) for e in entries if isinstance(e, dict) and normalise_url(e.get("url"))]


def _lakehouse_columns() -> dict[str, frozenset[str]]:
    """Column names per dataset of the registered lakehouse tables, through the lakehouse's own action."""
    try:
        table_list = tk.get_action("hhs_lakehouse_table_list")
    except KeyError:
        return {}
    site = site_context()
    columns: dict[str, set[str]] = defaultdict(set)
    offset, limit = 0, 100
    while True:
        page = table_list(dict(site), {"limit": limit, "offset": offset})
        for table in page["results"]:
            names = {normalise_column(c.get("name", "")) for c in table.get("columns") or []}
            columns[table["package_id"]] |= {n for n in names if n}
        offset += limit
        if offset >= page["count"] or not page["results"]:
            return {pid: frozenset(names) for pid, names in columns.items()}


# ---------------------------------------------------------------- embeddings


def _embed(texts: list[str]) -> np.ndarray:
    from ckanext.hhs import embedding  # loads the model (90 MB) on first use only

    return embedding.embed(texts)


def _vector(title: np.ndarray, notes: np.ndarray) -> np.ndarray:
    combined = title + notes
    norm = np.linalg.norm(combined)
    return (combined / norm).astype(np.float32) if norm else combined.astype(np.float32)


def _store_embeddings(
    run: gm.DuplicateRun, records: list[Record], stored: dict[str, Any], full: bool, progress: Progress | None
) -> tuple[dict[str, np.ndarray], int]:
    """The title and description vectors by text hash, embedding (and storing, chunk by chunk) the texts
    not stored yet. Returns the vectors and how many texts were embedded."""
    vectors: dict[str, np.ndarray] = {}
    if not full:
        for row in stored.values():
            vectors.setdefault(row.title_hash, np.frombuffer(row.title_embedding, dtype=np.float32))
            vectors.setdefault(row.notes_hash, np.frombuffer(row.notes_embedding, dtype=np.float32))
    vectors.setdefault(_hash(""), np.zeros(DIMENSIONS, dtype=np.float32))
    pending = [
        r
        for r in records
        if full
        or r.id not in stored
        or (stored[r.id].title_hash, stored[r.id].notes_hash) != (r.title_hash, r.notes_hash)
    ]
    chunk, embedded = config.duplicate_chunk(), 0
    _stage(run, "embedding", 0, len(pending), progress)
    for start in range(0, len(pending), chunk):
        batch = pending[start : start + chunk]
        texts: dict[str, str] = {}
        for r in batch:
            for text in (r.title, r.notes):
                if _hash(text) not in vectors:
                    texts[_hash(text)] = text
        if texts:
            # Similar lengths batched together pad less.
            order = sorted(texts, key=lambda h: len(texts[h]))
            for h, v in zip(order, _embed([texts[h] for h in order]), strict=True):
                vectors[h] = v
            embedded += len(texts)
        now = values.now()
        present = _lock_present({r.id for r in batch})
        rows = [
            {
                "package_id": r.id,
                "title_hash": r.title_hash,
                "title_embedding": vectors[r.title_hash].tobytes(),
                "notes_hash": r.notes_hash,
                "notes_embedding": vectors[r.notes_hash].tobytes(),
                "signature": "",  # written once the dataset has been compared (see _scan)
                "scanned": now,
            }
            for r in batch
            if r.id in present
        ]
        if rows:
            statement = insert(gm.DuplicateDataset.__table__).values(rows)
            model.Session.execute(
                statement.on_conflict_do_update(
                    index_elements=["package_id"],
                    set_={k: statement.excluded[k] for k in rows[0] if k not in ("package_id", "signature")},
                )
            )
        _stage(run, "embedding", start + len(batch), len(pending), progress)
    return vectors, embedded


# ---------------------------------------------------------------- signals


def _text_candidates(
    run: gm.DuplicateRun,
    records: list[Record],
    matrix: np.ndarray,
    queries: list[int],
    progress: Progress | None,
) -> dict[tuple[int, int], float]:
    """Pairs (i, j) of different divisions whose vectors' cosine reaches the threshold: for each query row
    its top_k of the whole catalog, a chunk of rows at a time (chunk x n float32 in memory)."""
    threshold, top_k, chunk = config.duplicate_threshold(), config.duplicate_top_k(), config.duplicate_chunk()
    orgs = np.unique([r.org for r in records], return_inverse=True)[1]  # division as a number
    found: dict[tuple[int, int], float] = {}
    _stage(run, "comparing", 0, len(queries), progress)
    k = min(top_k, len(records) - 1)
    for start in range(0, len(queries), chunk):
        rows = np.array(queries[start : start + chunk], dtype=np.int64)
        scores = matrix[rows] @ matrix.T
        scores[orgs[rows][:, None] == orgs[None, :]] = -1.0  # same division (and the dataset itself)
        if k > 0:
            best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            for x, row in enumerate(rows.tolist()):
                for j in best[x].tolist():
                    score = float(scores[x, j])
                    if score >= threshold:
                        pair = (min(row, j), max(row, j))
                        found[pair] = max(found.get(pair, 0.0), score)
        del scores
        _stage(run, "comparing", start + len(rows), len(queries), progress)
    return found


def _key_candidates(records: list[Record]) -> dict[tuple[int, int], dict[str, str]]:
    """Pairs of different divisions sharing a key, with the key that matched per signal."""
    found: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for signal in KEY_SIGNALS:
        holders: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            for key in r.keys.get(signal, ()):
                holders[key].append(i)
        for key, members in holders.items():
            if len(members) < 2 or len(members) > MAX_GROUP:
                continue
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    if records[i].org != records[j].org:
                        found[(min(i, j), max(i, j))][signal] = key
    return found


def _column_candidates(records: list[Record]) -> dict[tuple[int, int], float]:
    """Pairs of different divisions whose column names overlap (Jaccard) at COLUMN_THRESHOLD or more."""
    holders: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        if len(r.columns) >= MIN_COLUMNS:
            for name in r.columns:
                holders[name].append(i)
    seen: set[tuple[int, int]] = set()
    found: dict[tuple[int, int], float] = {}
    for members in holders.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                pair = (min(i, j), max(i, j))
                if pair in seen or records[i].org == records[j].org:
                    continue
                seen.add(pair)
                a, b = records[i].columns, records[j].columns
                overlap = len(a & b) / len(a | b)
                if overlap >= COLUMN_THRESHOLD and len(a & b) >= MIN_COLUMNS:
                    found[pair] = overlap
    return found


def score_of(reasons: dict[str, Any]) -> float:
    """1.0 when a key matched, else the strongest of the text and column similarities."""
    if any(signal in reasons for signal in KEY_SIGNALS):
        return 1.0
    return max(float(reasons.get("text", 0.0)), float(reasons.get("columns", 0.0)))


def materially_stronger(reasons: dict[str, Any], decided: dict[str, Any] | None) -> bool:
    """Whether the evidence for a pair is now materially stronger than when it was marked distinct."""
    decided = decided or {}
    if any(signal not in decided for signal in reasons):
        return True
    return any(
        float(reasons.get(s, 0.0)) >= float(decided.get(s, 0.0)) + REOPEN_MARGIN
        for s in ("text", "columns")
        if s in reasons
    )


# ---------------------------------------------------------------- the scan


def scan(full: bool = False, progress: Progress | None = None) -> gm.DuplicateRun:
    """Run one scan here (the CLI and the job call this). Raises ScanBusy if another is running."""
    with model.meta.engine.connect() as lock:
        if not lock.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY}).scalar():
            raise ScanBusy("another duplicate scan is running")
        try:
            return _scan(full, progress)
        finally:
            lock.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})


def run_job(full: bool = False) -> None:
    """The background job (queued by hhs_governance_duplicate_scan)."""
    try:
        scan(full)
    except ScanBusy:
        log.info("duplicate scan not started: another one is running")


def enqueue(full: bool = False) -> str:
    job = tk.enqueue_job(run_job, [full], title="HHS governance duplicate scan", rq_kwargs={"timeout": JOB_TIMEOUT})
    return job.id


def _scan(full: bool, progress: Progress | None) -> gm.DuplicateRun:
    # A run still "running" while we hold the lock was cut off (its worker died): say so.
    model.Session.query(gm.DuplicateRun).filter(gm.DuplicateRun.status == "running").update(
        {"status": "failed", "error": "interrupted (the process running it stopped)", "finished": values.now()}
    )
    run = gm.DuplicateRun(full=full, status="running", stage="reading")
    model.Session.add(run)
    model.Session.commit()
    try:
        records = read_catalog()
        stored = {row.package_id: row for row in model.Session.query(gm.DuplicateDataset)}
        changed = {r.id for r in records if full or r.id not in stored or stored[r.id].signature != r.signature}
        vectors, embedded = _store_embeddings(run, records, stored, full, progress)
        stored.clear()
        matrix = np.zeros((len(records), DIMENSIONS), dtype=np.float32)
        for i, r in enumerate(records):
            matrix[i] = _vector(vectors[r.title_hash], vectors[r.notes_hash])
        vectors.clear()
        queries = [i for i, r in enumerate(records) if r.id in changed]
        text = _text_candidates(run, records, matrix, queries, progress)
        del matrix
        keys = _key_candidates(records)
        columns = _column_candidates(records)
        found: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
        for (i, j), score in text.items():
            found[_ids(records, i, j)]["text"] = round(score, 4)
        for (i, j), matched in keys.items():
            found[_ids(records, i, j)].update(matched)
        for (i, j), overlap in columns.items():
            found[_ids(records, i, j)]["columns"] = round(overlap, 4)
        _stage(run, "saving", 0, len(found), progress)
        counts = _save_pairs(found, changed, {r.id for r in records})
        # Only now is a changed dataset compared: a scan cut off before this point compares it again
        # (its embeddings, stored chunk by chunk, are reused).
        table = gm.DuplicateDataset.__table__
        signatures = [{"pid": r.id, "sig": r.signature} for r in records if r.id in changed]
        if signatures:
            model.Session.execute(
                table.update().where(table.c.package_id == sa.bindparam("pid")).values(signature=sa.bindparam("sig")),
                signatures,
            )
        _gone = sa.select(model.Package.id).where(model.Package.state == "active")
        model.Session.query(gm.DuplicateDataset).filter(~gm.DuplicateDataset.package_id.in_(_gone)).delete(
            synchronize_session=False
        )
        run.counts = {"datasets": len(records), "changed": len(changed), "embedded": embedded, **counts}
        run.status, run.stage, run.finished = "finished", None, values.now()
        run.done = run.total = len(found)
        model.Session.commit()
        return run
    except Exception:
        model.Session.rollback()
        failed = model.Session.get(gm.DuplicateRun, run.id)
        failed.status, failed.finished = "failed", values.now()
        failed.error = failure_message(run.id)
        model.Session.commit()
        log.error("duplicate scan failed: %s", traceback.format_exc())
        raise


def _ids(records: list[Record], i: int, j: int) -> tuple[str, str]:
    a, b = records[i].id, records[j].id
    return (a, b) if a < b else (b, a)


def _save_pairs(found: dict[tuple[str, str], dict[str, Any]], changed: set[str], active: set[str]) -> dict[str, int]:
    """Upsert the pairs found; drop open pairs whose evidence is gone. Decisions stay."""
    now = values.now()
    counts = {"new": 0, "reopened": 0, "dropped": 0}
    query = model.Session.query(gm.DuplicatePair)
    if len(changed) < len(active):
        # A rescan looks only at pairs with a changed dataset (the keys and texts of two unchanged
        # datasets are what they were) and at pairs with a dataset gone from the catalog.
        found = {ab: reasons for ab, reasons in found.items() if ab[0] in changed or ab[1] in changed}
        active_ids = sa.select(model.Package.id).where(model.Package.state == "active", model.Package.type == "dataset")
        query = query.filter(
            sa.or_(
                gm.DuplicatePair.dataset_a.in_(changed),
                gm.DuplicatePair.dataset_b.in_(changed),
                ~gm.DuplicatePair.dataset_a.in_(active_ids),
                ~gm.DuplicatePair.dataset_b.in_(active_ids),
            )
        )
    existing = {(p.dataset_a, p.dataset_b): p for p in query}
    present = _lock_present({dataset for pair in found for dataset in pair})
    for (a, b), matched in found.items():
        if a not in present or b not in present:
            continue  # purged since the catalog was read
        reasons = dict(matched)
        pair = existing.pop((a, b), None)
        if pair is None:
            model.Session.add(
                gm.DuplicatePair(
                    dataset_a=a, dataset_b=b, score=score_of(reasons), reasons=reasons, found=now, seen=now
                )
            )
            counts["new"] += 1
            continue
        pair.reasons, pair.score, pair.seen = reasons, score_of(reasons), now
        if pair.status == "distinct" and materially_stronger(reasons, pair.decided_reasons):
            pair.status = "open"
            counts["reopened"] += 1
    # Pairs not found again: an open one goes when the scan looked at it again (one of its datasets
    # changed, or a key-only pair) or a dataset left the catalog; decided ones stay as the Board's record.
    for (a, b), pair in existing.items():
        if pair.status != "open":
            continue
        if a not in active or b not in active or {a, b} & changed or "text" not in pair.reasons:
            model.Session.delete(pair)
            counts["dropped"] += 1
    model.Session.flush()
    counts["open"] = model.Session.query(gm.DuplicatePair).filter(gm.DuplicatePair.status == "open").count()
    return counts


def _lock_present(ids: set[str]) -> set[str]:
    """Those of `ids` whose dataset still exists, locked (FOR KEY SHARE) until the transaction ends: a
    dataset purged while the scan ran is skipped, and none can be purged under rows that refer to it
    (a foreign-key violation would fail the whole scan)."""
    present: set[str] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), _PAGE_IDS):
        query = sa.select(model.Package.id).where(model.Package.id.in_(ordered[start : start + _PAGE_IDS]))
        present.update(model.Session.execute(query.with_for_update(key_share=True)).scalars())
    return present


_PAGE_IDS = 5000  # ids per lookup: one statement's parameters stay bounded


def _stage(run: gm.DuplicateRun, stage: str, done: int, total: int, progress: Progress | None) -> None:
    run.stage, run.done, run.total = stage, done, total
    model.Session.commit()
    if progress:
        progress(stage, done, total)
