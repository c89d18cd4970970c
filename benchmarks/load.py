"""Load test: the portal as `make demo` serves it (nginx in front of CKAN's gunicorn), driven by Locust in
closed loop (every client sends its next request as soon as the last one is answered: no think time).

    .venv/bin/python benchmarks/load.py --ini var/bench.ini [--duration 120] [--users 16] [--workers 5]
        [--threads 1] [--direct] [--report FILE]

Two phases, reported apart, each `--users` clients for `--duration` seconds:
- anonymous page views, through nginx (its short cache answers repeated pages): the home page, search
  pages, dataset pages (popular ones more often, as a portal's traffic is), division pages and their
  data.json, glossary and marketplace pages;
- signed-in mixed reads (each client an editor with an API token, so nginx passes every request to
  CKAN): the same pages, the action API's package_search (with the portal's facets) and package_show,
  the user's dashboard; and, apart from the reads, a few writes: dataset updates (`package_patch`),
  access requests (submitted, then withdrawn, so the next one is a new request) and glossary proposals
  (a draft term sent for review).
Targets (issue #23): anonymous >= 100 req/s with p95 <= 300 ms; signed-in reads >= 50 req/s with
p95 <= 500 ms; 0 errors. Every write carries a token of the run; afterwards the database is read:
every acknowledged write is there exactly once (requests and proposals counted by token; each dataset
holds its last acknowledged revision, and the search index holds the same), and no write is there that
the client did not see acknowledged. `--direct` sends both phases to gunicorn, without nginx.

Writes go to division `f2load` and to users and terms named `f2load-...`; nothing else is changed, except
that a database without approved glossary terms first gets the starter glossary (as `make demo` seeds it).

This file is also the locustfile (Locust imports it; the driver runs only as __main__).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import random
import shutil
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
    from locust import FastHttpUser, constant, events, task
else:
    FastHttpUser = object  # type: ignore[assignment,misc]

    def task(weight=1):  # type: ignore[no-redef]
        return lambda f: f

    def constant(wait):  # type: ignore[no-redef]
        return None

    events = None  # type: ignore[assignment]


def _fixture() -> dict:
    with open(os.environ["LOAD_FIXTURE"]) as f:
        return json.load(f)


_WRITES: list[dict] = []
_SAMPLES: list[tuple[str, str, float, bool, float]] = []  # (kind, endpoint, ms, failed, time answered)
_CACHE: collections.Counter = collections.Counter()


class _Pages:
    """The pages everyone reads. A portal's readers favour some datasets: dataset n of the list is read
    with weight 1/(n+1) (Zipf), so a cache sees the repeats a real audience makes."""

    client: object
    fx: dict
    headers: dict | None = None

    def _get(self, path: str, name: str, **params):
        response = self.client.get(path, params=params or None, headers=self.headers, name=name)
        _CACHE[response.headers.get("X-Cache-Status") or "none"] += 1
        return response

    def _dataset(self) -> str:
        return random.choices(self.fx["datasets"], weights=self.fx["zipf"])[0]

    def home(self):
        self._get("/", "page /")

    def search_page(self):
        self._get("/dataset/", "page /dataset/?q=", q=random.choice(SEARCH_TERMS), page=random.choice([1, 1, 1, 2]))

    def dataset_page(self):
        self._get(f"/dataset/{self._dataset()}", "page /dataset/<name>")

    def division_page(self):
        self._get(f"/organization/{random.choice(self.fx['divisions'])}", "page /organization/<division>")

    def division_datajson(self):
        # The whole streamed catalog of a small division is read: the time is the last byte's.
        self._get(f"/organization/{random.choice(self.fx['small_divisions'])}/data.json",
                  "/organization/<small division>/data.json")  # fmt: skip

    def glossary(self):
        self._get("/glossary", "page /glossary")

    def glossary_term(self):
        self._get(f"/glossary/{random.choice(self.fx['terms'])}", "page /glossary/<term>")

    def marketplace(self):
        self._get("/marketplace", "page /marketplace")

    def marketplace_product(self):
        self._get(f"/marketplace/{self.fx['product']}", "page /marketplace/<product>")


class Visitor(_Pages, FastHttpUser):  # type: ignore[misc,valid-type]
    """An anonymous reader of the portal's pages."""

    wait_time = constant(0)

    def on_start(self):
        self.fx = _fixture()

    @task(2)
    def t_home(self):
        self.home()

    @task(4)
    def t_search(self):
        self.search_page()

    @task(8)
    def t_dataset(self):
        self.dataset_page()

    @task(1)
    def t_division(self):
        self.division_page()

    @task(1)
    def t_datajson(self):
        self.division_datajson()

    @task(2)
    def t_glossary(self):
        self.glossary()

    @task(2)
    def t_term(self):
        self.glossary_term()

    @task(2)
    def t_marketplace(self):
        self.marketplace()

    @task(1)
    def t_product(self):
        self.marketplace_product()


class Staff(_Pages, FastHttpUser):  # type: ignore[misc,valid-type]
    """A signed-in member of staff (an editor of f2load, with an API token): reads pages and the API, and
    now and then writes (one of the writing users' accounts each)."""

    wait_time = constant(0)
    _next_writer = 0

    def on_start(self):
        fx = _fixture()
        self.fx = fx
        self.run_id = fx["run_id"]
        n = Staff._next_writer
        Staff._next_writer += 1
        self.writer = fx["writers"][n % len(fx["writers"])]
        self.dataset = fx["write_datasets"][n % len(fx["write_datasets"])] if n < len(fx["write_datasets"]) else None
        self.rev = 0
        self.headers = {"Authorization": self.writer["token"]}
        # One write of each kind as the user starts, so that even a short run checks every kind.
        self.update_dataset()
        self.access_request()
        self.glossary_proposal()

    # ------------------------------------------------------------ reads
    @task(8)
    def package_search(self):
        params = {"q": random.choice(SEARCH_TERMS), "rows": 20, "facet.field": json.dumps(FACETS), "facet.limit": 50}
        if random.random() < 0.3:
            params["fq"] = f"organization:{random.choice(self.fx['divisions'])}"
        self._get("/api/3/action/package_search", "api package_search", **params)

    @task(6)
    def package_show(self):
        self._get("/api/3/action/package_show", "api package_show", id=self._dataset())

    @task(4)
    def t_search(self):
        self.search_page()

    @task(6)
    def t_dataset(self):
        self.dataset_page()

    @task(1)
    def t_home(self):
        self.home()

    @task(1)
    def dashboard(self):
        self._get("/dashboard/datasets", "page /dashboard/datasets")

    @task(1)
    def t_datajson(self):
        self.division_datajson()

    @task(2)
    def t_glossary(self):
        self.glossary()

    @task(2)
    def t_term(self):
        self.glossary_term()

    @task(2)
    def t_marketplace(self):
        self.marketplace()

    @task(1)
    def t_product(self):
        self.marketplace_product()

    # ------------------------------------------------------------ writes (about 1 request in 35)
    @task(1)
    def write(self):
        random.choice([self.update_dataset, self.access_request, self.glossary_proposal])()

    def _post(self, action: str, data: dict, name: str) -> dict | None:
        with self.client.post(
            f"/api/3/action/{action}", json=data, headers=self.headers, name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:300]}")
                return None
            body = response.json()
            if not body.get("success"):
                response.failure(str(body.get("error"))[:300])
                return None
            return body["result"]

    def update_dataset(self):
        if self.dataset is None:
            return
        self.rev += 1
        notes = f"{PREFIX} {self.run_id} {self.dataset} rev {self.rev}"
        if self._post("package_patch", {"id": self.dataset, "notes": notes}, "write package_patch") is not None:
            _WRITES.append({"kind": "dataset", "dataset": self.dataset, "rev": self.rev, "notes": notes})

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

    @events.request.add_listener
    def _sample(request_type, name, response_time, response_length, exception=None, **kwargs):
        kind = "write" if name.startswith("write ") else "read"
        _SAMPLES.append((kind, f"{request_type} {name}", response_time, exception is not None, time.time()))

    @events.test_stop.add_listener
    def _dump(environment, **kwargs):
        with open(os.environ["LOAD_OUT"], "w") as f:
            failures = [
                {"name": f"{e.method} {e.name}", "count": e.occurrences, "error": str(e.error)[:300]}
                for e in environment.stats.errors.values()
            ]
            json.dump({"writes": _WRITES, "samples": _SAMPLES, "cache": dict(_CACHE), "failures": failures}, f)


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
        "zipf": [1 / (n + 1) for n in range(len(names))],
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

PHASES = [("anonymous page views", "Visitor"), ("signed-in mixed reads", "Staff")]
WARM_UP = "warm-up: anonymous page views, not held to the targets"
TARGETS = {"anonymous page views": (100, 300), "signed-in mixed reads": (50, 500)}  # req/s at least, p95 ms at most


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


def _start(cmd: list[str], log: str, url: str, env: dict | None = None) -> subprocess.Popen:
    with open(log, "ab") as out:
        process = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=ROOT)  # fmt: skip
    try:
        _wait_http(url, 180)
    except RuntimeError:
        stop(process)
        raise
    return process


def gunicorn(ini: str, port: int, workers: int, threads: int, log: str) -> subprocess.Popen:
    """CKAN as the demo serves it (scripts/stack.sh): gunicorn workers running ckanext.hhs.wsgi."""
    return _start(
        [os.path.join(VENV_BIN, "gunicorn"), "ckanext.hhs.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--timeout", "120", "--graceful-timeout", "30"],
        log, f"http://127.0.0.1:{port}/api/3/action/status_show", {"CKAN_INI": ini, "HHS_PROXY_HOPS": "1"},
    )  # fmt: skip


def nginx(ini: str, port: int, upstream_port: int, folder: str) -> subprocess.Popen:
    """nginx with the demo's config (scripts/stack.sh nginx-config) on `port`, in front of gunicorn."""
    os.chmod(folder, 0o755)  # as root its workers run as www-data, which must enter it
    subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "nginx-config", ini, folder, f"127.0.0.1:{port}",
                    f"127.0.0.1:{upstream_port}"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    conf = os.path.join(folder, "nginx.conf")
    return _start(["nginx", "-c", conf, "-p", folder, "-e", os.path.join(folder, "nginx-error.log")],
                  os.path.join(folder, "nginx.out"), f"http://127.0.0.1:{port}/api/3/action/status_show")  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def locust(user_class: str, host: str, duration: int, users: int, fixture: str, out: str) -> dict:
    """Runs Locust headless, `users` clients of `user_class` for `duration` seconds; returns its samples."""
    subprocess.run(
        [os.path.join(VENV_BIN, "locust"), "-f", os.path.abspath(__file__), user_class, "--headless", "--host", host,
         "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{duration}s", "--stop-timeout", "30",
         "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
        check=True, env={**os.environ, "LOAD_FIXTURE": fixture, "LOAD_OUT": out}, timeout=duration + 180,
        stdout=subprocess.DEVNULL, stderr=open(out + ".log", "w"),  # noqa: SIM115
    )  # fmt: skip
    with open(out) as f:
        return json.load(f)


def run(ini: str, duration: int, users: int, workers: int, port: int, workdir: str, threads: int = 1,
        direct: bool = False, warmup: int = 0) -> dict:  # fmt: skip
    """Prepare, serve (nginx on `port`, gunicorn on `port` + 1), load each phase, verify. Returns the figures."""
    fixture = os.path.join(workdir, "fixture.json")
    writes = os.path.join(workdir, "writes.json")
    verified = os.path.join(workdir, "verified.json")
    _python("_prepare", ini, fixture, str(max(users, 1)), ini=ini)
    web = gunicorn(ini, port + 1, workers, threads, os.path.join(workdir, "gunicorn.log"))
    front = None
    phases = []
    try:
        if not direct:
            # Not under `workdir`: pytest's and tempfile's folders are private to their owner.
            nginx_dir = tempfile.mkdtemp(prefix="hhs-load-nginx-", dir="/tmp")
            front = nginx(ini, port, port + 1, nginx_dir)
        host = f"http://127.0.0.1:{port + 1 if direct else port}"
        # Warm each worker's templates and caches, as a portal that has served for a while.
        for _ in range(workers * 3):
            for path in ("/dataset/", "/glossary", "/marketplace"):
                with urllib.request.urlopen(f"http://127.0.0.1:{port + 1}{path}", timeout=120):
                    pass
        # A portal that has served for a while has its popular pages in nginx's cache: with --warmup, the
        # anonymous mix runs that long first (reported apart, as the cold figures).
        for phase, user_class in ([(WARM_UP, "Visitor")] if warmup else []) + PHASES:
            seconds = warmup if phase == WARM_UP else duration
            load_before = os.getloadavg()
            started = time.monotonic()
            out_file = os.path.join(workdir, f"{phase[:4]}-{user_class}.json")
            out = locust(user_class, host, seconds, users, fixture, out_file)
            # Requests per second over the time requests were in flight (not Locust's start and stop).
            span = max(s[4] for s in out["samples"]) - min(s[4] - s[2] / 1000 for s in out["samples"])
            phases.append({"phase": phase, "elapsed": time.monotonic() - started, "span": span,
                           "load_before": load_before, "load_after": os.getloadavg(), **out})  # fmt: skip
    finally:
        if front:
            stop(front)
            shutil.rmtree(nginx_dir, ignore_errors=True)
        stop(web)
    with open(writes, "w") as f:
        json.dump([w for p in phases for w in p["writes"]], f)
    _python("_verify", ini, fixture, writes, verified, ini=ini)
    with open(fixture) as f:
        fx = json.load(f)
    with open(verified) as f:
        check = json.load(f)
    return {"phases": phases, "check": check, "fixture": fx, "direct": direct}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def summary(samples: list, elapsed: float) -> dict:
    times = [s[2] for s in samples]
    return {
        "requests": len(samples),
        "errors": sum(1 for s in samples if s[3]),
        "rps": len(samples) / elapsed,
        **{f"p{int(q * 100)}": _pct(times, q) for q in (0.5, 0.95, 0.99)},
        "max": max(times, default=0),
    }


def _row(name: str, s: dict) -> str:
    return (f"{name[:50]:<50} {s['requests']:>8} {s['errors']:>6} {s['rps']:>7.1f} {s['p50']:>7.0f} "
            f"{s['p95']:>7.0f} {s['p99']:>7.0f} {s['max']:>7.0f}")  # fmt: skip


def report(result: dict, duration: int, users: int, workers: int, threads: int = 1) -> str:
    fx = result["fixture"]
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = lambda xs: " ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    front = "none (--direct: gunicorn answers every request)" if result["direct"] else "nginx (demo config, cache on)"
    lines = [
        f"# Load test {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC (benchmarks/load.py)",
        f"machine: {platform.node()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}",
        f"datasets: {fx['dataset_count']} in {len(fx['divisions'])} divisions "
        f"({', '.join(f'{d} {c}' for d, c in sorted(fx['division_counts'].items(), key=lambda x: -x[1]))})",
        f"front: {front}; gunicorn: {workers} workers x {threads} thread(s); closed loop (no think time), "
        f"{users} clients per phase, {duration} s per phase",
    ]
    header = (
        f"{'':<50} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for p in result["phases"]:
        reads = [s for s in p["samples"] if s[0] == "read"]
        s = summary(reads, p["span"])
        rps, p95 = TARGETS.get(p["phase"], (0, 0))
        met = s["rps"] >= rps and s["p95"] <= p95 and s["errors"] == 0
        verdict = f"target >= {rps} req/s, p95 <= {p95} ms, 0 errors: {'MET' if met else 'MISSED'}" if rps else ""
        cache = ", ".join(f"{k} {v}" for k, v in sorted(p["cache"].items(), key=lambda x: -x[1]))
        lines += ["", f"## {p['phase']} (requests in flight for {p['span']:.0f} s; load average before "
                      f"{load(p['load_before'])}, after {load(p['load_after'])})",
                  *([verdict] if verdict else []),
                  f"X-Cache-Status of the reads: {cache}", header, _row("all reads", s)]  # fmt: skip
        by_name: dict[str, list] = {}
        for sample in p["samples"]:
            by_name.setdefault(sample[1], []).append(sample)
        for name in sorted(by_name, key=lambda n: (n.split(" ", 1)[1].startswith("write"), n)):
            lines.append(_row("  " + name, summary(by_name[name], p["span"])))
        for failure in p["failures"]:
            lines.append(f"failure {failure['name']} x{failure['count']}: {failure['error'][:200]}")
    check = result["check"]
    lines += [
        "",
        f"writes acknowledged: {check['dataset_updates']} dataset updates over {check['datasets_updated']} datasets, "
        f"{check['requests']} access requests ({check['requests_withdrawn']} withdrawn), {check['terms']} glossary "
        f"proposals ({check['terms_proposed']} sent for review)",
        f"writes checked in the database and the index: {len(check['problems'])} problems"
        + "".join(f"\n  {p}" for p in check["problems"][:20]),
    ]
    return "\n".join(lines) + "\n"


def errors(result: dict) -> int:
    return sum(1 for p in result["phases"] for s in p["samples"] if s[3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "var", "bench.ini"))
    parser.add_argument("--duration", type=int, default=120, help="seconds per phase")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread above 1)")
    parser.add_argument("--port", type=int, default=5077, help="nginx's; gunicorn gets the next one")
    parser.add_argument("--direct", action="store_true", help="no nginx: both phases straight to gunicorn")
    parser.add_argument("--warmup", type=int, default=0, help="seconds of the anonymous mix first, reported apart")
    parser.add_argument("--report", help="append the report to this file")
    args = parser.parse_args()
    if not args.direct and not shutil.which("nginx"):
        sys.exit("nginx is not installed (scripts/stack.sh install), or run with --direct")
    with tempfile.TemporaryDirectory(prefix="hhs-load-") as workdir:
        result = run(os.path.abspath(args.ini), args.duration, args.users, args.workers, args.port, workdir,
                     args.threads, args.direct, args.warmup)  # fmt: skip
    text = report(result, args.duration, args.users, args.workers, args.threads)
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
