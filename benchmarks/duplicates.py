"""Duplicate scan benchmark: a full scan of the benchmark catalog, then an incremental rescan after 1% of
its datasets changed, then a rescan with no change; minutes and peak memory of each.

    .venv/bin/python benchmarks/duplicates.py [--changed 0.01] [--out FILE]

It runs on the benchmark database as it is (var/bench.ini: ckan_bench, filled by benchmarks/harvest.py or
an import of CMS's catalog scaled to 20,000 records). It deletes no dataset and touches no Solr core: it
applies the hhs_governance migrations, empties only the duplicate scan's own tables, and for the
incremental run changes the titles of 1% of the datasets with SQL and puts them back afterwards. Each
scan is `ckan hhs governance duplicates scan` in a child process; its peak memory is the child's
maximum resident set size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import time

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CKAN = os.path.join(ROOT, ".venv", "bin", "ckan")
BENCH_INI = os.path.join(ROOT, "var", "bench.ini")
INI = os.path.join(ROOT, "var", "bench-duplicates.ini")
TABLES = ("hhs_governance_duplicate_pair", "hhs_governance_duplicate_dataset", "hhs_governance_duplicate_run")
SUFFIX = " (revised for the duplicate benchmark)"


def _plugins() -> str:
    with open(BENCH_INI, encoding="utf-8") as f:
        for line in f:
            if line.strip().startswith("ckan.plugins"):
                return line.split("=", 1)[1].strip()
    raise SystemExit("var/bench.ini has no ckan.plugins line")


def _write_ini() -> None:
    plugins = _plugins()
    if "hhs_governance" not in plugins.split():
        plugins += " hhs_governance"
    with open(INI, "w", encoding="utf-8") as f:
        f.write(f"[app:main]\nuse = config:{BENCH_INI}\nckan.plugins = {plugins}\n")
        with open(BENCH_INI, encoding="utf-8") as bench:
            text = bench.read()
        # The logging sections are not inherited through `use`.
        f.write(text[text.index("[loggers]") :] if "[loggers]" in text else "")


def _url() -> str:
    with open(BENCH_INI, encoding="utf-8") as f:
        for line in f:
            if line.strip().startswith("sqlalchemy.url"):
                return line.split("=", 1)[1].strip()
    raise SystemExit("var/bench.ini has no sqlalchemy.url line")


def _scan(label: str, *args: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    done = subprocess.run(
        [CKAN, "-c", INI, "hhs", "governance", "duplicates", "scan", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"{label}: the scan failed")
    summary = done.stdout.strip().splitlines()[-1]
    print(f"{label}: {seconds:.1f} s, peak RSS {peak / 1024:.0f} MB (max so far: {max(peak, before) / 1024:.0f} MB)")
    print(f"  {summary}", flush=True)
    return {"label": label, "seconds": seconds, "peak_mb": peak / 1024, "summary": summary}


def _ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed", type=float, default=0.01, help="share of datasets changed (default 0.01)")
    parser.add_argument("--out", help="write the results to this file too")
    args = parser.parse_args()
    _write_ini()
    subprocess.run([CKAN, "-c", INI, "db", "upgrade", "-p", "hhs_governance"], check=True, capture_output=True)
    engine = sa.create_engine(_url())
    with engine.begin() as db:
        for table in TABLES:
            db.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 (our own table names)
        datasets, divisions, titles, descriptions = db.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT owner_org), count(DISTINCT title), count(DISTINCT notes) "
                "FROM package WHERE state = 'active' AND type = 'dataset'"
            )
        ).one()
    load_before = os.getloadavg()
    print(f"{datasets} datasets in {divisions} divisions ({titles} distinct titles, {descriptions} descriptions)")
    results = [_scan("full scan", "--full")]
    n_changed = max(1, round(datasets * args.changed))
    with engine.begin() as db:
        changed = db.execute(
            sa.text(
                "SELECT id, title FROM package WHERE state = 'active' AND type = 'dataset' ORDER BY md5(id) LIMIT :n"
            ),
            {"n": n_changed},
        ).all()
        db.execute(
            sa.text("UPDATE package SET title = title || :suffix WHERE id = :id"),
            [{"id": pid, "suffix": SUFFIX} for pid, _ in changed],
        )
    try:
        results.append(_scan(f"incremental rescan, {len(changed)} datasets changed"))
    finally:
        with engine.begin() as db:
            db.execute(
                sa.text("UPDATE package SET title = :title WHERE id = :id"),
                [{"id": pid, "title": title} for pid, title in changed],
            )
    results.append(_scan("incremental rescan, the titles put back"))
    results.append(_scan("rescan, nothing changed"))
    load_after = os.getloadavg()
    lines = [
        f"Duplicate scan benchmark, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"{_ram_gb():.0f} GB RAM, Python {platform.python_version()}",
        f"load average (1, 5, 15 min) before: {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, "
        f"after: {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f} (the machine is shared)",
        f"catalog: {datasets} datasets in {divisions} divisions, {titles} distinct titles, {descriptions} distinct "
        "descriptions (each distinct text is embedded once)",
        "",
        *(
            f"{r['label']}: {r['seconds'] / 60:.2f} min ({r['seconds']:.1f} s), "
            f"peak RSS {r['peak_mb']:.0f} MB\n  {r['summary']}"
            for r in results
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
