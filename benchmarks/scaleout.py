"""Scale-out: CKAN with the HHS plugins on a local SolrCloud, two web processes and two job workers.

    .venv/bin/python benchmarks/scaleout.py [--ini test.ini] [--records 60]

A SolrCloud of two nodes (Solr's `MiniSolrCloudCluster` from the solr-test-framework artifacts the
project's Solr launcher already uses, with an embedded ZooKeeper) gets CKAN's schema.xml and our
solrconfig.xml as a configset and a collection of 2 shards x 2 replicas; each shard has a replica on
each node. Every port is one the system picks (never the shared Solr's 8983). CKAN then runs against
the collection (`solr_url` = node 1's URL of the collection) as two gunicorn web processes and two
`ckan jobs worker` processes, on the database and Redis of `--ini` (test.ini's ckan_test by default:
it is the test suite's scratch database; `--ini` may name another), and through the action API:

1. imports two division catalogs (CMS's data.json, `--records` records each, into `cms` and `cdc`) as
   background jobs, one queued on each web process: the two workers run them;
2. searches through both web processes: every imported dataset is found, facets included;
3. the marketplace: a CMS steward publishes a data product over imported datasets, a CDC analyst asks
   for access on the other web process, the steward approves, the analyst's request is approved and
   the product is found in the marketplace search;
4. stops Solr node 2: search through both web processes still answers, with every dataset; then
   starts it again and waits until every replica is active.

It prints each step with its time and exits non-zero on the first failure. tests/test_scaleout.py runs
the same steps on the test database (a short variant, in CI).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv", "bin")
CMS = os.path.join(ROOT, "ckanext", "hhs", "data", "demo", "cms-data.json")
SOLR_LIB = os.path.join(ROOT, "solr", "target", "lib")
LAUNCHER = os.path.join(ROOT, "solr", "src", "main", "java", "gov", "hhs", "solr", "SolrCloudLauncher.java")
COLLECTION = "ckan"
PASSWORD = "scale-out-Passw0rd"


# ---------------------------------------------------------------- SolrCloud
def java_missing() -> str | None:
    """Why SolrCloud cannot run here, or None."""
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (SolrCloud needs Java 17: scripts/stack.sh install)"
    return None


def build_launcher(workdir: str) -> str:
    """The compiled SolrCloud launcher (its classes folder) against the Solr jars Maven resolved into
    solr/target/lib (Maven builds them first when they are missing)."""
    if not os.path.isdir(SOLR_LIB):
        subprocess.run(
            ["mvn", "-B", "-q", f"-Dmaven.repo.local={ROOT}/solr/.m2", "package", "-DskipTests"],
            cwd=os.path.join(ROOT, "solr"),
            check=True,
        )
    classes = os.path.join(workdir, "classes")
    os.makedirs(classes, exist_ok=True)
    subprocess.run(["javac", "-nowarn", "-cp", f"{SOLR_LIB}/*", "-d", classes, LAUNCHER], check=True)
    return classes


def configset(workdir: str) -> str:
    """CKAN's own schema.xml with our solrconfig.xml, as the shared Solr's cores have them."""
    import ckan

    conf = os.path.join(workdir, "configset")
    os.makedirs(conf, exist_ok=True)
    shutil.copy(os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml"), conf)
    shutil.copy(os.path.join(ROOT, "solr", "conf", "solrconfig.xml"), conf)
    for name in ("synonyms.txt", "protwords.txt", "stopwords.txt"):
        open(os.path.join(conf, name), "a").close()
    return conf


class Cloud:
    """A running SolrCloud: `nodes` (base URLs), `collection_url`, `stop(n)`, `start(n)`."""

    def __init__(self, properties: dict[str, str]):
        self.nodes = [properties[k] for k in sorted(properties) if k.startswith("node.")]
        self.control = properties["control"]
        self.zookeeper = properties["zookeeper"]
        self.collection_url = f"{self.nodes[0]}/{COLLECTION}"

    def _control(self, path: str) -> str:
        with urllib.request.urlopen(f"{self.control}{path}", timeout=300) as response:
            return response.read().decode()

    def stop(self, node: int) -> None:
        self._control(f"/stop?node={node}")

    def start(self, node: int) -> None:
        self._control(f"/start?node={node}")

    def replicas(self) -> dict[str, list[tuple[str, str]]]:
        """shard -> [(node, state)] as ZooKeeper sees them, asked through node 1."""
        url = f"{self.nodes[0]}/admin/collections?action=CLUSTERSTATUS&wt=json"
        shards = json.load(urllib.request.urlopen(url, timeout=30))["cluster"]["collections"][COLLECTION]["shards"]
        return {
            name: sorted((r["node_name"], r["state"]) for r in shard["replicas"].values())
            for name, shard in shards.items()
        }


@contextlib.contextmanager
def solrcloud(workdir: str, nodes: int = 2, shards: int = 2, replicas: int = 2, timeout: int = 240) -> Iterator[Cloud]:
    classes = build_launcher(workdir)
    conf = configset(workdir)
    base = os.path.join(workdir, "solrcloud")
    log = open(os.path.join(workdir, "solrcloud.log"), "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            "java",
            "-Xms128m",
            "-Xmx768m",
            f"-Dsolr.log.dir={workdir}",
            "-cp",
            f"{classes}:{SOLR_LIB}/*",
            "gov.hhs.solr.SolrCloudLauncher",
            base,
            conf,
            COLLECTION,
            str(nodes),
            str(shards),
            str(replicas),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        ready = os.path.join(base, "cluster.properties")
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"SolrCloud did not start; its log is {log.name}")
            time.sleep(1)
        with open(ready) as f:
            yield Cloud(dict(line.strip().split("=", 1) for line in f if "=" in line))
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# ---------------------------------------------------------------- CKAN processes
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal_ini(base_ini: str, solr_url: str, workdir: str) -> str:
    """An ini that is `base_ini` but for the Solr collection (and the logging sections gunicorn reads)."""
    path = os.path.join(workdir, "scaleout.ini")
    with open(path, "w") as f:
        f.write(
            f"[app:main]\nuse = config:{os.path.abspath(base_ini)}\nsolr_url = {solr_url}\n"
            "ckan.search.solr_commit = true\n\n"
            "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
            "[logger_root]\nlevel = WARNING\nhandlers = console\n"
            "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
            "[formatter_generic]\nformat = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s\n"
        )
    return path


@contextlib.contextmanager
def portal(ini: str, workdir: str, webs: int = 2, workers: int = 2, timeout: int = 240) -> Iterator[list[str]]:
    """`webs` gunicorn processes (one sync worker each) and `workers` job workers on `ini`; yields the web URLs."""
    log = open(os.path.join(workdir, "ckan.log"), "w")  # noqa: SIM115 (closed below)
    ports = [free_port() for _ in range(webs)]
    processes = [
        subprocess.Popen(
            [os.path.join(VENV, "gunicorn"), "ckanext.hhs.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "1", "--timeout", "120"],
            env={**os.environ, "CKAN_INI": ini},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    processes += [
        subprocess.Popen(
            [os.path.join(VENV, "ckan"), "-c", ini, "jobs", "worker"], stdout=log, stderr=subprocess.STDOUT
        )
        for _ in range(workers)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + timeout
        for url in urls:
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/3/action/status_show", timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                        raise RuntimeError(f"CKAN did not start; its log is {log.name}") from None
                    time.sleep(1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


# ---------------------------------------------------------------- the people and the API
def people(get_action: Callable[[str], Callable[..., Any]], suffix: str = "") -> dict[str, str]:
    """A sysadmin, a CMS steward (editor) and a CDC analyst (member) with API tokens; the divisions
    seeded. Runs in a CKAN app context (the test's, or the script's own)."""
    site = {"ignore_auth": True, "user": get_action("get_site_user")({"ignore_auth": True}, {})["name"]}
    get_action("hhs_divisions_seed")(dict(site), {})
    tokens = {}
    for role, org, capacity in (("admin", None, None), ("steward", "cms", "editor"), ("analyst", "cdc", "member")):
        name = f"scaleout-{role}{suffix}"
        get_action("user_create")(
            dict(site), {"name": name, "email": f"{name}@example.gov", "password": PASSWORD, "fullname": name}
        )
        if org:
            get_action("organization_member_create")(dict(site), {"id": org, "username": name, "role": capacity})
        else:
            import ckan.model as model

            model.User.get(name).sysadmin = True
            model.repo.commit()
        tokens[role] = get_action("api_token_create")({"user": name, "ignore_auth": True}, {"user": name, "name": "s"})[
            "token"
        ]
    return tokens


def api(url: str, action: str, token: str = "", **data: Any) -> Any:
    """One action through the API of one web process; raises with CKAN's error on failure."""
    request = urllib.request.Request(
        f"{url}/api/3/action/{action}",
        data=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": token} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)["result"]
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{action} on {url}: HTTP {e.code}: {e.read()[:1000]!r}") from None


def catalogs(workdir: str, records: int) -> dict[str, str]:
    """CMS's data.json cut to `records` records, once for division cms and once (other titles) for cdc."""
    with open(CMS, encoding="utf-8") as f:
        cms = json.load(f)
    paths = {}
    for division in ("cms", "cdc"):
        chosen = copy.deepcopy(cms["dataset"][:records])
        if division == "cdc":
            for record in chosen:
                record["identifier"] = f"cdc-{record['identifier']}"
                record["title"] = f"{record['title']} (CDC copy)"
        paths[division] = os.path.join(workdir, f"{division}.json")
        with open(paths[division], "w", encoding="utf-8") as f:
            json.dump({**cms, "dataset": chosen}, f)
    return paths


def wait_for(what: str, check: Callable[[], Any], timeout: float = 300, every: float = 1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(every)


def dataset_count(url: str, **extra: Any) -> int:
    return api(url, "package_search", fq="+dataset_type:dataset", rows=0, **extra)["count"]


# ---------------------------------------------------------------- the scenario
def scenario(  # noqa: PLR0915 (one story, told in order)
    cloud: Cloud, urls: list[str], tokens: dict[str, str], workdir: str, records: int, say=print
) -> dict:
    """The four steps above; returns what was measured. Raises on the first failure."""
    report: dict[str, Any] = {"replicas": cloud.replicas()}
    say(f"SolrCloud: {len(cloud.nodes)} nodes, collection {COLLECTION}: {report['replicas']}")
    admin, steward, analyst = tokens["admin"], tokens["steward"], tokens["analyst"]

    started = time.monotonic()
    paths = catalogs(workdir, records)
    jobs = {
        division: api(url, "hhs_catalog_import", admin, source=path, division=division, withdraw="keep")["job_id"]
        for url, (division, path) in zip(urls, paths.items(), strict=True)
    }

    def finished() -> dict | None:
        states = {d: api(urls[0], "hhs_catalog_import_status", admin, id=j) for d, j in jobs.items()}
        if any(s["status"] == "failed" or s.get("error") for s in states.values()):
            raise RuntimeError(f"an import failed: {states}")
        return states if all(s["status"] == "finished" for s in states.values()) else None

    states = wait_for("the two imports", finished, timeout=900, every=2)
    created = {d: s["report"]["summary"]["created"] for d, s in states.items()}
    failed = {d: s["report"]["failed"] for d, s in states.items() if s["report"]["failed"]}
    report["import"] = {"seconds": round(time.monotonic() - started, 1), "created": created, "failed": failed}
    say(f"1. imports as jobs on two workers: {created} datasets in {report['import']['seconds']} s")
    for division, failures in failed.items():
        say(f"   {division}: {len(failures)} record(s) failed: {failures}")
    expected = sum(created.values())
    if expected + sum(len(f) for f in failed.values()) != 2 * records:
        raise RuntimeError(f"{expected} datasets imported and {failed} failed, of {2 * records} records")

    seen: list[Any] = []

    def searched() -> dict | None:
        counts = [dataset_count(url) for url in urls]
        seen[:] = [counts, len(api(urls[0], "package_list", admin))]
        return {"counts": counts} if all(c == expected for c in counts) else None

    try:
        found = wait_for("every imported dataset in the search of both web processes", searched, timeout=60)
    except RuntimeError as e:
        raise RuntimeError(f"{e}: search counts {seen[0]}, {seen[1]} in the database, {expected} imported") from None
    facets = api(urls[1], "package_search", q="medicare", rows=5, **{"facet.field": ["organization", "res_format"]})
    if set(facets["search_facets"]["organization"]["items"][0]) < {"name", "count"} or not facets["count"]:
        raise RuntimeError(f"no facets or no results for 'medicare': {facets['search_facets']}")
    report["search"] = {**found, "medicare": facets["count"]}
    say(f"2. search through both web processes: {found['counts']} datasets; 'medicare' {facets['count']}, faceted")

    started = time.monotonic()
    components = api(urls[0], "package_search", fq="+organization:cms +dataset_type:dataset", rows=2)["results"]
    product = api(
        urls[0],
        "package_create",
        steward,
        type="data-product",
        name="scaleout-medicare-product",
        title="Medicare data for scale-out",
        notes="Data product made by the scale-out run.",
        owner_org="cms",
        product_status="active",
        product_type="dataset_bundle",
        access_terms="standard",
        cost_model="free",
        standard_terms="Use only for the stated purpose.",
        max_access_days=90,
        component_datasets=[c["name"] for c in components],
    )
    end = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 30 * 86400))
    asked = api(
        urls[1],
        "hhs_marketplace_request_create",
        analyst,
        product=product["name"],
        purpose="Scale-out check",
        project="Scale-out",
        end_date=end,
        accept_terms=True,
    )
    # A product of public datasets opens at once (the request is recorded approved); else the steward approves
    # on the other web process.
    decided = (
        asked
        if asked["status"] == "approved"
        else api(urls[0], "hhs_marketplace_request_approve", steward, id=asked["id"])
    )
    shown = api(urls[1], "hhs_marketplace_request_show", analyst, id=asked["id"])

    def product_found() -> int:
        return api(urls[1], "package_search", fq=f"+dataset_type:data-product +name:{product['name']}", rows=0)["count"]

    wait_for("the product in the marketplace search", product_found, timeout=60)
    report["marketplace"] = {
        "seconds": round(time.monotonic() - started, 1),
        "request": shown["status"],
        "approved_as": decided["status"],
    }
    say(f"3. marketplace: product published, request {shown['status']} in {report['marketplace']['seconds']} s")
    if shown["status"] != "approved":
        raise RuntimeError(f"the access request is {shown['status']}, not approved")

    total = dataset_count(urls[0])
    cloud.stop(2)
    try:
        started = time.monotonic()

        def answering() -> list[int] | None:
            # Until ZooKeeper and node 1 have dropped node 2 (a few seconds), a query may still be sent
            # to it and CKAN answers 503; production's load balancer has the same short window.
            try:
                counts = [dataset_count(url) for url in urls]
            except RuntimeError:
                return None
            return counts if counts == [total] * len(urls) else None

        counts = wait_for(f"search with node 2 stopped to answer all {total} datasets", answering, timeout=90)
        failover = round(time.monotonic() - started, 1)
        page = urllib.request.urlopen(f"{urls[1]}/dataset/?q=medicare", timeout=60)
        report["node_down"] = {"counts": counts, "failover_seconds": failover, "page": page.status}
        say(f"4. Solr node 2 stopped: search answers {counts} (of {total}) after {failover} s, page HTTP {page.status}")
        if page.status != 200:
            raise RuntimeError(f"with node 2 stopped the search page answered HTTP {page.status}")
    finally:
        started = time.monotonic()
        cloud.start(2)
    report["node_back_seconds"] = round(time.monotonic() - started, 1)
    say(f"   node 2 started again, every replica active after {report['node_back_seconds']} s")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"), help="database and Redis to use")
    parser.add_argument("--records", type=int, default=60, help="records imported into each of two divisions")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, Solr data)")
    args = parser.parse_args()
    if reason := java_missing():
        sys.exit(reason)
    workdir = tempfile.mkdtemp(prefix="hhs-scaleout-", dir=os.path.join(ROOT, "var"))
    ckan = [os.path.join(VENV, "ckan"), "-c", args.ini]
    print(f"Resetting the database of {args.ini}; work folder {workdir}")
    for command in (["db", "clean", "--yes"], ["db", "init"]):
        subprocess.run([*ckan, *command], check=True, capture_output=True)
    for plugin in ("harvest", "hhs_glossary", "hhs_marketplace", "hhs_lakehouse", "hhs_governance"):
        subprocess.run([*ckan, "db", "upgrade", "-p", plugin], check=False, capture_output=True)

    import ckan.plugins.toolkit as tk
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(args.ini))
    with app._wsgi_app.test_request_context():
        tokens = people(tk.get_action)
    try:
        with solrcloud(workdir) as cloud:
            ini = portal_ini(args.ini, cloud.collection_url, workdir)
            with portal(ini, workdir) as urls:
                scenario(cloud, urls, tokens, workdir, args.records)
        print("Scale-out: every step passed")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
