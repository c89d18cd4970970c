"""Duplicate scan benchmark: a full scan of a catalog, then an incremental rescan after 1% of its datasets
changed, then rescans with the change undone and with no change; minutes and peak memory of each.

    .venv/bin/python benchmarks/duplicates.py [--ini var/bench.ini] [--fill 20000] [--changed 0.01] [--out FILE]

By default it runs on the benchmark database as it is (var/bench.ini: ckan_bench). It deletes no dataset
and touches no Solr core: it applies the hhs_governance migrations, empties only the duplicate scan's own
tables, and for the incremental run changes the titles of 1% of the datasets with SQL and puts them back
afterwards. `--fill N` first adds CMS's catalog scaled to N datasets (as benchmarks/harvest.py scales it)
with SQL, spread over five benchmark divisions (the copies of one CMS record stay in one division) plus
1% republished by another division under a changed title: use it only on a database of your own. Each
scan is `ckan hhs governance duplicates scan` in a child process; its peak memory is the child's
maximum resident set size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CKAN = os.path.join(ROOT, ".venv", "bin", "ckan")
BENCH_INI = os.path.join(ROOT, "var", "bench.ini")
INI = os.path.join(ROOT, "var", "bench-duplicates.ini")
CMS = os.path.join(ROOT, "ckanext", "hhs", "data", "demo", "cms-data.json")
DIVISIONS = ("dupbench-a", "dupbench-b", "dupbench-c", "dupbench-d", "dupbench-e")
TABLES = ("hhs_governance_duplicate_pair", "hhs_governance_duplicate_dataset", "hhs_governance_duplicate_run")
SUFFIX = " (revised for the duplicate benchmark)"


def _ini_value(ini: str, key: str) -> str | None:
    with open(ini, encoding="utf-8") as f:
        for line in f:
            if line.strip().startswith(key) and "=" in line:
                return line.split("=", 1)[1].strip()
    return None


def _write_ini(base: str) -> None:
    lines = ["[app:main]", f"use = config:{base}"]
    plugins = _ini_value(base, "ckan.plugins")
    if plugins and "hhs_governance" not in plugins.split():
        lines.append(f"ckan.plugins = {plugins} hhs_governance")
    with open(base, encoding="utf-8") as f:
        text = f.read()
    # The logging sections are not inherited through `use`.
    with open(INI, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n" + (text[text.index("[loggers]") :] if "[loggers]" in text else ""))


def _fill(engine: sa.Engine, n: int) -> None:
    """CMS's catalog scaled to n datasets in the benchmark divisions, and 1% of them copied by another."""
    with open(CMS, encoding="utf-8") as f:
        cms = json.load(f)["dataset"]
    with engine.begin() as db:
        have = db.execute(sa.text("SELECT count(*) FROM package WHERE name LIKE 'dupbench-%'")).scalar()
        if have >= n:
            return
        orgs = {}
        for name in DIVISIONS:
            orgs[name] = db.execute(sa.text('SELECT id FROM "group" WHERE name = :n'), {"n": name}).scalar()
            if orgs[name] is None:
                orgs[name] = str(uuid.uuid4())
                db.execute(
                    sa.text(
                        'INSERT INTO "group" (id, name, title, type, is_organization, state, approval_status) '
                        "VALUES (:id, :name, :name, 'organization', true, 'active', 'approved')"
                    ),
                    {"id": orgs[name], "name": name},
                )
        packages, extras, resources = [], [], []
        copies = max(1, n // 100)
        for i in range(n):
            record = cms[i % len(cms)]
            copy_no = i // len(cms)
            title = record["title"] + (f" (copy {copy_no})" if copy_no else "")
            division = DIVISIONS[(i % len(cms)) % len(DIVISIONS)]
            republished = i >= n - copies
            if republished:  # another division's copy of dataset i - n + copies, its title changed
                record = cms[(i - n + copies) % len(cms)]
                title = "Copy kept by another division: " + record["title"]
                division = DIVISIONS[((i - n + copies) % len(cms) + 1) % len(DIVISIONS)]
            pid = str(uuid.uuid4())
            packages.append(
                {
                    "id": pid,
                    "name": f"dupbench-{i}",
                    "title": title,
                    "notes": record.get("description", ""),
                    "url": record.get("landingPage"),
                    "org": orgs[division],
                }
            )
            extras.append({"id": str(uuid.uuid4()), "pid": pid, "value": f"{record['identifier']}-{i}"})
            for d in record.get("distribution", [])[:3]:
                url = d.get("downloadURL") or d.get("accessURL")
                if url:
                    resources.append({"id": str(uuid.uuid4()), "pid": pid, "url": url})
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        db.execute(
            sa.text(
                "INSERT INTO package (id, name, title, notes, url, owner_org, type, state, private, "
                "metadata_created, metadata_modified) VALUES (:id, :name, :title, :notes, :url, :org, 'dataset', "
                "'active', false, :now, :now)"
            ),
            [{**p, "now": now} for p in packages],
        )
        db.execute(
            sa.text(
                "INSERT INTO package_extra (id, package_id, key, value, state) "
                "VALUES (:id, :pid, 'identifier', :value, 'active')"
            ),
            extras,
        )
        db.execute(
            sa.text(
                "INSERT INTO resource (id, package_id, url, state, position) VALUES (:id, :pid, :url, 'active', 0)"
            ),
            resources,
        )


def _scan(label: str, *args: str) -> dict:
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [CKAN, "-c", INI, "hhs", "governance", "duplicates", "scan", *args], stdout=out, stderr=err
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak resident set, not the largest so far
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak = usage.ru_maxrss / 1024
    if child.returncode:
        print(stdout[-2000:], stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"{label}: the scan failed")
    summary = stdout.strip().splitlines()[-1]
    print(f"{label}: {seconds:.1f} s, peak RSS {peak:.0f} MB\n  {summary}", flush=True)
    return {"label": label, "seconds": seconds, "peak_mb": peak, "summary": summary}


def _ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ini", default=BENCH_INI, help="the CKAN ini of the database (default var/bench.ini)")
    parser.add_argument("--fill", type=int, default=0, help="first add this many benchmark datasets (own DB only)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of datasets changed (default 0.01)")
    parser.add_argument("--rescans-only", action="store_true", help="keep the last full scan, run the rescans")
    parser.add_argument("--out", help="write the results to this file too")
    args = parser.parse_args()
    _write_ini(os.path.abspath(args.ini))
    subprocess.run([CKAN, "-c", INI, "db", "upgrade", "-p", "hhs_governance"], check=True, capture_output=True)
    engine = sa.create_engine(_ini_value(args.ini, "sqlalchemy.url") or _ini_value(BENCH_INI, "sqlalchemy.url"))
    if args.fill:
        _fill(engine, args.fill)
    with engine.begin() as db:
        for table in TABLES if not args.rescans_only else ():
            db.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 (our own table names)
        datasets, divisions, titles, descriptions = db.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT owner_org), count(DISTINCT title), count(DISTINCT notes) "
                "FROM package WHERE state = 'active' AND type = 'dataset'"
            )
        ).one()
    load_before = os.getloadavg()
    print(f"{datasets} datasets in {divisions} divisions ({titles} distinct titles, {descriptions} descriptions)")
    results = [] if args.rescans_only else [_scan("full scan", "--full")]
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
