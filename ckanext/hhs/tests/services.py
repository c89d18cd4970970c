"""Private PostgreSQL, Redis and Solr instances for the fault and load tests.

The shared services (5432, 6379, 8983) serve every developer and the demo; the fault tests stop and
restart theirs, so each instance here lives under its own folder, on its own loopback port, and is
started and stopped by the test (or benchmark) that owns it:

    with Stack(tmpdir) as stack:       # PostgreSQL, Redis and Solr up, each on a free port
        stack.solr.stop(); ...; stack.solr.start()

`missing()` names the binary a machine lacks, so a test can skip with that reason.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import ckan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PG_BIN = "/usr/lib/postgresql/15/bin"
SOLR_CLASSES = os.path.join(ROOT, "solr", "target", "classes")
SOLR_LIB = os.path.join(ROOT, "solr", "target", "lib")
PG_ROLE, PG_PASSWORD = "ckan_default", "pass"


def missing() -> str | None:
    """Why the private services cannot run here, or None."""
    for path in (os.path.join(PG_BIN, "initdb"), os.path.join(PG_BIN, "pg_ctl")):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (Debian package postgresql-15)"
    for name in ("redis-server", "java"):
        if not shutil.which(name):
            return f"{name} is not on PATH"
    if not os.path.isdir(SOLR_LIB) or not os.path.isdir(SOLR_CLASSES):
        return f"Solr's jars are not built ({SOLR_LIB}; run scripts/stack.sh install)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, seconds: float, what: str, log: str | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = ""
    if log and os.path.exists(log):
        with open(log, errors="replace") as f:
            tail = "".join(f.readlines()[-20:])
    raise RuntimeError(f"{what} did not come up within {seconds}s\n{tail}")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Postgres:
    """A PostgreSQL 15 cluster of its own (initdb) under `base`, run by pg_ctl.

    As root, PostgreSQL refuses to run: the cluster then belongs to the `postgres` user.
    """

    def __init__(self, base: str, port: int | None = None):
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user:
            # The postgres user must reach its folder: pytest's temp folders are private to root.
            base = tempfile.mkdtemp(prefix="hhs-pg-", dir="/tmp")
            self._own_base = True
        else:
            self._own_base = False
        self.base = base
        self.data = os.path.join(base, "data")
        self.sock = os.path.join(base, "sock")
        self.log = os.path.join(base, "postgres.log")
        self.port = port or free_port()

    def remove(self) -> None:
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._user:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        os.makedirs(self.sock, exist_ok=True)
        if self._user:
            uid = pwd.getpwnam(self._user)
            for path in (self.base, self.sock):
                os.chown(path, uid.pw_uid, uid.pw_gid)
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self._run(f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c shared_buffers=128MB -c max_connections=100"
        )
        self._run(f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start")
        _wait(lambda: _port_open(self.port), 30, "PostgreSQL", self.log)

    def stop(self, mode: str = "fast") -> None:
        self._run(f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def psql(self, sql: str, db: str = "postgres") -> str:
        cmd = ["psql", "-X", "-q", "-tA", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db]
        return subprocess.run([*cmd, "-c", sql], check=True, capture_output=True, text=True).stdout.strip()

    def create_database(self, name: str) -> str:
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{PG_ROLE}'"):
            self.psql(f"CREATE ROLE {PG_ROLE} LOGIN PASSWORD '{PG_PASSWORD}'")
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            self.psql(f"CREATE DATABASE {name} OWNER {PG_ROLE} ENCODING 'utf-8' TEMPLATE template0")
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:{self.port}/{name}"


class Redis:
    def __init__(self, base: str, port: int | None = None):
        self.base = base
        self.port = port or free_port()
        self.log = os.path.join(base, "redis.log")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        os.makedirs(self.base, exist_ok=True)
        # Jobs queued while the web process runs must outlive a restart: an append-only file, as a
        # production Redis that holds queues keeps.
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.base,
             "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile", self.log],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(lambda: _port_open(self.port), 20, "Redis", self.log)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Solr:
    """Solr 9 through the project's launcher (solr/), with a home of its own holding core `ckan`."""

    def __init__(self, base: str, port: int | None = None, heap: str = "512m"):
        self.base = base
        self.home = os.path.join(base, "home")
        self.port = port or free_port()
        self.heap = heap
        self.log = os.path.join(base, "solr.log")
        self.process: subprocess.Popen | None = None

    def layout(self) -> None:
        conf = os.path.join(self.home, "ckan", "conf")
        os.makedirs(conf, exist_ok=True)
        shutil.copy(os.path.join(ROOT, "solr", "conf", "solr.xml"), self.home)
        schema = os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml")
        shutil.copy(schema, conf)
        shutil.copy(os.path.join(ROOT, "solr", "conf", "solrconfig.xml"), conf)
        for name in ("synonyms.txt", "protwords.txt", "stopwords.txt"):
            open(os.path.join(conf, name), "a").close()
        with open(os.path.join(self.home, "ckan", "core.properties"), "w") as f:
            f.write("name=ckan\n")

    def start(self) -> None:
        if not os.path.exists(os.path.join(self.home, "solr.xml")):
            self.layout()
        log = open(self.log, "ab")  # noqa: SIM115 - kept open by the child
        self.process = subprocess.Popen(
            ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", f"-Dsolr.log.dir={self.base}",
             f"-Dsolr.install.dir={self.home}", f"-DhostPort={self.port}",
             "-cp", f"{SOLR_CLASSES}:{SOLR_LIB}/*", "gov.hhs.solr.SolrLauncher", self.home, str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        _wait(self.ready, 120, "Solr", self.log)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url()}/select?q=*:*&rows=0", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/solr/ckan"


class Stack:
    """PostgreSQL, Redis and Solr of their own under `base`, started together, stopped together."""

    def __init__(self, base: str, solr_heap: str = "512m"):
        self.postgres = Postgres(os.path.join(base, "pg"))
        self.redis = Redis(os.path.join(base, "redis"))
        self.solr = Solr(os.path.join(base, "solr"), heap=solr_heap)

    def __enter__(self) -> Stack:
        try:
            self.postgres.init()
            self.postgres.start()
            self.redis.start()
            self.solr.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.solr.stop()
        self.redis.stop()
        self.postgres.stop("immediate")
        self.postgres.remove()


LOGGING = """
[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARN
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic
[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""


def write_ini(stack: Stack, path: str, database: str, site_url: str, site_id: str) -> str:
    """A CKAN ini on `stack`: test.ini's settings (or $HHS_TEST_BASE_INI's), this stack's services, a
    database of its own."""
    db = stack.postgres.create_database(database)
    base = os.environ.get("HHS_TEST_BASE_INI") or os.path.join(ROOT, "test.ini")
    with open(path, "w") as f:
        f.write(
            f"[app:main]\nuse = config:{base}\n"
            f"sqlalchemy.url = {db}\nsolr_url = {stack.solr.url()}\n"
            f"ckan.redis.url = {stack.redis.url(0)}\n"
            f"ckan.storage_path = {os.path.join(os.path.dirname(path), 'storage')}\n"
            f"ckan.site_url = {site_url}\nckan.site_id = {site_id}\n"
            # A stopped Solr refuses connections at once; a hung one must not hold a worker a minute.
            "solr_timeout = 10\n" + LOGGING
        )
    return path


def ckan_cli(ini: str, *args: str, timeout: float = 900) -> str:
    """Runs `ckan -c ini ARGS` and returns its output; fails with the output's tail."""
    result = subprocess.run(
        [os.path.join(ROOT, ".venv", "bin", "ckan"), "-c", ini, *args],
        check=False, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"ckan {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout
