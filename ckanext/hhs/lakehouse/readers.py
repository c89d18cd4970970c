"""Read what a table is without reading its data: Delta Lake through `deltalake` (its transaction log),
Apache Iceberg through `pyiceberg` (the current metadata file the portal's SQL catalog points to, its
snapshot summary and partition spec), Parquet datasets through `pyarrow` (file listing and footers).

Every function takes a Location that config.resolve() has accepted. The readers are native clients that
open their own connections, so they reach an s3:// root's endpoint only through the core fetch guard:
within `reading()` each endpoint gets a loopback `net.Proxy` and every reader is configured to use it
as its HTTP proxy. The guard parses the endpoint URL once, resolves and checks its address once and
pins every connection to it, checks each request (and so each redirect) again, lets reads only
through (GET/HEAD, or a TLS tunnel to the endpoint), and cuts every connection at the one deadline of
the `reading()` block. The credentials go to the readers only, and errors are redacted before anyone
sees them.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ckanext.hhs import config as core_config
from ckanext.hhs import net

from . import config
from .catalog import open_catalog

__all__ = ["ReadError", "arrow_source", "read_metadata", "reading"]

log = logging.getLogger(__name__)

FORMATS = ("delta", "iceberg", "parquet")
_METADATA_FILE = re.compile(r"^(?:v?(\d+)[-.])?.*\.metadata\.json$")


class ReadError(Exception):
    """The table could not be read; the message is safe to show (credentials redacted)."""


class _Reading:
    """One guard (one deadline) and the proxies of the endpoints read under it."""

    def __init__(self, seconds: float | None):
        self.guard = net.Guard(seconds)
        self.proxies: dict[str, net.Proxy] = {}

    def proxy(self, endpoint: str) -> net.Proxy:
        if endpoint not in self.proxies:
            self.proxies[endpoint] = net.Proxy(self.guard, endpoint)
        return self.proxies[endpoint]

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.close()
        self.guard.close()


_READING: contextvars.ContextVar[_Reading | None] = contextvars.ContextVar("hhs_lakehouse_reading", default=None)


@contextlib.contextmanager
def reading(seconds: float | None = None) -> Iterator[None]:
    """The block in which tables are read: one fetch guard deadline (`ckanext.hhs.fetch_timeout`, or
    `seconds`) for every connection the readers open; sources from arrow_source() must be consumed in it.
    Nested blocks share the outer one."""
    if _READING.get() is not None:
        yield
        return
    scope = _Reading(seconds)
    token = _READING.set(scope)
    try:
        yield
    finally:
        _READING.reset(token)
        scope.close()


def _proxy(loc: config.Location) -> net.Proxy:
    scope = _READING.get()
    if scope is None:
        raise RuntimeError("lakehouse tables are read within readers.reading()")
    assert loc.s3 is not None
    try:
        return scope.proxy(loc.s3.endpoint)
    except net.FetchError as e:
        raise ReadError(f"The storage endpoint of {loc.s3.root} was refused: {e.public}") from e


def _checked(loc: config.Location) -> config.Location:
    """An s3 root's endpoint gets its proxy now: the guard checks the URL and the address (once)."""
    if loc.s3 is not None:
        _proxy(loc)
    return loc


def _read_options(loc: config.Location) -> dict[str, str] | None:
    """delta-rs storage options that reach the endpoint through the guard's proxy."""
    options = delta_options(loc)
    if options is not None:
        options["proxy_url"] = _proxy(loc).url
    return options


def delta_options(loc: config.Location) -> dict[str, str] | None:
    """delta-rs storage options of an s3 root, without the guard (for writers: tests, the demo seed)."""
    if loc.s3 is None:
        return None
    return {
        "AWS_ENDPOINT_URL": loc.s3.endpoint,
        "AWS_REGION": loc.s3.region,
        "AWS_ACCESS_KEY_ID": loc.s3.key_id,
        "AWS_SECRET_ACCESS_KEY": loc.s3.secret,
        "AWS_ALLOW_HTTP": "true" if loc.s3.endpoint.startswith("http://") else "false",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
        # One budget per request as the fetch guard has one per fetch; few retries.
        "timeout": f"{core_config.fetch_timeout()}s",
        "connect_timeout": "10s",
        "retry_timeout": f"{core_config.fetch_timeout()}s",
        "max_retries": "2",
    }


def _iceberg_read_properties(loc: config.Location) -> dict[str, str]:
    props = iceberg_properties(loc)
    if loc.s3 is not None:
        props["s3.proxy-uri"] = _proxy(loc).url
    return props


def iceberg_properties(loc: config.Location) -> dict[str, str]:
    """pyiceberg FileIO properties of a root, without the guard (for writers: tests, the demo seed)."""
    props = {"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"}
    if loc.s3 is not None:
        props |= {
            "s3.endpoint": loc.s3.endpoint,
            "s3.region": loc.s3.region,
            "s3.access-key-id": loc.s3.key_id,
            "s3.secret-access-key": loc.s3.secret,
            "s3.connect-timeout": "10",
            "s3.request-timeout": str(core_config.fetch_timeout()),
        }
    return props


def filesystem(loc: config.Location) -> pafs.FileSystem:
    """Arrow's filesystem of a root; an s3 one reaches its endpoint through the guard's proxy."""
    if loc.s3 is None:
        return pafs.LocalFileSystem()
    scheme, _, host = loc.s3.endpoint.partition("://")
    return pafs.S3FileSystem(
        proxy_options=_proxy(loc).url,
        access_key=loc.s3.key_id or None,
        secret_key=loc.s3.secret or None,
        region=loc.s3.region,
        endpoint_override=host.rstrip("/"),
        scheme=scheme,
        allow_bucket_creation=False,
        allow_bucket_deletion=False,
        connect_timeout=10,
        request_timeout=core_config.fetch_timeout(),
    )


def _guarded(what: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ReadError:
        raise
    except Exception as e:  # noqa: BLE001 (each library raises its own kinds; all mean "cannot read")
        message = config.redact(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)
        raise ReadError(f"{what}: {message[:500]}") from e


def read_metadata(loc: config.Location, fmt: str) -> dict[str, Any]:
    """Columns, row and file counts, size, partitioning, version and commit time of a table."""
    reader = {"delta": _delta, "iceberg": _iceberg, "parquet": _parquet}[fmt]
    with reading():
        _checked(loc)
        return _guarded(f"The {fmt} table at {loc.uri} could not be read", reader, loc)


# ---------------------------------------------------------------- Delta Lake


def _delta_type(t: Any) -> str:
    return getattr(t, "type", None) or str(t)


def _delta(loc: config.Location) -> dict[str, Any]:
    from deltalake import DeltaTable

    table = DeltaTable(loc.uri, storage_options=_read_options(loc))
    columns = [
        {"name": f.name, "type": _delta_type(f.type), "nullable": bool(f.nullable)} for f in table.schema().fields
    ]
    actions = pa.table(table.get_add_actions(flatten=True))
    rows = None
    if "num_records" in actions.column_names and actions.num_rows:
        records = actions.column("num_records")
        if records.null_count == 0:
            rows = int(pc.sum(records).as_py() or 0)
    elif actions.num_rows == 0:
        rows = 0
    committed = _delta_commit_time(loc, table.version())
    if committed is None and actions.num_rows:
        committed = _from_ms(pc.max(actions.column("modification_time").cast(pa.int64())).as_py())
    return {
        "columns": columns,
        "rows": rows,
        "files": actions.num_rows,
        "bytes": int(pc.sum(actions.column("size_bytes")).as_py() or 0) if actions.num_rows else 0,
        "partitioning": list(table.metadata().partition_columns),
        "version": str(table.version()),
        "committed": committed,
    }


def _delta_commit_time(loc: config.Location, version: int) -> str | None:
    """The commitInfo timestamp of the current version's log entry (one small file), if it is still there."""
    path = f"{loc.path.rstrip('/')}/_delta_log/{version:020d}.json"
    try:
        with filesystem(loc).open_input_stream(path) as f:
            for line in f.read().decode("utf-8").splitlines():
                if '"commitInfo"' in line:
                    return _from_ms(json.loads(line)["commitInfo"].get("timestamp"))
    except (OSError, ValueError, KeyError):
        return None
    return None


# ---------------------------------------------------------------- Apache Iceberg


def iceberg_table(loc: config.Location) -> Any:
    """The Iceberg table stored at loc: the catalog's current metadata file, or else the newest one there."""
    catalog = open_catalog(**_iceberg_read_properties(loc))
    for candidate in {loc.uri, "file://" + loc.uri} if loc.s3 is None else {loc.uri}:
        found = catalog.find_by_location(candidate)
        if found:
            return catalog.load_location(found)
    fs = filesystem(loc)
    selector = pafs.FileSelector(loc.path.rstrip("/") + "/metadata", allow_not_found=True)
    files = [f for f in fs.get_file_info(selector) if f.is_file and f.base_name.endswith(".metadata.json")]
    if not files:
        raise ReadError(f"No Iceberg table at {loc.uri}: neither the catalog nor a metadata/ folder knows it")

    def order(info: pafs.FileInfo) -> tuple[int, float]:
        number = _METADATA_FILE.match(info.base_name)
        version = int(number.group(1)) if number and number.group(1) else -1
        return version, info.mtime.timestamp() if info.mtime else 0

    newest = max(files, key=order)
    prefix = "s3://" if loc.s3 is not None else ""
    return catalog.load_location(prefix + newest.path)


def _iceberg(loc: config.Location) -> dict[str, Any]:
    table = iceberg_table(loc)
    schema = table.schema()
    columns = [{"name": f.name, "type": str(f.field_type), "nullable": not f.required} for f in schema.fields]
    snapshot = table.current_snapshot()
    summary = dict(snapshot.summary.additional_properties) if snapshot and snapshot.summary else {}
    partitioning = []
    for field in table.spec().fields:
        source = schema.find_column_name(field.source_id)
        transform = str(field.transform)
        partitioning.append(source if transform == "identity" else f"{transform}({source})")
    return {
        "columns": columns,
        "rows": int(summary.get("total-records", 0)) if snapshot else 0,
        "files": int(summary.get("total-data-files", 0)) if snapshot else 0,
        "bytes": int(summary.get("total-files-size", 0)) if snapshot else 0,
        "partitioning": partitioning,
        "version": str(snapshot.snapshot_id) if snapshot else None,
        "committed": _from_ms(snapshot.timestamp_ms if snapshot else table.metadata.last_updated_ms),
    }


# ---------------------------------------------------------------- Parquet datasets


def _parquet_files(loc: config.Location, fs: pafs.FileSystem) -> list[pafs.FileInfo]:
    info = fs.get_file_info(loc.path)
    if info.type == pafs.FileType.NotFound:
        raise ReadError(f"Nothing at {loc.uri}")
    if info.is_file:
        return [info]
    hidden = re.compile(r"(^|/)[._]")
    listed = fs.get_file_info(pafs.FileSelector(loc.path, recursive=True))
    base = loc.path.rstrip("/") + "/"
    return sorted(
        (f for f in listed if f.is_file and not hidden.search(f.path.removeprefix(base))),
        key=lambda f: f.path,
    )


def _parquet(loc: config.Location) -> dict[str, Any]:
    fs = filesystem(loc)
    files = _parquet_files(loc, fs)
    if not files:
        raise ReadError(f"No Parquet files at {loc.uri}")
    dataset = ds.dataset([f.path for f in files], filesystem=fs, format="parquet", partitioning="hive")
    # The hive partition columns come from the folder names; the schema from the first footer.
    partitioning = _hive_keys(files, loc.path)
    schema = dataset.schema
    for key in partitioning:
        if key not in schema.names:
            schema = schema.append(pa.field(key, pa.string()))
    rows = 0
    for f in files:
        with fs.open_input_file(f.path) as handle:
            rows += pq.ParquetFile(handle).metadata.num_rows
    newest = max((f.mtime for f in files if f.mtime), default=None)
    return {
        "columns": [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema],
        "rows": rows,
        "files": len(files),
        "bytes": sum(f.size or 0 for f in files),
        "partitioning": partitioning,
        "version": None,
        "committed": newest.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat() if newest else None,
    }


def _hive_keys(files: list[pafs.FileInfo], base: str) -> list[str]:
    keys: list[str] = []
    for f in files[:1]:
        for part in f.path.removeprefix(base.rstrip("/") + "/").split("/")[:-1]:
            if "=" in part:
                keys.append(part.split("=", 1)[0])
    return keys


def _parquet_dataset(loc: config.Location) -> ds.Dataset:
    fs = filesystem(loc)
    return ds.dataset([f.path for f in _parquet_files(loc, fs)], filesystem=fs, format="parquet", partitioning="hive")


# ---------------------------------------------------------------- data, for previews and queries


def arrow_source(loc: config.Location, fmt: str, limit: int | None = None, scan: Any = None) -> Any:
    """Something DuckDB scans: a lazy pyarrow dataset (Delta, Parquet; DuckDB pushes its projection and
    filters into it) or an Arrow table (Iceberg), read with what `scan` (query.ScanHints) says the query
    needs: its columns, the WHERE conjuncts Iceberg can prune files and rows by, and a row cap."""
    _checked(loc)

    def build() -> Any:
        if fmt == "delta":
            from deltalake import DeltaTable

            return DeltaTable(loc.uri, storage_options=_read_options(loc)).to_pyarrow_dataset()
        if fmt == "iceberg":
            return _iceberg_scan(iceberg_table(loc), limit, scan)
        return _parquet_dataset(loc)

    return _guarded(f"The {fmt} table at {loc.uri} could not be read", build)


def _iceberg_scan(table: Any, limit: int | None, hints: Any) -> pa.Table:
    from pyiceberg import expressions as ie

    if hints is None:
        return table.scan(limit=limit).to_arrow()
    names = {f.name.lower(): f.name for f in table.schema().fields}
    selected: tuple[str, ...] = ("*",)
    if hints.columns is not None:
        wanted = [names[c.lower()] for c in hints.columns if c.lower() in names]
        selected = tuple(wanted) or (table.schema().fields[0].name,)
    ops = {
        "=": ie.EqualTo,
        "!=": ie.NotEqualTo,
        ">": ie.GreaterThan,
        ">=": ie.GreaterThanOrEqual,
        "<": ie.LessThan,
        "<=": ie.LessThanOrEqual,
    }
    conditions: list[Any] = []
    for column, op, value in hints.filters:
        name = names.get(column.lower())
        if name is None:
            continue
        if op == "is null":
            conditions.append(ie.IsNull(name))
        elif op == "not null":
            conditions.append(ie.NotNull(name))
        elif op == "in":
            conditions.append(ie.In(name, set(value)))
        else:
            conditions.append(ops[op](name, value))
    cap = min(x for x in (limit, hints.limit) if x is not None) if limit or hints.limit else None
    row_filter: Any = ie.AlwaysTrue()
    for condition in conditions:
        row_filter = ie.And(row_filter, condition)
    try:
        return table.scan(row_filter=row_filter, selected_fields=selected, limit=cap).to_arrow()
    except (ValueError, TypeError) as e:  # a literal the column's type cannot take: DuckDB filters instead
        if not conditions:
            raise
        log.info("Iceberg filter not pushed down (%s); the scan reads without it", e)
        return table.scan(selected_fields=selected, limit=cap if not hints.filters else None).to_arrow()


def jsonable(table: pa.Table) -> list[list[Any]]:
    """Rows as JSON-ready lists (dates, decimals and bytes as text)."""
    return [[_plain(v) for v in row.values()] for row in table.to_pylist()]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)


def _from_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).replace(tzinfo=None).isoformat()
