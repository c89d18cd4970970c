"""Search by meaning at scale (#29): package_search latency at 20,000 datasets, index time per dataset with
and without vectors, the embedding job's time per dataset, and harvest throughput with search by meaning on.
Every figure is given beside a baseline measured in the same run (CKAN's keyword search, or the same work
with search by meaning off), as a ratio: the machines are shared and noisy.

    .venv/bin/python benchmarks/search_scale.py [--name h6] [--datasets 20000] [--harvest 2000] [--rounds 3]

It uses a PostgreSQL database, Solr core (made from a copy of ckan_bench's conf/, which has the vector
field) and Redis database of its own (`ckan_bench_<name>`; Redis db 26), and resets them. Steps:

1. The demo's CMS catalog (139 datasets) imported with `ckan hhs import-catalog`, once with search by
   meaning off and once on (the index hook then adds the dataset's words and queues its text): seconds per
   dataset, on / off.
2. The embedding job (`jobs.embed_pending`, in the foreground): seconds per dataset (embed + index again).
3. Indexing the catalog again (`search.rebuild`) with search by meaning off and on (the stored vector put
   into each document), interleaved: seconds per dataset, on / off.
4. The catalog scaled up to `--datasets` in Solr: copies of the 139 indexed documents (new ids and names,
   titles "... (copy n)", vectors of the original with a little noise, renormalised; the copies' unused
   `data_dict` left out, as package_search returns `validated_data_dict`). Then the judged questions of
   benchmarks/search.py asked as an anonymous user (rows=10, facets on), keyword-only and hybrid
   interleaved: p50 / p95 and the hybrid / keyword ratio; and `hhs_search_suggest` on the same questions.
5. With `--harvest N`: the CMS catalog scaled to N records (benchmarks/harvest.py's) harvested through
   ckanext-harvest's queues (a gather and two fetch consumers) into an empty division, once with search by
   meaning off and once on (no job worker during the harvest), datasets per second, on / off; then the
   embedding job in the foreground: how long until every dataset has its vector.

Results are written to benchmarks/results/search-scale-<date>.txt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harvest as harvest_bench  # noqa: E402 (benchmarks/ is no package)
import search as search_bench  # noqa: E402

CKAN = os.path.join(ROOT, ".venv", "bin", "ckan")
SOLR = "http://127.0.0.1:8983/solr"
REDIS_DB = 26
QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def percentile(values: list[float], p: float) -> float:
    return search_bench.percentile(values, p)


def own_core(name: str) -> str:
    """harvest.py's own core, which must have the vector field."""
    url = harvest_bench.own_core(name)
    fields = requests.get(f"{SOLR}/{name}/schema/fields/hhs_vector", timeout=30)
    if fields.status_code != 200:
        sys.exit(f"Solr core {name} has no hhs_vector field: run `ckan hhs search solr-schema` on its schema.xml")
    return url


def write_ini(name: str, search_on: bool, allowed_hosts: str = "") -> str:
    path = os.path.join(ROOT, "var", f"bench-search-scale-{name}.ini")
    if not os.path.exists(path):
        shutil.copy(os.path.join(ROOT, "test.ini"), path)
    settings = [
        f"sqlalchemy.url={harvest_bench.own_database(f'ckan_bench_{name}')}",
        f"solr_url={own_core(f'ckan_bench_{name}')}",
        f"ckan.redis.url=redis://127.0.0.1:6379/{REDIS_DB}",
        f"ckan.site_id=hhs_bench_scale_{name}",
        f"ckan.storage_path={ROOT}/var/bench-search-scale-storage",
        f"ckanext.hhs.search.enabled={'true' if search_on else 'false'}",
        f"ckanext.hhs.allowed_private_hosts={allowed_hosts}",
        "ckanext.hhs.max_fetch_bytes=1073741824",
        *harvest_bench.PORTAL_SETTINGS,
    ]
    subprocess.run([CKAN, "config-tool", path, *settings], check=True, stdout=subprocess.DEVNULL)
    return path


def reset(ini: str) -> None:
    ckan = [CKAN, "-c", ini]
    for step in (["db", "clean", "--yes"], ["db", "init"], ["search-index", "clear"], ["hhs", "seed-divisions"]):
        subprocess.run([*ckan, *step], check=True, **QUIET)
    subprocess.run([*ckan, "hhs", "glossary", "import", search_bench.GLOSSARY], check=True, **QUIET)
    import redis

    redis.Redis(db=REDIS_DB).flushdb()


def timed_import(ini: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [CKAN, "-c", ini, "hhs", "import-catalog", search_bench.CATALOG, "--division", "cms"], check=True, **QUIET
    )
    return time.monotonic() - started


def scale_up(core_url: str, site_id: str, target: int) -> int:
    """Copies of the indexed documents until the core holds `target` of this site's datasets."""
    import ckan.model as model

    from ckanext.hhs.search.model import Vector

    requests.get(f"{core_url}/update", params={"commit": "true", "waitSearcher": "true"}, timeout=600)
    docs = requests.get(
        f"{core_url}/select",
        params={"q": "*:*", "fq": f'site_id:"{site_id}"', "rows": 100000, "fl": "*", "wt": "json"},
        timeout=300,
    ).json()["response"]["docs"]
    copies = {d["dest"] for d in requests.get(f"{core_url}/schema/copyfields", timeout=30).json()["copyFields"]}
    vectors = {v.package_id: np.frombuffer(v.vector, dtype="<f4") for v in model.Session.query(Vector)}
    rng = np.random.default_rng(29)
    batch, made, n = [], 0, 0
    while len(docs) + made < target:
        original = docs[n % len(docs)]
        copy_no = n // len(docs) + 1
        n += 1
        doc = {k: v for k, v in original.items() if k not in copies and k not in ("_version_", "data_dict")}
        pid, name = str(uuid.uuid4()), f"{original['name']}-copy-{copy_no}"[:100]
        title = f"{original['title']} (copy {copy_no})"
        validated = json.loads(original["validated_data_dict"])
        validated.update(id=pid, name=name, title=title)
        doc.update(
            id=pid,
            name=name,
            title=title,
            title_string=title,
            index_id=uuid.uuid4().hex,
            validated_data_dict=json.dumps(validated),
        )
        if original["id"] in vectors:
            v = vectors[original["id"]] + rng.normal(0, 0.01, 384).astype(np.float32)
            doc["hhs_vector"] = [round(float(x), 6) for x in v / np.linalg.norm(v)]
        batch.append(doc)
        made += 1
        if len(batch) == 500:
            requests.post(f"{core_url}/update", json=batch, timeout=600).raise_for_status()
            batch = []
    if batch:
        requests.post(f"{core_url}/update", json=batch, timeout=600).raise_for_status()
    requests.get(f"{core_url}/update", params={"commit": "true", "waitSearcher": "true"}, timeout=600)
    return made


def latency(tk, rounds: int) -> dict:
    from ckan.lib.redis import connect_to_redis

    redis = connect_to_redis()
    for key in redis.scan_iter("hhs_search:question:*"):
        redis.delete(key)

    def ask(q: str, hybrid: bool) -> float:
        tk.config["ckanext.hhs.search.enabled"] = hybrid
        started = time.monotonic()
        tk.get_action("package_search")({"user": ""}, {"q": q, "rows": 10})
        return (time.monotonic() - started) * 1000

    questions = [q for q, _ in search_bench.QUESTIONS]
    first = [ask(q, True) for q in questions]  # embeds each question once (then cached in Redis)
    for q in questions:
        ask(q, False)  # warm the keyword side alike
    out: dict[str, list[float]] = {"keyword": [], "hybrid": []}
    for _ in range(rounds):
        for q in questions:
            for hybrid in (False, True):
                out["hybrid" if hybrid else "keyword"].append(ask(q, hybrid))
    tk.config["ckanext.hhs.search.enabled"] = True
    out["hybrid_first"] = first
    help_ms = []
    for q in questions:
        started = time.monotonic()
        tk.get_action("hhs_search_suggest")({"user": ""}, {"q": q})
        help_ms.append((time.monotonic() - started) * 1000)
    out["suggest"] = help_ms
    return out


def harvest_rate(ini: str, catalog: dict, url: str, fetch_consumers: int = 2) -> tuple[float, dict]:
    import ckan.model as model
    import ckan.plugins.toolkit as tk

    ckan = [CKAN, "-c", ini]
    context = lambda: {"user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}  # noqa: E731
    source = tk.get_action("harvest_source_create")(
        context(),
        {"name": "bench", "title": "Benchmark", "url": url, "source_type": "hhs_datajson", "owner_org": "cms"},
    )
    log = open(os.path.join(ROOT, "var", "log", "bench-search-scale-harvest.log"), "a")  # noqa: SIM115
    workers = [subprocess.Popen([*ckan, "harvester", "gather-consumer"], stdout=log, stderr=log)]
    workers += [
        subprocess.Popen([*ckan, "harvester", "fetch-consumer"], stdout=log, stderr=log) for _ in range(fetch_consumers)
    ]
    try:
        time.sleep(3)
        seconds, stats = harvest_bench.harvest_once(tk, model, context, source["id"])
    finally:
        for w in workers:
            w.terminate()
            w.wait()
        log.close()
    if stats["errored"] or stats["added"] != len(catalog["dataset"]):
        sys.exit(f"harvest incomplete: {stats}; see var/log/bench-search-scale-harvest.log")
    return len(catalog["dataset"]) / seconds, stats


def in_app(ini: str):
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    logging.disable(logging.WARNING)
    return app._wsgi_app.test_request_context()


def import_catalog(args: argparse.Namespace) -> dict[bool, float]:
    """Step 1's imports (before this process loads CKAN): seconds with search by meaning off and on."""
    per = {}
    for on in (False, True):
        ini = write_ini(args.name, on)
        reset(ini)
        per[on] = timed_import(ini)
    return per


def index_step(args: argparse.Namespace, say, per: dict[bool, float]) -> None:
    """Steps 1 to 3: import, embedding job, indexing again; the catalog left indexed with vectors."""
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckan.lib import search

    from ckanext.hhs.search import jobs

    count = jobs.total_indexed()
    say(f"1. import of the CMS catalog ({count} datasets, `ckan hhs import-catalog`), seconds per dataset:")
    say(f"   search by meaning off {per[False] / count:.3f}  on {per[True] / count:.3f}")
    say(f"   (on / off {per[True] / per[False]:.2f}; on, each dataset's words are indexed and its text queued)")

    started = time.monotonic()
    embedded = jobs.embed_pending()
    spent = time.monotonic() - started
    say(f"2. embedding job: {embedded} datasets embedded and indexed again in {spent:.1f} s")
    say(f"   {spent / max(embedded, 1):.3f} s per dataset ({embedded / spent:.1f} datasets/s, one process)")

    ids = search.query_for(model.Package).get_all_entity_ids(max_results=100000)
    spent_by: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        for on in (False, True):
            tk.config["ckanext.hhs.search.enabled"] = on
            started = time.monotonic()
            search.rebuild(package_ids=ids, defer_commit=True, quiet=True)
            spent_by[on].append((time.monotonic() - started) / len(ids))
    off, on_ = statistics.median(spent_by[False]), statistics.median(spent_by[True])
    say(f"3. indexing again ({len(ids)} datasets; median of {args.rounds} interleaved rounds), s per dataset:")
    say(f"   without vectors {off:.4f}  with vectors and words {on_:.4f}  (with / without {on_ / off:.2f})")


def scale_step(args: argparse.Namespace, say) -> None:
    """Step 4: the catalog copied up to --datasets in Solr; latency of keyword-only and hybrid search."""
    import ckan.plugins.toolkit as tk

    from ckanext.hhs.search import jobs

    started = time.monotonic()
    made = scale_up(tk.config["solr_url"], tk.config["ckan.site_id"], args.datasets)
    total = jobs.total_indexed()
    say(f"4. scaled up to {total} datasets in Solr ({made} copies posted in {time.monotonic() - started:.0f} s)")
    ms = latency(tk, args.rounds)
    kw, hy, first, sg = ms["keyword"], ms["hybrid"], ms["hybrid_first"], ms["suggest"]
    n = len(search_bench.QUESTIONS)
    say(f"   package_search, ms (anonymous, rows=10, facets on; {n} questions x {args.rounds} rounds, interleaved):")
    say(f"   keyword-only (CKAN)  p50 {percentile(kw, 50):6.1f}  p95 {percentile(kw, 95):6.1f}")
    say(f"   hybrid               p50 {percentile(hy, 50):6.1f}  p95 {percentile(hy, 95):6.1f}")
    say(
        f"   hybrid / keyword     p50 {percentile(hy, 50) / percentile(kw, 50):6.2f}"
        f"  p95 {percentile(hy, 95) / percentile(kw, 95):6.2f}"
    )
    say(
        f"   hybrid, 1st ask      p50 {percentile(first, 50):6.1f}  p95 {percentile(first, 95):6.1f}"
        "  (question embedded)"
    )
    say(
        f"   hhs_search_suggest   p50 {percentile(sg, 50):6.1f}  p95 {percentile(sg, 95):6.1f}  (asked under 3 results)"
    )


def harvest_step(args: argparse.Namespace, say) -> None:
    """Step 5: a first harvest with search by meaning off, then on; then the embedding job."""
    import ckan.model as model
    import ckan.plugins.toolkit as tk

    from ckanext.hhs.search import jobs

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), harvest_bench.Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/data.json"
    catalog = harvest_bench.scaled_catalog(args.harvest)
    harvest_bench.Served.body = json.dumps(catalog).encode()
    rate = {}
    for on in (False, True):
        ini = write_ini(args.name, on, allowed_hosts=f"127.0.0.1:{httpd.server_address[1]}")
        tk.config["ckanext.hhs.allowed_private_hosts"] = f"127.0.0.1:{httpd.server_address[1]}"
        model.Session.remove()
        model.Session.get_bind().dispose()  # no connection of ours left open while the database is reset
        reset(ini)
        tk.config["ckanext.hhs.search.enabled"] = on
        rate[on], _stats = harvest_rate(ini, catalog, url)
    say(f"5. first harvest of {args.harvest} records (a gather and two fetch consumers; no job worker meanwhile):")
    say(f"   search by meaning off {rate[False]:.1f} datasets/s  on {rate[True]:.1f} datasets/s")
    say(f"   (on / off {rate[True] / rate[False]:.2f})")
    started = time.monotonic()
    embedded = jobs.embed_pending()
    spent = time.monotonic() - started
    say(f"   then the embedding job (one process): {embedded} datasets embedded and indexed again in {spent:.0f} s")
    say(f"   ({embedded / spent:.1f} datasets/s): every harvested dataset searchable by meaning that long after")


def main() -> None:  # noqa: PLR0915 (one run, reported in order)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="h6")
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--harvest", type=int, default=2000, help="records to harvest in step 5")
    parser.add_argument("--steps", default="145", help="1 (steps 1-3), 4, 5")
    args = parser.parse_args()
    load = os.getloadavg()
    lines = [
        f"Search by meaning at scale (#29), {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} cores shared with other work (load average {load[0]:.1f} at the start)",
        "",
    ]

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    per = import_catalog(args) if "1" in args.steps else None
    in_app(write_ini(args.name, True)).push()  # one app per process; options changed in process from here on
    if per:
        index_step(args, say, per)
    if "4" in args.steps:
        scale_step(args, say)
    if "5" in args.steps:
        harvest_step(args, say)

    path = os.path.join(ROOT, "benchmarks", "results", f"search-scale-{dt.date.today().isoformat()}.txt")
    with open(path, "a") as f:
        f.write("\n".join(lines) + "\n\n")
    print(f"written to {path}")


if __name__ == "__main__":
    sys.exit(main())
