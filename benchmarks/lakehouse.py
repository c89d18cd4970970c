"""Lakehouse metadata refresh: a Delta table with 1,000 files and an Iceberg table with 1,000 data files.

Writes both tables (twice: small and 100x larger files, the same file count; the Delta table also as
1,000 one-file commits, as tables usually grow) under var/bench-lakehouse,
then reads each table's metadata with the readers the refresh job uses, each read in a fresh process,
and reports seconds and peak memory (the reading process's peak RSS, and how much the read added to
what it held after its imports), so
one can see that memory follows the number of files, not the size of the data.

The Iceberg table is kept in the portal's SQL catalog layout, here on a SQLite file (the benchmark needs
no CKAN database); the reader looks it up there exactly as on PostgreSQL.

    .venv/bin/python benchmarks/lakehouse.py [--files 1000] [--rows-per-file 10 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "var", "bench-lakehouse")
sys.path.insert(0, ROOT)


def _setup_catalog(db: str) -> None:
    """CKAN's config keys and engine the catalog reads, outside a CKAN app."""
    import sqlalchemy as sa

    import ckan.model as model
    import ckan.plugins.toolkit as tk

    from ckanext.hhs.lakehouse.model import ICEBERG_NAMESPACES, ICEBERG_TABLES

    tk.config["ckanext.hhs.lakehouse.iceberg_catalog"] = "hhs"
    tk.config["ckanext.hhs.fetch_timeout"] = "600"  # the fetch guard's deadline of a read
    model.meta.engine = sa.create_engine(f"sqlite:///{db}")
    for table in (ICEBERG_TABLES, ICEBERG_NAMESPACES):
        table.create(model.meta.engine, checkfirst=True)


def write(files: int, rows_per_file: int) -> dict[str, str]:
    import pyarrow as pa
    from deltalake import write_deltalake

    from ckanext.hhs.lakehouse.catalog import open_catalog

    base = os.path.join(WORK, f"{files}x{rows_per_file}")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    n = files * rows_per_file
    table = pa.table(
        {
            "part": pa.array([i % files for i in range(n)], pa.int32()),
            "state_fips": pa.array([f"{i % 56:02d}" for i in range(n)]),
            "value": pa.array(range(n), pa.int64()),
            "note": pa.array(["synthetic row " * 4] * n),
        }
    )
    delta = os.path.join(base, "delta")
    write_deltalake(delta, table, partition_by=["part"])
    # The same files as tables usually grow: one commit each, so the reader replays 1,000 log entries.
    commits = os.path.join(base, "delta-commits")
    for part in range(files):
        write_deltalake(commits, table.slice(part * rows_per_file, rows_per_file), mode="append")
    db = os.path.join(base, "catalog.sqlite")
    _setup_catalog(db)
    catalog = open_catalog(**{"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO"})
    catalog.create_namespace("bench")
    iceberg = os.path.join(base, "iceberg")
    created = catalog.create_table("bench.t", schema=table.schema, location="file://" + iceberg)
    with created.update_spec() as update:
        update.add_identity("part")
    created = catalog.load_table("bench.t")
    created.append(table)
    return {"delta": delta, "delta-commits": commits, "iceberg": iceberg, "db": db, "rows": str(n)}


def _vm(field: str) -> int:
    """A memory figure of this process in kB, from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def measure(fmt: str, path: str, db: str) -> dict:
    """Runs in a child process: one metadata read."""
    import deltalake  # noqa: F401 (imports counted in the baseline, not in the read)
    import pyiceberg.io.pyarrow  # noqa: F401

    import ckan.plugins.toolkit as tk  # noqa: F401

    from ckanext.hhs.lakehouse import config, readers

    _setup_catalog(db)
    # ru_maxrss survives exec (it would report the writer's peak): read this process's own high-water
    # mark (VmHWM), reset after the imports so it covers the read alone.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    baseline = _vm("VmRSS")
    started = time.perf_counter()
    meta = readers.read_metadata(config.Location(uri=path, scheme="file"), fmt)
    seconds = time.perf_counter() - started
    peak = _vm("VmHWM")
    return {
        "format": fmt,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak / 1024, 1),
        "added_mb": round((peak - baseline) / 1024, 1),
        "files": meta["files"],
        "rows": meta["rows"],
        "bytes": meta["bytes"],
    }


# Queries over the Iceberg table as `hhs_lakehouse_query` runs them, read whole (before: the reader
# scanned the whole table into memory for every query) and with what the query needs pushed into the scan.
QUERIES = (
    "select value from t where part = 7",
    "select count(*) as n from t where state_fips = '06'",
    "select * from t",
    "select state_fips, sum(value) as total from t group by state_fips",
)


def measure_query(path: str, db: str, sql: str, pushdown: str) -> dict:
    """Runs in a child process: one query over the Iceberg table."""
    import pyiceberg.io.pyarrow  # noqa: F401

    import ckan.plugins.toolkit as tk  # noqa: F401

    from ckanext.hhs.lakehouse import config, query, readers

    _setup_catalog(db)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    baseline = _vm("VmRSS")
    started = time.perf_counter()
    loc = config.Location(uri=path, scheme="file")
    with readers.reading(600):
        hints = query.scan_hints(sql, "t", 1000) if pushdown == "1" else None
        source = readers.arrow_source(loc, "iceberg", scan=hints)
        read = source.num_rows
        result = query.run(sql, {"t": source}, 1000, 600, "2GB")
    seconds = time.perf_counter() - started
    peak = _vm("VmHWM")
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak / 1024, 1),
        "added_mb": round((peak - baseline) / 1024, 1),
        "rows_read": read,
        "rows": len(result.rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rows-per-file", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "PATH", "DB"))
    parser.add_argument("--child-query", nargs=4, metavar=("PATH", "DB", "SQL", "PUSHDOWN"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    if args.child_query:
        print(json.dumps(measure_query(*args.child_query)))
        return
    lines = [f"Lakehouse metadata refresh benchmark, {dt.date.today().isoformat()}, {os.cpu_count()} cores"]
    for rows_per_file in args.rows_per_file:
        started = time.perf_counter()
        written = write(args.files, rows_per_file)
        lines.append(
            f"\n{args.files} files x {rows_per_file} rows ({int(written['rows']):,} rows), "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        for name in ("delta", "delta-commits", "iceberg"):
            fmt = name.split("-")[0]
            out = subprocess.run(
                [sys.executable, __file__, "--child", fmt, written[name], written["db"]],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            lines.append(
                f"  {name:14} {r['seconds']:7.3f} s  peak RSS {r['peak_rss_mb']:7.1f} MB "
                f"(+{r['added_mb']:.1f} MB for the read)  files {r['files']}  rows {r['rows']:,}  "
                f"{r['bytes'] / 1e6:.1f} MB on disk"
            )
        lines.append("  Iceberg queries (whole table read / only what the query needs):")
        for sql in QUERIES:
            runs = []
            for pushdown in ("0", "1"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child-query", written["iceberg"], written["db"], sql, pushdown],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            before, after = runs
            lines.append(
                f"    {sql}\n      {before['seconds']:.3f} s -> {after['seconds']:.3f} s, "
                f"+{before['added_mb']:.1f} MB -> +{after['added_mb']:.1f} MB, "
                f"rows read {before['rows_read']:,} -> {after['rows_read']:,}, result rows {after['rows']}"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
