"""Harvest benchmark: CMS's data.json scaled to N datasets, served on 127.0.0.1, harvested by the
`hhs_datajson` harvester through ckanext-harvest's real queues (a gather consumer and two fetch
consumers on Redis, as the demo runs them).

    .venv/bin/python benchmarks/harvest.py [--datasets 10000] [--fetch-consumers 2] [--search-by-meaning off]
                                           [--name NAME --redis-db N]

It uses a database, Solr core and Redis database of its own (ckan_bench, db 2; with --name,
ckan_bench_NAME, made from ckan_bench's Solr conf when missing), which it resets, and reports datasets
per second for a first harvest, a no-change re-harvest and a 10% changed re-harvest, with the
re-harvests as ratios of the first one measured in the same run. Search by meaning is on (issue #29's
target is the harvest rate with it on): during the harvests the index hook only queues the vectors,
no job worker runs; after them the embedding job runs in one process, and the report says how long
until every dataset had its vector (searchable by keyword at once, by meaning that long after).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import http.server
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CKAN = os.path.join(ROOT, ".venv", "bin", "ckan")
CMS = os.path.join(ROOT, "ckanext", "hhs", "data", "demo", "cms-data.json")


def scaled_catalog(n: int) -> dict:
    """CMS's catalog repeated to n records, each with its own identifier and title."""
    with open(CMS, encoding="utf-8") as f:
        cms = json.load(f)
    records = []
    for i in range(n):
        record = copy.deepcopy(cms["dataset"][i % len(cms["dataset"])])
        copy_no = i // len(cms["dataset"])
        if copy_no:
            record["identifier"] = f"{record['identifier']}-copy-{copy_no}"
            record["title"] = f"{record['title']} (copy {copy_no})"
        records.append(record)
    return {**cms, "dataset": records}


class Served:
    body = b"{}"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(Served.body)))
        self.end_headers()
        self.wfile.write(Served.body)

    def log_message(self, *args):
        pass


# As the demo portal runs: Solr makes changes visible by its own soft commit each second
# (solr/conf/solrconfig.xml), so CKAN need not commit after every dataset; no default resource views.
PORTAL_SETTINGS = ["ckan.search.solr_commit=false", "ckan.views.default_views="]
BENCH_SERVICES = [
    "sqlalchemy.url=postgresql://ckan_default:pass@127.0.0.1/ckan_bench",
    "solr_url=http://127.0.0.1:8983/solr/ckan_bench",
    "ckan.redis.url=redis://127.0.0.1:6379/2",
    "ckan.site_id=hhs_bench",
    # CMS records average 29 distributions: 20,000 of them make a catalog over the 200 MB default cap.
    "ckanext.hhs.max_fetch_bytes=1073741824",
]


@contextlib.contextmanager
def web(ini: str, port: int):
    """A CKAN web process (`ckan run`) on 127.0.0.1:port for the benchmarks that read pages."""
    process = subprocess.Popen(
        [CKAN, "-c", ini, "run", "--host", "127.0.0.1", "--port", str(port), "--disable-reloader"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=2)
                break
            except OSError:
                time.sleep(1)
        yield process
    finally:
        process.terminate()
        process.wait()


def bench_ini(allowed_hosts: str = "", search_by_meaning: bool = False, name: str = "", redis_db: int = 2) -> str:
    """The benchmarks' ini: test.ini on the ckan_bench services (ckan_bench_<name>'s with a name);
    `allowed_hosts` host:port pairs may be fetched."""
    path = os.path.join(ROOT, "var", f"bench-{name}.ini" if name else "bench.ini")
    subprocess.run(["cp", os.path.join(ROOT, "test.ini"), path], check=True)
    services = BENCH_SERVICES
    if name:
        services = [
            f"sqlalchemy.url={own_database(f'ckan_bench_{name}')}",
            f"solr_url={own_core(f'ckan_bench_{name}')}",
            f"ckan.redis.url=redis://127.0.0.1:6379/{redis_db}",
            f"ckan.site_id=hhs_bench_{name}",
            *[s for s in BENCH_SERVICES if s.startswith("ckanext.hhs.max_fetch_bytes=")],
        ]
    subprocess.run(
        [
            CKAN,
            "config-tool",
            path,
            f"ckanext.hhs.allowed_private_hosts={allowed_hosts}",
            f"ckanext.hhs.search.enabled={'true' if search_by_meaning else 'false'}",
            *PORTAL_SETTINGS,
            *services,
            f"ckan.storage_path={ROOT}/var/test-storage",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return path


def own_database(name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine("postgresql://ckan_default:pass@127.0.0.1/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'utf-8' TEMPLATE template0"))
    engine.dispose()
    return f"postgresql://ckan_default:pass@127.0.0.1/{name}"


def own_core(name: str) -> str:
    """A Solr core beside ckan_bench, made from a copy of its conf/ (which has the vector field)."""
    import pathlib
    import shutil

    import requests

    solr = "http://127.0.0.1:8983/solr"
    status = requests.get(f"{solr}/admin/cores", params={"action": "STATUS"}, timeout=30).json()["status"]
    if name not in status:
        source = pathlib.Path(status["ckan_bench"]["instanceDir"])
        target = source.parent / name
        if not (target / "conf").exists():
            shutil.copytree(source / "conf", target / "conf")
        requests.get(
            f"{solr}/admin/cores", params={"action": "CREATE", "name": name, "instanceDir": str(target)}, timeout=120
        ).raise_for_status()
    return f"{solr}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--fetch-consumers", type=int, default=2)
    parser.add_argument("--search-by-meaning", choices=("on", "off"), default="on")
    parser.add_argument("--name", default="", help="use ckan_bench_NAME (database and Solr core), not ckan_bench")
    parser.add_argument("--redis-db", type=int, default=2)
    args = parser.parse_args()

    subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "services"], check=True, stdout=subprocess.DEVNULL)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/data.json"
    ini = bench_ini(
        allowed_hosts=f"127.0.0.1:{httpd.server_address[1]}",
        search_by_meaning=args.search_by_meaning == "on",
        name=args.name,
        redis_db=args.redis_db,
    )
    ckan = [CKAN, "-c", ini]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    print(f"Resetting the benchmark database and index; seeding divisions ({args.datasets} datasets to harvest)")
    subprocess.run([*ckan, "db", "clean", "--yes"], check=True, **quiet)
    subprocess.run([*ckan, "db", "init"], check=True, **quiet)
    subprocess.run([*ckan, "search-index", "clear"], check=True, **quiet)
    subprocess.run([*ckan, "hhs", "seed-divisions"], check=True, **quiet)
    import redis

    redis.Redis(db=args.redis_db).flushdb()  # no vectors pending, no job queued from an earlier run
    print(f"search by meaning {args.search_by_meaning}; load average {os.getloadavg()[0]:.2f} at the start")

    catalog = scaled_catalog(args.datasets)
    Served.body = json.dumps(catalog).encode()

    # The benchmark talks to CKAN in process, like `ckan shell`.
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    logging.disable(logging.INFO)  # CKAN's debug log would drown the report
    with app._wsgi_app.test_request_context():
        run_benchmark(ckan, url, catalog, args)


def run_benchmark(ckan: list[str], url: str, catalog: dict, args: argparse.Namespace) -> None:
    import ckan.model as model
    import ckan.plugins.toolkit as tk

    context = lambda: {"user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}  # noqa: E731
    source = tk.get_action("harvest_source_create")(
        context(),
        {"name": "bench", "title": "Benchmark", "url": url, "source_type": "hhs_datajson", "owner_org": "cms"},
    )
    log = open(os.path.join(ROOT, "var", "log", "bench-harvest.log"), "w")  # noqa: SIM115 (closed below)
    workers = [subprocess.Popen([*ckan, "harvester", "gather-consumer"], stdout=log, stderr=log)]
    workers += [
        subprocess.Popen([*ckan, "harvester", "fetch-consumer"], stdout=log, stderr=log)
        for _ in range(args.fetch_consumers)
    ]
    try:
        time.sleep(3)
        results = []
        for label, change in (
            ("first harvest", None),
            ("no-change re-harvest", None),
            ("10% changed re-harvest", 0.10),
        ):
            if change:
                for record in catalog["dataset"][:: int(1 / change)]:
                    record["description"] += " (revised)"
                Served.body = json.dumps(catalog).encode()
            seconds, stats = harvest_once(tk, model, context, source["id"])
            rate = len(catalog["dataset"]) / seconds
            results.append((label, seconds, rate, stats))
            print(f"{label:24} {seconds:8.1f} s  {rate:8.1f} datasets/s  {stats}", flush=True)
            if stats["errored"]:
                sys.exit(f"The {label} reported errors; see var/log/bench-harvest.log")
        count = tk.get_action("package_search")(context(), {"fq": "organization:cms +dataset_type:dataset", "rows": 0})[
            "count"
        ]
        first = results[0][1]
        print(f"\n{len(catalog['dataset'])} records, {count} datasets in the division after all runs")
        for label, seconds, _rate, _stats in results[1:]:
            print(f"{label}: {first / seconds:.1f}x faster than the first harvest")
    finally:
        for w in workers:
            w.terminate()
        log.close()
    if args.search_by_meaning == "on":
        vectors_after(tk, model, count)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


def vectors_after(tk, model, count: int) -> None:
    """The embedding job the index hook queued, run now in this process (one job worker): how long until
    every dataset of the division has its vector."""
    from ckanext.hhs.search import jobs
    from ckanext.hhs.search.model import Vector

    started = time.monotonic()
    embedded = jobs.embed_pending()
    spent = time.monotonic() - started
    with_vector = (
        model.Session.query(Vector)
        .join(model.Package, model.Package.id == Vector.package_id)
        .filter(model.Package.type == "dataset", model.Package.state == "active")
        .count()
    )
    print(
        f"vectors: the embedding job (one process, after the harvests) embedded {embedded} texts in {spent:.0f} s "
        f"({embedded / max(spent, 1e-9):.1f}/s); {with_vector} of {count} datasets have a vector",
        flush=True,
    )


def harvest_once(tk, model, context, source_id: str) -> tuple[float, dict]:
    started = time.monotonic()
    job = tk.get_action("harvest_job_create")(context(), {"source_id": source_id, "run": True})
    while True:
        time.sleep(1)
        tk.get_action("harvest_jobs_run")(context(), {"source_id": source_id})
        model.Session.remove()
        shown = tk.get_action("harvest_job_show")(context(), {"id": job["id"]})
        if shown["status"] == "Finished":
            return time.monotonic() - started, shown["stats"]


if __name__ == "__main__":
    sys.exit(main())
