"""DCAT-US 3.0 JSON export benchmark: time per dataset against /data.json's, memory flat in the catalog's size.

    .venv/bin/python benchmarks/dcatus3.py --mapping [--records 20000]   # the mappings alone, no services
    .venv/bin/python benchmarks/dcatus3.py [--small 2000]                # the endpoints, on ckan_bench

`--mapping` maps CMS's catalog scaled to `--records` records with the POD mapping (`pod.to_pod`, what
/data.json runs per dataset) and the DCAT-US 3.0 mapping (`dcatus3.to_dataset`), in this process,
and prints the time per record of each and their ratio (the issue's bound: 1.5x).

Without it, run it after `benchmarks/harvest.py --datasets 20000` (and `benchmarks/catalog.py`, which
adds the `--small` division): for each division and each export, the stored copies are removed from
the benchmark's Redis db, a fresh web process (`ckan run`) is started and asked twice: the first
request builds the copy (nothing else builds it: no job worker runs), the second is served from it.
It prints time to the first byte, total time and the web process's peak memory growth for each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from catalog import PORT, fetch, status  # noqa: E402
from harvest import bench_ini, scaled_catalog, web  # noqa: E402

BENCH_REDIS = ("127.0.0.1", 6379, 2)  # harvest.bench_ini's ckan.redis.url


def mapping(records: int) -> None:
    from ckanext.hhs import dcatus3, pod

    stored = [pod.to_dataset(record) for record in scaled_catalog(records)["dataset"]]
    timings = {}
    for name, convert in (
        ("POD v1.1 (to_pod)", lambda pkg: pod.to_pod(pkg, "CMS")),
        ("DCAT-US 3.0 (to_dataset)", lambda pkg: dcatus3.to_dataset(pkg, "CMS", "https://hub.example/dataset/x")),
    ):
        started = time.perf_counter()
        for pkg in stored:
            json.dumps(convert(pkg), ensure_ascii=False)  # mapped and serialised, as the export does
        timings[name] = (time.perf_counter() - started) / len(stored)
        print(f"{name}: {timings[name] * 1e6:.0f} µs a record ({len(stored)} records)")
    pod_time, ours = timings.values()
    print(f"DCAT-US 3.0 / POD: {ours / pod_time:.2f}x")


def clear_copies() -> None:
    import redis

    host, port, db = BENCH_REDIS
    client = redis.Redis(host=host, port=port, db=db)
    for key in client.scan_iter("hhs:catalog:*"):
        client.delete(key)


def endpoints(small: int) -> None:
    ini = bench_ini()
    results = []
    for org in ("cdc", "cms"):
        for path in ("data.json", "dcat-us-3.json"):
            clear_copies()
            url = f"http://127.0.0.1:{PORT}/organization/{org}/{path}"
            with web(ini, PORT) as process:
                fetch(f"http://127.0.0.1:{PORT}/dataset/")  # warm: templates and plugins loaded
                before = status(process.pid, "VmRSS")
                row = {"url": url}
                for phase in ("build", "copy"):
                    started = time.monotonic()
                    ttfb, size, body = fetch(url)
                    row[phase] = {"ttfb_s": round(ttfb, 3), "total_s": round(time.monotonic() - started, 2)}
                row["datasets"] = len(json.loads(body)["dataset"])
                row["bytes"] = size
                row["peak_growth_mb"] = round((status(process.pid, "VmHWM") - before) / 2**20, 1)
            print(json.dumps(row), flush=True)
            results.append(row)
    by = {(r["url"].split("/")[-2], r["url"].rsplit("/", 1)[-1]): r for r in results}
    for org in ("cdc", "cms"):
        pod_row, ours = by[(org, "data.json")], by[(org, "dcat-us-3.json")]
        ratio = ours["build"]["total_s"] / max(pod_row["build"]["total_s"], 1e-9)
        print(f"{org}: build DCAT-US 3.0 / POD = {ratio:.2f}x; memory {ours['peak_growth_mb']} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mapping", action="store_true", help="time the two mappings in this process only")
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000)
    args = parser.parse_args()
    if args.mapping:
        mapping(args.records)
    else:
        endpoints(args.small)


if __name__ == "__main__":
    main()
