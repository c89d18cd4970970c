"""Glossary benchmark: 10,000 terms; autocomplete and term page latency on loopback.

    .venv/bin/python benchmarks/glossary.py [--terms 10000] [--requests 300]

Loads synthetic terms (the starter glossary's terms with numbered variants, in a hierarchy) into the
benchmark database (ckan_bench) through `hhs_glossary_import`, starts a web process (`ckan run`) and
times requests one after another: the glossary autocomplete against CKAN's own tag autocomplete as the
baseline, then term pages, then the duplicate check a proposal runs (`hhs_glossary_term_similar`) with
the comparison by meaning against the same check by names and words only (a second web process with
`ckanext.hhs.glossary.similar_by_meaning = false`). Reports p50 and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from harvest import CKAN, bench_ini, web  # noqa: E402

PORT = 5056
SEED = os.path.join(ROOT, "ckanext", "hhs", "glossary", "data", "hhs-glossary.csv")
WORDS = [
    "regional",
    "annual",
    "pediatric",
    "adjusted",
    "provisional",
    "county",
    "monthly",
    "federal",
    "state",
    "clinical",
]


def synthetic(n: int) -> str:
    with open(SEED, encoding="utf-8") as f:
        base = list(csv.DictReader(f))
    rows = []
    for i in range(n):
        row = dict(base[i % len(base)])
        copy_no = i // len(base)
        if copy_no:
            word = WORDS[copy_no % len(WORDS)]
            row["name"] = f"{row['name']}-{copy_no}"
            row["displayName"] = f"{row['displayName']} ({word} {copy_no})"
            row["parent"] = f"{row['parent']}-{copy_no}" if row["parent"] else ""
            row["relatedTerms"] = ";".join(
                f"{r.split('|')[0]}-{copy_no}|{r.split('|')[1]}" if "|" in r else f"{r}-{copy_no}"
                for r in row["relatedTerms"].split(";")
                if r
            )
        rows.append(row)
    names = {r["name"] for r in rows}
    for row in rows:  # the last copy is cut short: keep links to terms that are in the file
        row["relatedTerms"] = ";".join(r for r in row["relatedTerms"].split(";") if r and r.split("|")[0] in names)
        row["parent"] = row["parent"] if row["parent"] in names else ""
    path = os.path.join(ROOT, "var", "bench-glossary.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(base[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def timed(url: str, token: str = "") -> float:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        assert response.status == 200, url
    return (time.perf_counter() - started) * 1000


def report(label: str, samples: list[float]) -> float:
    p95 = statistics.quantiles(samples, n=20)[18]
    print(f"{label:44} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   (n={len(samples)})", flush=True)
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    ini = bench_ini()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([CKAN, "-c", ini, "db", "upgrade", "-p", "hhs_glossary"], check=True, **quiet)
    subprocess.run([CKAN, "-c", ini, "hhs", "seed-divisions"], check=True, **quiet)
    started = time.monotonic()
    subprocess.run([CKAN, "-c", ini, "hhs", "glossary", "import", synthetic(args.terms)], check=True, **quiet)
    print(f"{args.terms} terms imported in {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()  # terms an earlier run imported before definitions were embedded
    subprocess.run([CKAN, "-c", ini, "hhs", "glossary", "embed"], check=True, **quiet)
    print(f"definitions without an embedding embedded in {time.monotonic() - started:.0f} s", flush=True)

    base = f"http://127.0.0.1:{PORT}"
    with web(ini, PORT):
        rng = random.Random(7)
        prefixes = ["med", "bene", "enc", "prov", "rac", "clai", "lab", "dia", "npi", "hc", "im", "pa"]
        for p in prefixes:  # warm both endpoints
            timed(f"{base}/api/2/util/hhs_glossary/autocomplete?incomplete={p}")
            timed(f"{base}/api/2/util/tag/autocomplete?incomplete={p}")
        ours = [
            timed(f"{base}/api/2/util/hhs_glossary/autocomplete?incomplete={rng.choice(prefixes)}")
            for _ in range(args.requests)
        ]
        tags = [
            timed(f"{base}/api/2/util/tag/autocomplete?incomplete={rng.choice(prefixes)}") for _ in range(args.requests)
        ]
        with open(os.path.join(ROOT, "var", "bench-glossary.csv"), encoding="utf-8") as f:
            slugs = [r["name"] for r in csv.DictReader(f)]
        pages = [timed(f"{base}/glossary/{rng.choice(slugs)}") for _ in range(max(args.requests // 3, 50))]
        checks = duplicate_checks(base, token(ini), args.requests // 6)
    words_ini = ini.replace(".ini", "-words.ini")
    subprocess.run(["cp", ini, words_ini], check=True)
    words_only = "ckanext.hhs.glossary.similar_by_meaning=false"
    subprocess.run([CKAN, "config-tool", words_ini, words_only], check=True, **quiet)
    with web(words_ini, PORT):
        baseline_checks = duplicate_checks(base, token(ini), args.requests // 6)
    p95 = report("glossary autocomplete", ours)
    report("baseline: CKAN tag autocomplete", tags)
    report("term page", pages)
    check_p95 = report("duplicate check, names + words + meaning", checks)
    words_p95 = report("baseline: duplicate check, names + words", baseline_checks)
    print(f"\nautocomplete p95 {p95:.1f} ms (target <= 50 ms)")
    print(f"duplicate check p95 with meaning: {check_p95 / words_p95:.1f}x that of names and words only")


def token(ini: str) -> str:
    """An API token of the site user (the duplicate check is for logged-in users)."""
    out = subprocess.run(
        [CKAN, "-c", ini, "user", "token", "add", "hhs_bench", "glossary-benchmark"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip().splitlines()[-1].strip()


def duplicate_checks(base: str, api_token: str, n: int) -> list[float]:
    """What /glossary/new asks when a term is proposed: a new name with a starter definition reworded."""
    with open(SEED, encoding="utf-8") as f:
        definitions = [r["description"] for r in csv.DictReader(f)]
    rng = random.Random(11)
    samples = []
    for i in range(n + 3):
        words = rng.choice(definitions).split()
        rng.shuffle(words)  # the same words in another order: a different sentence each time
        query = urllib.parse.urlencode({"label": f"Proposed term {i}", "definition": " ".join(words)})
        took = timed(f"{base}/api/3/action/hhs_glossary_term_similar?{query}", api_token)
        if i >= 3:  # the first ones load the model
            samples.append(took)
    return samples


if __name__ == "__main__":
    main()
