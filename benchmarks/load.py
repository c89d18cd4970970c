"""Load test: CKAN under gunicorn, driven by Locust (headless, loopback only, bounded in time).

    .venv/bin/python benchmarks/load.py --ini var/bench.ini [--duration 300] [--users 12] [--workers 5]

The mix, per simulated user: search (the action API with the portal's facets, and the search page),
dataset pages, `/organization/<division>/data.json` of small divisions, marketplace and glossary pages,
and writes: dataset updates (`package_patch`), access requests (submitted, then withdrawn, so the next
one is a new request) and glossary proposals (a draft term sent for review). Every write carries a
token of the run. Afterwards the database is read: every acknowledged write is there exactly once
(requests and proposals counted by token; each dataset holds its last acknowledged revision, and the
search index holds the same), and no write is there that the client did not see acknowledged.

Writes go to division `f2load` and to users and terms named `f2load-...`; nothing else is changed, except
that a database without approved glossary terms first gets the starter glossary (as `make demo` seeds it).
The report prints requests/s and p50/p95/p99 per endpoint and, with --report, is appended to a file.

This file is also the locustfile (Locust imports it; the driver runs only as __main__).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PREFIX = "f2load"
DIVISION = PREFIX
WRITE_DATASETS = 24  # one per writing user at most: a dataset's updates never race
SEARCH_TERMS = [
    "medicare", "hospital", "provider", "nursing home", "drug", "physician", "quality", "payment",
    "enrollment", "part d", "dialysis", "hospice", "home health", "spending", "opioid", "readmission",
    "ambulance", "supplier", "pharmacy", "star rating", "", "",
]  # fmt: skip
FACETS = [
    "organization", "vocab_bureau_code", "access_level", "vocab_health_theme", "vocab_coding_system",
    "phi_classification", "res_format", "completeness_band", "vocab_hhs_finding", "hhs_level", "tags", "license_id",
]  # fmt: skip

# ---------------------------------------------------------------- the locustfile

# Locust monkey-patches the standard library with gevent when imported: only the Locust process (the
# driver sets LOAD_FIXTURE for it) imports it, never the driver, its CKAN subprocesses or a test.
if os.environ.get("LOAD_FIXTURE"):
    from locust import HttpUser, between, events, task
else:
    HttpUser = object  # type: ignore[assignment,misc]

    def task(weight=1):  # type: ignore[no-redef]
        return lambda f: f

    def between(a, b):  # type: ignore[no-redef]
        return None

    events = None  # type: ignore[assignment]


def _fixture() -> dict:
    with open(os.environ["LOAD_FIXTURE"]) as f:
        return json.load(f)


_WRITES: list[dict] = []


class PortalUser(HttpUser):  # type: ignore[misc,valid-type]
    """A member of staff: mostly reads, sometimes writes (one of the writing users' accounts each)."""

    wait_time = between(0.5, 2.0)
    _next_writer = 0

    def on_start(self):
        fx = _fixture()
        self.fx = fx
        self.run_id = fx["run_id"]
        n = PortalUser._next_writer
        PortalUser._next_writer += 1
        self.writer = fx["writers"][n % len(fx["writers"])]
        self.dataset = fx["write_datasets"][n % len(fx["write_datasets"])] if n < len(fx["write_datasets"]) else None
        self.rev = 0
        self.auth = {"Authorization": self.writer["token"]}
        # One write of each kind as the user starts, so that even a short run checks every kind; the
        # task weights below decide the mix after that.
        self.update_dataset()
        self.access_request()
        self.glossary_proposal()

    # ------------------------------------------------------------ reads
    @task(10)
    def package_search(self):
        q = random.choice(SEARCH_TERMS)
        params = {"q": q, "rows": 20, "facet.field": json.dumps(FACETS), "facet.limit": 50}
        if random.random() < 0.3:
            params["fq"] = f"organization:{random.choice(self.fx['divisions'])}"
        self.client.get("/api/3/action/package_search", params=params, name="api package_search")

    @task(4)
    def search_page(self):
        q = random.choice(SEARCH_TERMS)
        page = random.choice([1, 1, 1, 2, 5])
        self.client.get("/dataset/", params={"q": q, "page": page}, name="page /dataset/?q=")

    @task(6)
    def dataset_page(self):
        name = random.choice(self.fx["datasets"])
        self.client.get(f"/dataset/{name}", name="page /dataset/<name>")

    @task(2)
    def package_show(self):
        name = random.choice(self.fx["datasets"])
        self.client.get("/api/3/action/package_show", params={"id": name}, name="api package_show")

    @task(1)
    def data_json(self):
        division = random.choice(self.fx["small_divisions"])
        # The whole streamed catalog is read: the time is the last byte's.
        self.client.get(f"/organization/{division}/data.json", name="/organization/<small division>/data.json")

    @task(2)
    def marketplace(self):
        self.client.get("/marketplace", name="page /marketplace")

    @task(1)
    def marketplace_product(self):
        self.client.get(f"/marketplace/{self.fx['product']}", name="page /marketplace/<product>")

    @task(2)
    def glossary(self):
        self.client.get("/glossary", name="page /glossary")

    @task(2)
    def glossary_term(self):
        self.client.get(f"/glossary/{random.choice(self.fx['terms'])}", name="page /glossary/<term>")

    # ------------------------------------------------------------ writes
    def _post(self, action: str, data: dict, name: str) -> dict | None:
        with self.client.post(
            f"/api/3/action/{action}", json=data, headers=self.auth, name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:300]}")
                return None
            body = response.json()
            if not body.get("success"):
                response.failure(str(body.get("error"))[:300])
                return None
            return body["result"]

    @task(2)
    def update_dataset(self):
        if self.dataset is None:
            self.package_search()
            return
        self.rev += 1
        notes = f"{PREFIX} {self.run_id} {self.dataset} rev {self.rev}"
        if self._post("package_patch", {"id": self.dataset, "notes": notes}, "write package_patch") is not None:
            _WRITES.append({"kind": "dataset", "dataset": self.dataset, "rev": self.rev, "notes": notes})

    @task(1)
    def access_request(self):
        token = f"{PREFIX}-{self.run_id}-{uuid.uuid4().hex[:12]}"
        result = self._post(
            "hhs_marketplace_request_create",
            {"product": self.fx["product"], "purpose": token, "duration_days": 30, "accept_terms": True},
            "write hhs_marketplace_request_create",
        )
        if result is None:
            return
        if result.get("duplicate"):
            # An open request of this user (a withdraw lost to a concurrent user of the same account).
            _WRITES.append({"kind": "request_duplicate", "token": token})
        else:
            _WRITES.append({"kind": "request", "token": token, "id": result["id"]})
        if self._post(
            "hhs_marketplace_request_withdraw", {"id": result["id"]}, "write hhs_marketplace_request_withdraw"
        ):
            _WRITES.append({"kind": "withdraw", "id": result["id"]})

    @task(1)
    def glossary_proposal(self):
        token = f"{PREFIX}-{self.run_id}-{uuid.uuid4().hex[:12]}"
        term = self._post(
            "hhs_glossary_term_create",
            {
                "label": f"Load term {token}",
                "slug": token,
                "definition": f"A term proposed by the load test ({token}).",
            },
            "write hhs_glossary_term_create",
        )
        if term is None:
            return
        _WRITES.append({"kind": "term", "token": token})
        if self._post("hhs_glossary_term_propose", {"id": token}, "write hhs_glossary_term_propose"):
            _WRITES.append({"kind": "propose", "token": token})


if events is not None:

    @events.test_stop.add_listener
    def _dump_writes(environment, **kwargs):
        path = os.environ.get("LOAD_WRITES")
        if path:
            with open(path, "w") as f:
                json.dump(_WRITES, f)


# ---------------------------------------------------------------- in CKAN (subprocess of the driver)


def _ckan_app(ini: str):
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app

    return make_app(CKANConfigLoader(ini).get_config())


def prepare(ini: str, out: str, writers: int) -> None:
    """Division f2load, its writing users (editors, with API tokens), datasets and data product."""
    import sqlalchemy as sa

    import ckan.model as model
    import ckan.plugins.toolkit as tk

    app = _ckan_app(ini)
    with app._wsgi_app.test_request_context():
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        ctx = lambda: {"user": site["name"], "ignore_auth": True}  # noqa: E731
        if not model.Group.get(DIVISION):
            tk.get_action("organization_create")(
                ctx(),
                {"name": DIVISION, "title": "Load test division", "acronym": "F2L", "kind": "staff",
                 "bureau_code": "009:38"},
            )  # fmt: skip
        users = []
        for n in range(writers):
            name = f"{PREFIX}-writer-{n}"
            if not model.User.get(name):
                tk.get_action("user_create")(
                    ctx(), {"name": name, "email": f"{name}@load.localhost", "password": uuid.uuid4().hex + "Aa1!"}
                )
            tk.get_action("organization_member_create")(ctx(), {"id": DIVISION, "username": name, "role": "editor"})
            token = tk.get_action("api_token_create")(ctx(), {"user": name, "name": "load"})["token"]
            users.append({"name": name, "token": token})
        datasets = []
        for n in range(WRITE_DATASETS):
            name = f"{PREFIX}-dataset-{n}"
            if not model.Package.get(name):
                tk.get_action("package_create")(
                    ctx(),
                    {"name": name, "title": f"Load test dataset {n}", "owner_org": DIVISION, "notes": "Load test.",
                     "tag_string": "load", "bureau_code": ["009:38"], "program_code": ["009:000"],
                     "access_level": "public", "contact": [{"name": "Load", "email": "load@load.localhost"}]},
                )  # fmt: skip
            datasets.append(name)
        product = f"{PREFIX}-product"
        if not model.Package.get(product):
            tk.get_action("package_create")(
                ctx(),
                {"type": "data-product", "name": product, "title": "Load test product", "owner_org": DIVISION,
                 "notes": "A product the load test requests.", "product_status": "active",
                 "product_type": "dataset_bundle", "component_datasets": datasets[:2], "access_terms": "standard",
                 "standard_terms": "Use for the load test only.", "cost_model": "free", "max_access_days": 365},
            )  # fmt: skip
        names = [
            r[0]
            for r in model.Session.execute(
                sa.text(
                    "SELECT name FROM package WHERE state = 'active' AND type = 'dataset' AND NOT private "
                    "ORDER BY random() LIMIT 2000"
                )
            )
        ]
        counts = dict(
            model.Session.execute(
                sa.text(
                    'SELECT g.name, count(p.id) FROM "group" g JOIN package p ON p.owner_org = g.id '
                    "AND p.state = 'active' AND p.type = 'dataset' WHERE g.is_organization GROUP BY g.name"
                )
            ).all()
        )
        approved = sa.text("SELECT slug FROM hhs_glossary_term WHERE status = 'approved'")
        terms = [r[0] for r in model.Session.execute(approved)]
        if not terms:  # a database without a glossary gets the starter one, as `make demo` seeds it
            from ckanext.hhs.glossary.cli import SEED, _rows

            tk.get_action("hhs_glossary_import")(ctx(), {"rows": _rows(SEED), "atomic": True})
            terms = [r[0] for r in model.Session.execute(approved)]
        total = sum(counts.values())
    fixture = {
        "run_id": uuid.uuid4().hex[:8],
        "writers": users,
        "write_datasets": datasets,
        "product": product,
        "datasets": names,
        "divisions": sorted(counts),
        # A division's whole catalog in one response: the small ones, as a harvester reads them daily.
        "small_divisions": sorted(d for d, c in counts.items() if c <= 600) or [DIVISION],
        "terms": terms or ["none"],
        "dataset_count": total,
        "division_counts": counts,
    }
    with open(out, "w") as f:
        json.dump(fixture, f)


def verify(ini: str, fixture_path: str, writes_path: str, out: str) -> None:
    """Every acknowledged write present exactly once; nothing present that was not acknowledged."""
    import sqlalchemy as sa

    import ckan.model as model
    import ckan.plugins.toolkit as tk

    with open(fixture_path) as f:
        fx = json.load(f)
    with open(writes_path) as f:
        writes = json.load(f)
    run = f"{PREFIX}-{fx['run_id']}-%"
    problems: list[str] = []
    app = _ckan_app(ini)
    with app._wsgi_app.test_request_context():
        q = lambda sql, **kw: model.Session.execute(sa.text(sql), kw).all()  # noqa: E731
        # Access requests: one row per acknowledged submit, withdrawn when the withdraw was acknowledged.
        rows = q("SELECT purpose, id, status FROM hhs_marketplace_request WHERE purpose LIKE :run", run=run)
        by_token: dict[str, list] = {}
        for purpose, rid, status in rows:
            by_token.setdefault(purpose, []).append((rid, status))
        acked = {w["token"]: w["id"] for w in writes if w["kind"] == "request"}
        withdrawn = {w["id"] for w in writes if w["kind"] == "withdraw"}
        problems += [f"request {t}: {len(v)} rows" for t, v in by_token.items() if len(v) != 1]
        problems += [f"request {t}: acknowledged, not stored" for t in acked if t not in by_token]
        problems += [f"request {t}: stored, never acknowledged" for t in by_token if t not in acked]
        problems += [
            f"request {rid}: withdraw acknowledged, status {status}"
            for v in by_token.values()
            for rid, status in v
            if rid in withdrawn and status != "withdrawn"
        ]
        # Glossary proposals: one term per token, in review when the proposal was acknowledged.
        terms = q("SELECT slug, status FROM hhs_glossary_term WHERE slug LIKE :run", run=run)
        term_count: dict[str, int] = {}
        for slug, _status in terms:
            term_count[slug] = term_count.get(slug, 0) + 1
        acked_terms = {w["token"] for w in writes if w["kind"] == "term"}
        proposed = {w["token"] for w in writes if w["kind"] == "propose"}
        status_of = dict(terms)
        problems += [f"term {t}: {n} rows" for t, n in term_count.items() if n != 1]
        problems += [f"term {t}: acknowledged, not stored" for t in acked_terms if t not in term_count]
        problems += [f"term {t}: stored, never acknowledged" for t in term_count if t not in acked_terms]
        problems += [
            f"term {t}: proposal acknowledged, status {status_of.get(t)}"
            for t in proposed
            if status_of.get(t) != "in_review"
        ]
        # Dataset updates: each dataset holds its last acknowledged revision, in the database and the index.
        last: dict[str, dict] = {}
        for w in writes:
            if w["kind"] == "dataset" and w["rev"] > last.get(w["dataset"], {"rev": 0})["rev"]:
                last[w["dataset"]] = w
        time.sleep(2)  # Solr's soft commit (1 s) makes the last updates visible
        site = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        for name, w in last.items():
            stored = q("SELECT notes FROM package WHERE name = :n", n=name)[0][0]
            if stored != w["notes"]:
                problems.append(f"dataset {name}: database has {stored!r}, last acknowledged {w['notes']!r}")
            found = tk.get_action("package_search")(
                {"user": site["name"], "ignore_auth": True}, {"fq": f'name:"{name}"', "fl": "notes", "rows": 2}
            )
            notes = [r.get("notes") for r in found["results"]]
            if notes != [w["notes"]]:
                problems.append(f"dataset {name}: index has {notes!r}, last acknowledged {w['notes']!r}")
    summary = {
        "requests": len(acked),
        "requests_withdrawn": len(withdrawn),
        "duplicates_answered": sum(1 for w in writes if w["kind"] == "request_duplicate"),
        "terms": len(acked_terms),
        "terms_proposed": len(proposed),
        "dataset_updates": sum(1 for w in writes if w["kind"] == "dataset"),
        "datasets_updated": len(last),
        "problems": problems,
    }
    with open(out, "w") as f:
        json.dump(summary, f)


# ---------------------------------------------------------------- the driver


def _python(*args: str, ini: str) -> None:
    subprocess.run(
        [os.path.join(VENV_BIN, "python"), os.path.abspath(__file__), *args],
        check=True,
        env={**os.environ, "CKAN_INI": ini},
    )


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds}s")


def gunicorn(ini: str, port: int, workers: int, log: str) -> subprocess.Popen:
    """CKAN as the demo serves it (scripts/stack.sh): gunicorn workers running ckanext.hhs.wsgi."""
    out = open(log, "ab")  # noqa: SIM115 - kept by the child
    process = subprocess.Popen(
        [os.path.join(VENV_BIN, "gunicorn"), "ckanext.hhs.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "120", "--graceful-timeout", "30"],
        env={**os.environ, "CKAN_INI": ini}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    out.close()
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/3/action/status_show", 180)
    except RuntimeError:
        process.terminate()
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def locust(host: str, duration: int, users: int, workdir: str, fixture: str, writes: str) -> list[dict]:
    """Runs Locust headless for `duration` seconds; returns its per-endpoint statistics."""
    prefix = os.path.join(workdir, "stats")
    subprocess.run(
        [os.path.join(VENV_BIN, "locust"), "-f", os.path.abspath(__file__), "--headless", "--host", host,
         "--users", str(users), "--spawn-rate", str(max(1, users // 4)), "--run-time", f"{duration}s",
         "--stop-timeout", "30", "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"],
        check=True, env={**os.environ, "LOAD_FIXTURE": fixture, "LOAD_WRITES": writes}, timeout=duration + 180,
    )  # fmt: skip
    with open(prefix + "_stats.csv") as f:
        stats = list(csv.DictReader(f))
    with open(prefix + "_failures.csv") as f:
        failures = list(csv.DictReader(f))
    for row in stats:
        row["failures_detail"] = [x for x in failures if x["Name"] == row["Name"]]
    return stats


def run(ini: str, duration: int, users: int, workers: int, port: int, workdir: str) -> dict:
    """Prepare, serve, load, verify. Returns the figures (stats per endpoint, write check)."""
    fixture = os.path.join(workdir, "fixture.json")
    writes = os.path.join(workdir, "writes.json")
    verified = os.path.join(workdir, "verified.json")
    _python("_prepare", ini, fixture, str(max(users, 1)), ini=ini)
    web = gunicorn(ini, port, workers, os.path.join(workdir, "gunicorn.log"))
    try:
        # Warm each worker's templates and caches, as a portal that has served for a while.
        for _ in range(workers * 3):
            for path in ("/dataset/", "/glossary", "/marketplace"):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120):
                    pass
        started = time.monotonic()
        stats = locust(f"http://127.0.0.1:{port}", duration, users, workdir, fixture, writes)
        elapsed = time.monotonic() - started
    finally:
        stop(web)
    _python("_verify", ini, fixture, writes, verified, ini=ini)
    with open(fixture) as f:
        fx = json.load(f)
    with open(verified) as f:
        check = json.load(f)
    return {"stats": stats, "check": check, "elapsed": elapsed, "fixture": fx}


def report(result: dict, duration: int, users: int, workers: int) -> str:
    fx = result["fixture"]
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        f"# Load test {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC (benchmarks/load.py)",
        f"machine: {platform.node()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}",
        f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared)",
        f"datasets: {fx['dataset_count']} in {len(fx['divisions'])} divisions "
        f"({', '.join(f'{d} {c}' for d, c in sorted(fx['division_counts'].items(), key=lambda x: -x[1]))})",
        f"gunicorn workers: {workers}; Locust users: {users}, wait 0.5-2 s; duration {duration} s "
        f"(ran {result['elapsed']:.0f} s)",
        "",
        f"{'endpoint':<45} {'requests':>8} {'fails':>5} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}",
    ]
    for row in result["stats"]:
        name = row["Name"] if row["Name"] != "Aggregated" else "all"
        lines.append(
            f"{(row['Type'] + ' ' + name).strip()[:45]:<45} {row['Request Count']:>8} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):>7.2f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
            f"{float(row['Max Response Time']):>7.0f}"
        )
    check = result["check"]
    lines += [
        "",
        f"writes acknowledged: {check['dataset_updates']} dataset updates over {check['datasets_updated']} datasets, "
        f"{check['requests']} access requests ({check['requests_withdrawn']} withdrawn), {check['terms']} glossary "
        f"proposals ({check['terms_proposed']} sent for review)",
        f"writes checked in the database and the index: {len(check['problems'])} problems"
        + "".join(f"\n  {p}" for p in check["problems"][:20]),
    ]
    for row in result["stats"]:
        for failure in row["failures_detail"]:
            lines.append(
                f"failure {failure['Method']} {failure['Name']} x{failure['Occurrences']}: {failure['Error'][:200]}"
            )
    return "\n".join(lines) + "\n"


def errors(result: dict) -> int:
    return sum(int(r["Failure Count"]) for r in result["stats"] if r["Name"] != "Aggregated")


def p95(result: dict, name: str) -> float:
    return next(float(r["95%"]) for r in result["stats"] if r["Name"] == name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "var", "bench.ini"))
    parser.add_argument("--duration", type=int, default=300)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--report", help="append the report to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hhs-load-") as workdir:
        result = run(os.path.abspath(args.ini), args.duration, args.users, args.workers, args.port, workdir)
    text = report(result, args.duration, args.users, args.workers)
    print(text)
    if args.report:
        with open(args.report, "a") as f:
            f.write(text + "\n")
    sys.exit(1 if errors(result) or result["check"]["problems"] else 0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_prepare":
        prepare(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_verify":
        verify(*sys.argv[2:6])
    else:
        main()
