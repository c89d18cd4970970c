"""Overhead against stock CKAN: the same database, Solr core and web server, with and without the HHS plugins.

    .venv/bin/python benchmarks/overhead.py [--repeat 40] [--creates 15] [--out FILE]
    .venv/bin/python benchmarks/overhead.py --profile [--repeat 10]    # where the dataset page's time goes

Run it after `benchmarks/harvest.py --datasets 20000` (division `cms` of ckan_bench holds the datasets).
Two gunicorn processes (one sync worker each, `ckanext.hhs.wsgi:application`, as the demo serves CKAN) run
at the same time on the benchmark services: "hhs" with the portal's plugins (CKAN's `activity` plus
test.ini's list, as `make demo` runs them) and "stock" with `activity` only. Each repetition measures
both on the same input, in alternating order, so the machine's noise falls on both alike:

- package_create: a copy of a CMS dataset (its 29 distributions on average) in a division of its own
  (`bench-overhead`), by a sysadmin over the API; stock gets the HHS fields as extras, the way stock CKAN
  keeps custom metadata. The datasets made here are purged at the end (never any other).
- package_show: a CMS dataset by name, anonymously.
- package_search: a word query with seven facet fields, 20 rows, anonymously.
- dataset page: /dataset/<name>, anonymously.

It prints, per operation, the median and p95 of each side and their ratios (hhs / stock).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from harvest import CKAN, bench_ini  # noqa: E402

GUNICORN = os.path.join(ROOT, ".venv", "bin", "gunicorn")
SOLR = "http://127.0.0.1:8983/solr/ckan_bench"
PORTS = {"hhs": 5061, "stock": 5062}
USER = "overhead-bench"
ORG = "bench-overhead"
WORDS = ["medicare", "hospital", "provider", "payment", "quality", "nursing", "drug", "physician", "county", "state"]
FACETS = [
    "organization",
    "tags",
    "res_format",
    "license_id",
    "access_level",
    "vocab_health_theme",
    "completeness_band",
]
# Fields stock CKAN's default schema keeps at the top level of a dataset; the rest become extras there.
STOCK_FIELDS = {
    "name",
    "title",
    "notes",
    "owner_org",
    "private",
    "url",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license_id",
    "tags",
    "resources",
}
SERVER_KEYS = {"id", "metadata_created", "metadata_modified", "revision_id", "creator_user_id", "state"}
SERVER_KEYS |= {"organization", "num_resources", "num_tags", "relationships_as_object", "relationships_as_subject"}
SERVER_KEYS |= {"groups", "isopen", "license_title", "license_url", "type", "hhs_findings", "source_catalog"}
SERVER_KEYS |= {"source_hash", "completeness", "tag_string"}


def ini_files(hhs_config: list[str] | None = None) -> dict[str, str]:
    """hhs.ini and stock.ini under var/overhead/: bench.ini with each side's plugins (and `hhs_config`,
    KEY=VALUE pairs, on the hhs side)."""
    bench = bench_ini()
    folder = os.path.join(ROOT, "var", "overhead")
    os.makedirs(folder, exist_ok=True)
    plugins = _ini_get(os.path.join(ROOT, "test.ini"), "ckan.plugins")
    paths = {}
    for side, value in (("hhs", f"activity {plugins}"), ("stock", "activity")):
        path = os.path.join(folder, f"{side}.ini")
        subprocess.run(["cp", bench, path], check=True)
        subprocess.run(
            [CKAN, "config-tool", path, f"ckan.plugins={value}", f"ckan.site_url=http://127.0.0.1:{PORTS[side]}"]
            + ((hhs_config or []) if side == "hhs" else []),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # CKAN's INFO lines on every request would time the log, not the portal.
        subprocess.run(
            [CKAN, "config-tool", path, "-s", "logger_ckan", "level=WARNING"], check=True, stdout=subprocess.DEVNULL
        )
        subprocess.run(
            [CKAN, "config-tool", path, "-s", "logger_ckanext", "level=WARNING"], check=True, stdout=subprocess.DEVNULL
        )
        paths[side] = path
    # Both sides keep activity streams: ckan_bench gets the activity plugin's tables (a no-op once done).
    subprocess.run([CKAN, "-c", paths["stock"], "db", "upgrade", "-p", "activity"], check=True, capture_output=True)
    return paths


def _ini_get(path: str, key: str) -> str:
    import configparser

    parser = configparser.RawConfigParser(strict=False)
    parser.read(path)
    return parser.get("app:main", key)


@contextlib.contextmanager
def servers(inis: dict[str, str]):
    log = open(os.path.join(ROOT, "var", "log", "bench-overhead.log"), "w")  # noqa: SIM115 (closed below)
    processes = {
        side: subprocess.Popen(
            [GUNICORN, "ckanext.hhs.wsgi:application", "--bind", f"127.0.0.1:{PORTS[side]}", "--workers", "1"],
            env={**os.environ, "CKAN_INI": ini},
            stdout=log,
            stderr=log,
        )
        for side, ini in inis.items()
    }
    try:
        for side, process in processes.items():
            for _ in range(180):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{PORTS[side]}/api/3/action/status_show", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None:
                        sys.exit(f"The {side} web process ended; see var/log/bench-overhead.log")
                    time.sleep(1)
        yield
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait()
        log.close()


def call(side: str, path: str, data: dict | None = None, token: str = "") -> tuple[float, bytes]:
    """(seconds, body) of one request to one side; raises on anything but HTTP 200."""
    headers = {"Authorization": token} if token else {}
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(f"http://127.0.0.1:{PORTS[side]}{path}", data=body, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            content = response.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"{side} {path}: HTTP {e.code}: {e.read()[:2000]!r}")
    return time.perf_counter() - started, content


def api_token(ini: str) -> str:
    """An API token of a sysadmin made for the benchmark (the user is kept between runs)."""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    ckan = [CKAN, "-c", ini]
    subprocess.run(
        [*ckan, "user", "add", USER, f"email={USER}@example.gov", "password=overhead-bench-pass-1"],
        check=False,  # the user is there from an earlier run
        **quiet,
    )
    subprocess.run([*ckan, "sysadmin", "add", USER], check=True, **quiet)
    out = subprocess.run(
        [*ckan, "user", "token", "add", USER, "overhead"], check=True, capture_output=True, text=True
    ).stdout
    return out.strip().splitlines()[-1].strip()


def dataset_names(count: int) -> list[str]:
    query = urllib.parse.urlencode(
        {"q": "*:*", "fq": "+organization:cms +dataset_type:dataset +capacity:public", "fl": "name", "rows": count}
    )
    docs = json.load(urllib.request.urlopen(f"{SOLR}/select?{query}&sort=name+asc&wt=json"))["response"]["docs"]
    return [d["name"] for d in docs]


def create_payloads(token: str, name: str) -> dict[str, dict]:
    """The dataset to create on each side: a copy of `name` as the HHS portal shows it."""
    _, body = call("hhs", f"/api/3/action/package_show?id={name}", token=token)
    pkg = json.loads(body)["result"]
    hhs = {k: v for k, v in pkg.items() if k not in SERVER_KEYS}
    hhs["tags"] = [{"name": t["name"]} for t in pkg.get("tags", [])]
    hhs["resources"] = [
        {k: v for k, v in res.items() if k not in ("id", "package_id", "created", "metadata_modified", "position")}
        for res in pkg.get("resources", [])
    ]
    hhs.pop("identifier", None)  # a new record, not a second copy of the division's record
    hhs["owner_org"] = ORG
    stock = {k: v for k, v in hhs.items() if k in STOCK_FIELDS}
    stock["extras"] = [
        {"key": k, "value": v if isinstance(v, str) else json.dumps(v)}
        for k, v in hhs.items()
        if k not in STOCK_FIELDS and k != "extras" and v not in (None, "", [], {})
    ]
    return {"hhs": hhs, "stock": stock}


def ensure_org(token: str) -> None:
    _, body = call("stock", "/api/3/action/organization_list", {"organizations": [ORG]})
    if not json.loads(body)["result"]:
        call("stock", "/api/3/action/organization_create", {"name": ORG, "title": "Overhead benchmark"}, token)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> str:
    inis = ini_files(args.hhs_config)
    count = json.load(urllib.request.urlopen(f"{SOLR}/select?q=*:*&rows=0&fq=dataset_type:dataset&wt=json"))[
        "response"
    ]["numFound"]
    token = api_token(inis["hhs"])
    names = dataset_names(max(args.repeat, 1))
    times: dict[str, dict[str, list[float]]] = {}
    created: dict[str, list[str]] = {"hhs": [], "stock": []}

    def measure(op: str, rep: int, request) -> None:
        order = ("hhs", "stock") if rep % 2 == 0 else ("stock", "hhs")
        for side in order:
            seconds, body = request(side)
            times.setdefault(op, {"hhs": [], "stock": []})[side].append(seconds)
            if op == "package_create":
                created[side].append(json.loads(body)["result"]["id"])

    with servers(inis):
        ensure_org(token)
        payloads = create_payloads(token, names[0])
        for side in PORTS:  # warm up: templates compiled, caches filled, connections made
            for name in names[:3]:
                call(side, f"/dataset/{name}")
                call(side, f"/api/3/action/package_show?id={name}")
            call(side, "/api/3/action/package_search?q=medicare")
        started = time.monotonic()
        try:
            for rep in range(args.repeat):
                name = names[rep % len(names)]
                word = WORDS[rep % len(WORDS)]
                search = urllib.parse.urlencode(
                    {"q": word, "rows": 20, "facet.field": json.dumps(FACETS), "facet.limit": 50}
                )
                if rep < args.creates:
                    stamp = f"{os.getpid()}-{rep}"
                    measure(
                        "package_create",
                        rep,
                        lambda side, stamp=stamp: call(
                            side,
                            "/api/3/action/package_create",
                            {**payloads[side], "name": f"overhead-{side}-{stamp}"},
                            token,
                        ),
                    )
                measure(
                    "package_show", rep, lambda side, name=name: call(side, f"/api/3/action/package_show?id={name}")
                )
                measure("package_search", rep, lambda side, q=search: call(side, f"/api/3/action/package_search?{q}"))
                measure("dataset page", rep, lambda side, name=name: call(side, f"/dataset/{name}"))
        finally:
            for side, ids in created.items():
                for pid in ids:
                    call(side, "/api/3/action/dataset_purge", {"id": pid}, token)
        elapsed = time.monotonic() - started

    lines = [
        f"# Overhead against stock CKAN, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"# machine: {platform.node()}, {_cpu()}, {os.cpu_count()} cores, {_memory()}, "
        f"Python {platform.python_version()}",
        f"# {count} datasets in ckan_bench (Solr core ckan_bench); {args.repeat} repetitions "
        f"({args.creates} for package_create), interleaved; {elapsed:.0f} s",
        "# hhs = activity + " + _ini_get(os.path.join(ROOT, "test.ini"), "ckan.plugins"),
        *(f"#   with {option}" for option in args.hhs_config or []),
        "# stock = activity; both: gunicorn, 1 sync worker, ckanext.hhs.wsgi:application",
        "",
        f"{'operation':16} {'hhs median':>11} {'hhs p95':>9} {'stock median':>13} {'stock p95':>10} "
        f"{'ratio median':>13} {'ratio p95':>10}",
    ]
    for op, sides in times.items():
        h, s = sides["hhs"], sides["stock"]
        hm, sm, hp, sp = statistics.median(h), statistics.median(s), percentile(h, 0.95), percentile(s, 0.95)
        lines.append(
            f"{op:16} {hm * 1000:9.1f}ms {hp * 1000:7.1f}ms {sm * 1000:11.1f}ms {sp * 1000:8.1f}ms "
            f"{hm / sm:12.2f}x {hp / sp:9.2f}x{'' if hm / sm <= 1.2 else '   over the 1.2x target'}"
        )
    return "\n".join(lines)


def _cpu() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        return f"{int(f.readline().split()[1]) / 2**20:.0f} GB RAM"
    return "unknown RAM"


def profile(args: argparse.Namespace) -> None:
    """The dataset page rendered in process under pyinstrument, `--repeat` times after a warm-up."""
    from pyinstrument import Profiler
    from werkzeug.test import Client

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    ini = ini_files(args.hhs_config)["hhs"]
    app = make_app(load_config(ini))
    client = Client(app)
    names = dataset_names(args.repeat + 3)
    for name in names[:3]:
        assert client.get(f"/dataset/{name}").status_code == 200, name
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for name in names[3:]:
            assert client.get(f"/dataset/{name}").status_code == 200, name
    per_page = (time.perf_counter() - started) / args.repeat
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{per_page * 1000:.1f} ms per dataset page (in process, under the profiler)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=40, help="repetitions of each operation on each side")
    parser.add_argument("--creates", type=int, default=15, help="repetitions of package_create (at most --repeat)")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument(
        "--hhs-config",
        action="append",
        metavar="KEY=VALUE",
        help="an option of the hhs side, e.g. extra_template_paths=DIR to measure a template change",
    )
    parser.add_argument("--profile", action="store_true", help="profile the HHS dataset page instead")
    args = parser.parse_args()
    if args.profile:
        profile(args)
        return
    report = run(args)
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
