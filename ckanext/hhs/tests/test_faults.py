"""Faults: Solr, Redis and PostgreSQL stopped and started again under CKAN served by gunicorn.

The services are private instances this module starts on free loopback ports and stops itself
(tests/services.py), never the shared ones. While a service is down, a small load of readers and
writers runs: every answer is a success or a clear 503 (never a 500), and once the service is back
the portal answers again by itself, without a restart. A catalog import queued as a background job
goes through a PostgreSQL restart: the job finishes, and after the import is run again every record
is there exactly once. `ckan search-index rebuild` brings the index back to exactly the database's
datasets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from ckanext.hhs.tests import services

pytestmark = pytest.mark.skipif(bool(services.missing()), reason=f"private services: {services.missing()}")

CKAN = os.path.join(services.ROOT, ".venv", "bin", "ckan")
GUNICORN = os.path.join(services.ROOT, ".venv", "bin", "gunicorn")
DIVISION = "f2fault"


class Portal:
    """CKAN on the private stack: an ini, gunicorn (2 workers), one `ckan jobs worker`, a sysadmin token."""

    def __init__(self, stack: services.Stack, base: str):
        self.stack = stack
        self.base = base
        self.port = services.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ini = os.path.join(base, "fault.ini")
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.token = ""

    def ckan(self, *args: str, timeout: float = 600) -> str:
        return services.ckan_cli(self.ini, *args, timeout=timeout)

    def setup(self) -> None:
        services.write_ini(self.stack, self.ini, "ckan_fault", self.url, "hhs_fault")
        self.ckan("db", "init")
        self.ckan("hhs", "seed-divisions")
        name = "f2fault-admin"
        self.ckan("user", "add", name, f"email={name}@fault.localhost", f"password={uuid.uuid4().hex}Aa1!")
        self.ckan("sysadmin", "add", name)
        out = self.ckan("user", "token", "add", name, "faults")
        self.token = out.strip().splitlines()[-1].strip()

    def start_web(self) -> None:
        log = open(os.path.join(self.base, "gunicorn.log"), "ab")  # noqa: SIM115
        self.web = subprocess.Popen(
            [GUNICORN, "ckanext.hhs.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
             "--timeout", "60"],
            env={**os.environ, "CKAN_INI": self.ini}, stdout=log, stderr=subprocess.STDOUT, cwd=services.ROOT,
        )  # fmt: skip
        log.close()
        wait_until(lambda: self.get("/api/3/action/status_show")[0] == 200, 120, "gunicorn")

    def start_worker(self) -> None:
        log = open(os.path.join(self.base, "worker.log"), "ab")  # noqa: SIM115
        self.worker = subprocess.Popen(
            [CKAN, "-c", self.ini, "jobs", "worker"], stdout=log, stderr=subprocess.STDOUT, cwd=services.ROOT
        )
        log.close()

    def stop(self) -> None:
        for process in (self.worker, self.web):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()

    def get(self, path: str, timeout: float = 30) -> tuple[int, str, dict]:
        request = urllib.request.Request(self.url + path, headers={"Authorization": self.token})
        return _open(request, timeout)

    def action(self, name: str, data: dict, timeout: float = 30) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.url}/api/3/action/{name}",
            data=json.dumps(data).encode(),
            headers={"Authorization": self.token, "Content-Type": "application/json"},
        )
        status, body, _headers = _open(request, timeout)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {"raw": body[:500]}


def _open(request: urllib.request.Request, timeout: float) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)
    except OSError as e:
        return 0, repr(e), {}


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds}s")


def dataset(name: str) -> dict:
    return {
        "name": name,
        "title": f"Fault test {name}",
        "owner_org": DIVISION,
        "notes": "A dataset of the fault tests.",
        "tag_string": "faults",
        "bureau_code": ["009:38"],
        "program_code": ["009:000"],
        "access_level": "public",
        "contact": [{"name": "Faults", "email": "faults@fault.localhost"}],
    }


class Load:
    """A short load of readers and a writer while a service is stopped and started: every status seen."""

    def __init__(self, portal: Portal, threads: int = 3):
        self.portal = portal
        self.threads = threads
        self.stop_event = threading.Event()
        self.seen: list[tuple[str, int, str]] = []
        self.created: list[str] = []  # names whose create was acknowledged
        self.attempted: list[str] = []
        self._workers: list[threading.Thread] = []

    def __enter__(self) -> Load:
        for n in range(self.threads):
            self._workers.append(threading.Thread(target=self._read, args=(n,), daemon=True))
        self._workers.append(threading.Thread(target=self._write, daemon=True))
        for w in self._workers:
            w.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        for w in self._workers:
            w.join(60)

    def _read(self, n: int) -> None:
        paths = ["/api/3/action/package_search?q=fault&rows=5", "/dataset/?q=fault", "/dataset/f2fault-base-0",
                 "/api/3/action/package_show?id=f2fault-base-1", "/glossary", "/marketplace"]  # fmt: skip
        i = n
        while not self.stop_event.is_set():
            path = paths[i % len(paths)]
            status, body, headers = self.portal.get(path)
            self.seen.append((path, status, body[:300] if status not in (200, 503) else headers.get("Retry-After", "")))
            i += 1
            time.sleep(0.1)

    def _write(self) -> None:
        while not self.stop_event.is_set():
            name = f"f2fault-load-{uuid.uuid4().hex[:10]}"
            self.attempted.append(name)
            status, body = self.portal.action("package_create", dataset(name))
            self.seen.append(("package_create", status, "" if status in (200, 503) else json.dumps(body)[:300]))
            if status == 200:
                self.created.append(name)
            time.sleep(0.3)

    def statuses(self) -> set[int]:
        return {s for _p, s, _d in self.seen}

    def unexpected(self) -> list[tuple[str, int, str]]:
        return [x for x in self.seen if x[1] not in (200, 503)]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("faults"))
    with services.Stack(base, solr_heap="384m") as stack:
        portal = Portal(stack, base)
        try:
            portal.setup()
            portal.start_web()
            portal.start_worker()
            division = {"name": DIVISION, "title": "Fault test division", "acronym": "F2F", "kind": "staff",
                        "bureau_code": "009:38"}  # fmt: skip
            status, body = portal.action("organization_create", division)
            assert status == 200, body
            for n in range(3):
                status, body = portal.action("package_create", dataset(f"f2fault-base-{n}"))
                assert status == 200, body
            yield portal
        finally:
            portal.stop()


@pytest.fixture(autouse=True)
def _restored(portal):
    """Whatever a test stopped runs again after it: one failure never fails the tests after it."""
    yield
    for service in (portal.stack.redis, portal.stack.solr):
        if service.process is None:
            service.start()
    if not services._port_open(portal.stack.postgres.port):
        portal.stack.postgres.start()
    if portal.worker is None or portal.worker.poll() is not None:
        portal.start_worker()


def _db_names(portal: Portal) -> set[str]:
    out = portal.stack.postgres.psql(
        "SELECT name FROM package WHERE state = 'active' AND type = 'dataset'", db="ckan_fault"
    )
    return set(out.split()) if out else set()


def _index_names(portal: Portal) -> set[str]:
    query = "q=*:*&fq=dataset_type:dataset&fq=site_id:hhs_fault&fl=name&rows=100000&wt=json"
    url = f"{portal.stack.solr.url()}/select?{query}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return {d["name"] for d in json.load(r)["response"]["docs"]}


def _assert_outage(load: Load, service: str) -> None:
    assert not load.unexpected(), f"{service} down: answers other than 200/503: {load.unexpected()[:5]}"
    assert 503 in load.statuses(), f"{service} down: no 503 seen ({load.statuses()})"


def _assert_acknowledged_once(portal: Portal, load: Load) -> None:
    """Every acknowledged create is stored once; a refused one (503) is not half-stored."""
    names = _db_names(portal)
    assert set(load.created) <= names
    refused = set(load.attempted) - set(load.created)
    # A create whose answer was lost on the way is the only one that may be stored unacknowledged:
    # none here, the client always got an answer (200 or 503).
    assert not (refused & names), f"refused with 503 but stored: {refused & names}"


def test_solr_down_answers_503_and_recovers(portal):
    with Load(portal) as load:
        time.sleep(2)
        portal.stack.solr.stop()
        time.sleep(6)
        status, body, headers = portal.get("/api/3/action/package_search?q=*:*")
        assert status == 503, body
        assert json.loads(body)["error"]["__type"] == "Service Unavailable"
        assert headers.get("Retry-After")
        status, body, _ = portal.get("/dataset/?q=medicare")
        assert status == 503, body[:500]
        assert "Traceback" not in body
        status, body = portal.action("package_create", dataset("f2fault-during-solr"))
        assert status == 503, body
        portal.stack.solr.start()
        wait_until(lambda: portal.get("/api/3/action/package_search?q=*:*")[0] == 200, 60, "search after Solr")
        time.sleep(2)
    _assert_outage(load, "Solr")
    _assert_acknowledged_once(portal, load)
    assert "f2fault-during-solr" not in _db_names(portal)


def test_redis_down_answers_503_and_queued_jobs_finish(portal, tmp_path):
    before = _catalog(tmp_path, "redis", 30)
    # Queued before Redis goes, while no worker runs: the job waits in Redis (append-only file).
    portal.worker.terminate()
    portal.worker.wait(30)
    status, body = portal.action("hhs_catalog_import", {"source": before, "division": DIVISION})
    assert status == 200, body
    queued = body["result"]["job_id"]
    with Load(portal) as load:
        time.sleep(1)
        portal.stack.redis.stop()
        time.sleep(3)
        status, body = portal.action("hhs_catalog_import", {"source": before, "division": DIVISION})
        assert status == 503, body
        assert body["error"]["service"] == "queue"
        portal.stack.redis.start()
        time.sleep(2)
    assert not load.unexpected(), load.unexpected()[:5]
    _assert_acknowledged_once(portal, load)
    portal.start_worker()
    _wait_job(portal, queued)
    assert _identifiers(portal, "redis") == {f"redis-{n}": 1 for n in range(30)}
    # A worker that runs through an outage reconnects by itself and takes the next job.
    time.sleep(3)
    portal.stack.redis.stop()
    time.sleep(3)
    portal.stack.redis.start()
    after = _catalog(tmp_path, "redis2", 10)
    status, body = portal.action("hhs_catalog_import", {"source": after, "division": DIVISION})
    assert status == 200, body
    _wait_job(portal, body["result"]["job_id"])
    assert _identifiers(portal, "redis2") == {f"redis2-{n}": 1 for n in range(10)}


def test_postgres_down_answers_503_and_recovers(portal):
    with Load(portal) as load:
        time.sleep(2)
        portal.stack.postgres.stop()
        time.sleep(5)
        status, body, headers = portal.get("/api/3/action/package_show?id=f2fault-base-0")
        assert status == 503, body
        assert json.loads(body)["error"]["service"] == "database"
        status, body, _ = portal.get("/dataset/f2fault-base-0")
        assert status == 503, body[:500]
        assert "Traceback" not in body
        portal.stack.postgres.start()
        wait_until(lambda: portal.get("/dataset/f2fault-base-0")[0] == 200, 60, "dataset page after PostgreSQL")
        time.sleep(3)
    _assert_outage(load, "PostgreSQL")
    # Back by itself: every kind of read answers again, with no restart of CKAN.
    for path in ("/api/3/action/package_search?q=*:*", "/dataset/?q=fault", "/glossary", "/marketplace"):
        assert portal.get(path)[0] == 200, path
    _assert_acknowledged_once(portal, load)


def test_import_job_through_a_postgres_restart_then_rerun_exactly_once(portal, tmp_path):
    records = 120
    catalog = _catalog(tmp_path, "pgjob", records)
    status, body = portal.action("hhs_catalog_import", {"source": catalog, "division": DIVISION})
    assert status == 200, body
    job_id = body["result"]["job_id"]
    wait_until(lambda: _job(portal, job_id).get("progress", 0) >= 20, 180, "import under way")
    portal.stack.postgres.stop()
    time.sleep(4)
    portal.stack.postgres.start()
    first = _wait_job(portal, job_id)
    # The job finished (a report, or the error that stopped it); what failed is reported, not lost.
    assert first["status"] == "finished", first
    status, body = portal.action("hhs_catalog_import", {"source": catalog, "division": DIVISION})
    assert status == 200, body
    second = _wait_job(portal, body["result"]["job_id"])
    assert second["status"] == "finished" and "error" not in second, second
    assert _identifiers(portal, "pgjob") == {f"pgjob-{n}": 1 for n in range(records)}


def test_search_index_rebuild_is_exact(portal):
    # Datasets stored while the index missed them (or the index of a lost Solr) come back with a rebuild.
    portal.stack.solr.stop()
    import shutil

    shutil.rmtree(os.path.join(portal.stack.solr.home, "ckan", "data"), ignore_errors=True)
    portal.stack.solr.start()
    assert _index_names(portal) == set()
    portal.ckan("search-index", "rebuild")
    wait_until(lambda: _index_names(portal) == _db_names(portal), 30, "index equals database")
    names = _db_names(portal)
    assert len(names) >= 3 + 30 + 120
    status, body, _ = portal.get("/api/3/action/package_search?q=*:*&rows=0")
    assert status == 200 and json.loads(body)["result"]["count"] == len(names) + _db_count(portal, "data-product")


# ---------------------------------------------------------------- helpers


def _db_count(portal: Portal, kind: str) -> int:
    return int(
        portal.stack.postgres.psql(
            f"SELECT count(*) FROM package WHERE state = 'active' AND type = '{kind}'", db="ckan_fault"
        )
    )


def _catalog(tmp_path, prefix: str, n: int) -> str:
    sys.path.insert(0, os.path.join(services.ROOT, "benchmarks"))
    from harvest import scaled_catalog

    catalog = scaled_catalog(n)
    for i, record in enumerate(catalog["dataset"]):
        record["identifier"] = f"{prefix}-{i}"
        record["title"] = f"{prefix} {i} {record['title']}"[:200]
        record["distribution"] = record.get("distribution", [])[:2]
    path = tmp_path / f"{prefix}.json"
    path.write_text(json.dumps(catalog))
    return str(path)


def _job(portal: Portal, job_id: str) -> dict:
    status, body = portal.action("hhs_catalog_import_status", {"id": job_id})
    return body.get("result") or {} if status == 200 else {}


def _wait_job(portal: Portal, job_id: str, seconds: float = 300) -> dict:
    wait_until(lambda: _job(portal, job_id).get("status") in ("finished", "failed"), seconds, f"job {job_id}")
    return _job(portal, job_id)


def _identifiers(portal: Portal, prefix: str) -> dict[str, int]:
    """How many active datasets hold each imported identifier of `prefix`."""
    out = portal.stack.postgres.psql(
        "SELECT pe.value, count(*) FROM package_extra pe JOIN package p ON p.id = pe.package_id "
        f"WHERE pe.key = 'identifier' AND pe.value LIKE '{prefix}-%' AND p.state = 'active' GROUP BY pe.value",
        db="ckan_fault",
    )
    return {line.split("|")[0]: int(line.split("|")[1]) for line in out.splitlines() if line}
