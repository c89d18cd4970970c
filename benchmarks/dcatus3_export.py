"""DCAT-US 3.0 JSON export against the POD v1.1 /data.json export, on a synthetic 20,000-dataset CMS catalog.

    .venv/bin/python benchmarks/dcatus3_export.py [--records 20000] [--rounds 3] [--out benchmarks/results/...]

No services: both exports run in this process over the same datasets, as the stored copies are built
(`catalog/export.py`: each dataset mapped, serialised by `export.stream`, the pieces gzipped as
`catalog/copies.py` stores them). The datasets are CMS's 139 records scaled up to `--records`
(`benchmarks/harvest.py`'s `scaled_catalog`), each as an import stores it (`pod.to_dataset`, the
record kept), made one at a time so that memory measures the export and not the input. Solr's reads are
left out: they are the same for both exports (the same page query), so they would only dilute the ratio.

Each round times POD then DCAT-US 3.0 (interleaved, so both see the same machine); the best round of
each is reported, with the ratio against POD measured in the same run (the issue's bound: 1.5x). Memory:
tracemalloc's peak while streaming a tenth of the records and all of them; flat means the two peaks are
about equal. A third line times the export of records imported from DCAT-US 3.0 (kept as they came).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from harvest import scaled_catalog  # noqa: E402

from ckanext.hhs import dcatus3, pod  # noqa: E402
from ckanext.hhs.catalog import export  # noqa: E402

SITE = "https://hub.example.gov"
DIVISION = {"name": "cms", "title": "Centers for Medicare & Medicaid Services", "acronym": "CMS"}


def _packages(records: list[dict[str, Any]], n: int, dcat_us_3: bool = False) -> Iterator[dict[str, Any]]:
    """n datasets as package_show gives them after an import, made as they are read."""
    for i in range(n):
        record = records[i % len(records)]
        copy_no = i // len(records)
        if copy_no and not dcat_us_3:  # as benchmarks/harvest.py scales CMS up: its own identifier and title
            record = {
                **record,
                "identifier": f"{record['identifier']}-copy-{copy_no}",
                "title": f"{record['title']} (copy {copy_no})",
            }
        if dcat_us_3:
            pkg = {dcatus3.RECORD_FIELD: record, "id": f"id-{i}"}
        else:
            pkg = pod.to_dataset(record)
            pkg["id"] = f"id-{i}"
        pkg["organization"] = {"title": DIVISION["title"]}
        yield pkg


def _pod(pkgs: Iterator[dict[str, Any]]) -> Iterator[str]:
    return export.stream(pod.to_pod(p, p["organization"]["title"]) for p in pkgs)


def _dcatus3(pkgs: Iterator[dict[str, Any]]) -> Iterator[str]:
    datasets = (dcatus3.to_dataset(p, p["organization"]["title"], f"{SITE}/dataset/{p['id']}") for p in pkgs)
    return export.stream(datasets, dcatus3.catalog_head("HHS Data Hub: CMS", DIVISION))


def _run(
    make: Callable[[Iterator[dict[str, Any]]], Iterator[str]], pkgs: Iterator[dict[str, Any]]
) -> tuple[float, int]:
    """Seconds to build the gzipped copy of one export, and its size before gzip."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    size = 0
    started = time.perf_counter()
    for piece in make(pkgs):
        data = piece.encode("utf-8")
        size += len(data)
        packer.compress(data)
    packer.flush()
    return time.perf_counter() - started, size


def _peak(make: Callable[[Iterator[dict[str, Any]]], Iterator[str]], pkgs: Iterator[dict[str, Any]]) -> float:
    tracemalloc.start()
    _run(make, pkgs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--out", default=None, help="results file (default benchmarks/results/dcatus3-export-<n>-<date>.txt)"
    )
    args = parser.parse_args()
    n = args.records
    records = scaled_catalog(139)["dataset"]  # CMS's records, once
    # The hub's own DCAT-US 3.0 records of the same datasets, as a DCAT-US 3.0 import keeps them.
    kept = [
        json.dumps(dcatus3.to_dataset(pkg, DIVISION["title"], f"{SITE}/dataset/{pkg['id']}"))
        for pkg in _packages(records, len(records))
    ]

    lines = [
        f"# benchmarks/dcatus3_export.py --records {n} --rounds {args.rounds}"
        f"  ({dt.datetime.utcnow():%Y-%m-%d %H:%M} UTC)",
        f"# python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start",
    ]
    best: dict[str, tuple[float, int]] = {}
    for round_no in range(args.rounds):
        for label, make, source in (
            ("POD v1.1 /data.json", _pod, lambda: _packages(records, n)),
            ("DCAT-US 3.0 JSON", _dcatus3, lambda: _packages(records, n)),
            ("DCAT-US 3.0 JSON, records imported from DCAT-US 3.0", _dcatus3, lambda: _packages(kept, n, True)),
        ):
            seconds, size = _run(make, source())
            print(f"round {round_no + 1}: {label}: {seconds:.2f} s, {size} bytes", flush=True)
            if label not in best or seconds < best[label][0]:
                best[label] = (seconds, size)
    baseline = best["POD v1.1 /data.json"][0]
    for label, (seconds, size) in best.items():
        lines.append(
            f"{label}: {seconds:.2f} s for {n} datasets, {seconds / n * 1e6:.0f} µs a dataset, "
            f"{size / 2**20:.0f} MB of JSON; {seconds / baseline:.2f}x POD"
        )
    small = max(n // 10, 1)
    for label, make in (("POD v1.1 /data.json", _pod), ("DCAT-US 3.0 JSON", _dcatus3)):
        few, many = _peak(make, _packages(records, small)), _peak(make, _packages(records, n))
        lines.append(f"{label}: peak traced memory {few:.1f} MB at {small} datasets, {many:.1f} MB at {n}")
    ratio = best["DCAT-US 3.0 JSON"][0] / baseline
    lines.append(
        f"DCAT-US 3.0 / POD time per dataset: {ratio:.2f}x (bound 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})"
    )
    text = "\n".join(lines) + "\n"
    print(text)
    out = args.out or os.path.join(ROOT, "benchmarks", "results", f"dcatus3-export-{n // 1000}k-{dt.date.today()}.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
