"""Catalog export benchmark: /data.json against ckanext-dcat's catalog endpoint over the same datasets.

    .venv/bin/python benchmarks/catalog.py [--small 2000]

Run it after `benchmarks/harvest.py --datasets 20000`, which leaves 20,000 datasets (CMS's catalog
scaled up) in division `cms` of the benchmark database (ckan_bench). This script adds `--small`
records to division `cdc` (skipped when they are there), then, for each listing, starts a fresh web
process (`ckan run`) and measures one full read: time to the first byte, total time, and the growth
of the web process's peak resident memory (VmHWM minus the resident memory before the request).
The baseline is ckanext-dcat's `/catalog.jsonld` with the same filter, every page.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from harvest import CKAN, bench_ini, scaled_catalog, web  # noqa: E402

PORT = 5055
DCAT_PAGE = 100


def status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def fetch(url: str) -> tuple[float, int, bytes]:
    """(seconds to the first byte, bytes, body)"""
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=3600) as response:
        first = response.read(1)
        ttfb = time.monotonic() - started
        body = first + response.read()
    return ttfb, len(body), body


def measure(ini: str, label: str, urls) -> dict:
    with web(ini, PORT) as process:
        fetch(f"http://127.0.0.1:{PORT}/dataset/")  # warm: templates and plugins loaded
        before = status(process.pid, "VmRSS")
        started = time.monotonic()
        ttfb, size = None, 0
        for url in urls():
            first, n, _body = fetch(url)
            ttfb = first if ttfb is None else ttfb
            size += n
        total = time.monotonic() - started
        growth = status(process.pid, "VmHWM") - before
    result = {
        "label": label,
        "ttfb_s": round(ttfb, 3),
        "total_s": round(total, 2),
        "bytes": size,
        "peak_growth_mb": round(growth / 2**20, 1),
    }
    print(json.dumps(result), flush=True)
    return result


def dcat_pages(fq: str, datasets: int):
    """Every page of ckanext-dcat's catalog for `fq` (ckanext.dcat.datasets_per_page, default 100)."""

    def urls():
        for page in range(1, -(-datasets // DCAT_PAGE) + 1):
            yield f"http://127.0.0.1:{PORT}/catalog.jsonld?fq={urllib.parse.quote(fq)}&page={page}"

    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--no-baseline", action="store_true", help="measure /data.json only")
    args = parser.parse_args()
    ini = bench_ini()

    def count(org: str) -> int:
        solr = "http://127.0.0.1:8983/solr/ckan_bench/select?q=*:*&rows=0&wt=json&fq=dataset_type:dataset"
        return json.load(urllib.request.urlopen(f"{solr}&fq=organization:{org}"))["response"]["numFound"]

    large = count("cms")
    if large < 10_000:
        sys.exit("Run benchmarks/harvest.py --datasets 20000 first (it fills division cms of ckan_bench).")
    if count("cdc") < args.small:
        path = os.path.join(ROOT, "var", "bench-small.json")
        with open(path, "w") as f:
            json.dump(scaled_catalog(args.small), f)
        subprocess.run(
            [CKAN, "-c", ini, "hhs", "import-catalog", path, "--division", "cdc"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    small = count("cdc")
    print(f"division cdc: {small} datasets; division cms: {large} datasets")
    results = {}
    for org, n in (("cdc", small), ("cms", large)):
        results[("datajson", n)] = measure(
            ini,
            f"/organization/{org}/data.json ({n})",
            lambda org=org: iter([f"http://127.0.0.1:{PORT}/organization/{org}/data.json"]),
        )
        if args.no_baseline:
            continue
        results[("dcat", n)] = measure(
            ini,
            f"ckanext-dcat /catalog.jsonld?fq=organization:{org}, all pages ({n})",
            dcat_pages(f"organization:{org}", n),
        )
    ours = results[("datajson", large)]
    print(
        f"Peak memory growth of /data.json: {results[('datajson', small)]['peak_growth_mb']} MB at {small}, "
        f"{ours['peak_growth_mb']} MB at {large}"
    )
    if args.no_baseline:
        return
    theirs = results[("dcat", large)]
    print(
        f"\nAt {large}: /data.json total {ours['total_s']} s vs ckanext-dcat {theirs['total_s']} s "
        f"({theirs['total_s'] / ours['total_s']:.1f}x faster); time per dataset "
        f"{1000 * ours['total_s'] / large:.2f} ms vs {1000 * theirs['total_s'] / large:.2f} ms"
    )


if __name__ == "__main__":
    main()
