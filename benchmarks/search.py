"""Search by meaning benchmark (#29): judged staff questions over CMS's catalog, keyword-only against hybrid.

    .venv/bin/python benchmarks/search.py [--db ckan_bench_h8] [--core ckan_bench_h8] [--skip-import]

It writes var/bench-search.ini (test.ini with the hhs_search plugin, on the given PostgreSQL database,
Solr core and a site id of their own; the core's schema.xml must have the vector field:
`ckan hhs search solr-schema PATH/schema.xml`, then reload the core), resets that database and index,
seeds the divisions and the starter glossary, and imports the demo's CMS catalog
(ckanext/hhs/data/demo/cms-data.json, 139 datasets) with the project's importer. It then runs the
embedding job in the foreground and reports how long until every dataset has its vector.

Each question below is written as staff would ask it; the datasets listed with it are those a person
asking would want, judged by reading the catalog's titles and descriptions (never by looking at what
either search returned, and no per-question weights: the search is configured once for all).
For keyword-only (ckanext.hhs.search.enabled = false) and hybrid, it reports recall@10 (the share of
a question's wanted datasets in the first ten results, averaged), MRR (1/rank of the first wanted
dataset) and the questions with no wanted dataset in the first ten; and package_search latency
(anonymous, 10 rows, facets on) of both in the same run: the hybrid's first ask of a question (its
embedding computed) and later asks (the question's embedding cached in Redis).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CKAN = os.path.join(ROOT, ".venv", "bin", "ckan")
CATALOG = os.path.join(ROOT, "ckanext", "hhs", "data", "demo", "cms-data.json")
GLOSSARY = os.path.join(ROOT, "ckanext", "hhs", "glossary", "data", "hhs-glossary.csv")

# (question, titles of the datasets a person asking it would want)
QUESTIONS: list[tuple[str, list[str]]] = [
    (
        "which doctors prescribe the most opioids",
        [
            "Medicare Part D Opioid Prescribing Rates - by Geography",
            "Medicaid Opioid Prescribing Rates - by Geography",
            "Medicare Part D Prescribers - by Provider and Drug",
            "Medicare Part D Prescribers - by Provider",
        ],
    ),
    ("clinics that treat opioid addiction", ["Opioid Treatment Program Providers"]),
    (
        "how much Medicare pays for each prescription medicine",
        [
            "Medicare Part D Spending by Drug",
            "Medicare Part B Spending by Drug",
            "CMS Program Statistics - Medicare Part D",
        ],
    ),
    (
        "spending on drugs given in the doctor's office",
        ["Medicare Part B Spending by Drug", "Medicare Part B Discarded Drug Units"],
    ),
    ("Medicaid spending on medications", ["Medicaid Spending by Drug"]),
    ("wasted leftover medicine from single-dose vials", ["Medicare Part B Discarded Drug Units"]),
    (
        "nursing home staffing levels",
        [
            "Payroll Based Journal Daily Nurse Staffing",
            "Payroll Based Journal Employee Detail Nursing Home Staffing",
            "Payroll Based Journal Daily Non-Nurse Staffing",
        ],
    ),
    (
        "how many nurses work in each nursing home every day",
        ["Payroll Based Journal Daily Nurse Staffing", "Payroll Based Journal Employee Detail Nursing Home Staffing"],
    ),
    ("covid cases and deaths among nursing home residents and staff", ["COVID-19 Nursing Home Data"]),
    (
        "who owns nursing homes",
        [
            "Skilled Nursing Facility All Owners",
            "Skilled Nursing Facility Change of Ownership - Owner Information",
            "Nursing Home Affiliated Entity Performance Measures",
        ],
    ),
    (
        "nursing homes sold to a new owner",
        [
            "Skilled Nursing Facility Change of Ownership",
            "Skilled Nursing Facility Change of Ownership - Owner Information",
        ],
    ),
    (
        "hospital mergers and acquisitions",
        ["Hospital Change of Ownership", "Hospital Change of Ownership - Owner Information"],
    ),
    ("who owns hospitals", ["Hospital All Owners", "Hospital Change of Ownership - Owner Information"]),
    ("hospitals that do not publish their prices", ["Hospital Price Transparency Enforcement Activities and Outcomes"]),
    (
        "kidney dialysis centers",
        ["Medicare Dialysis Facilities", "End-Stage Renal Disease Facility Aggregation Group Performance"],
    ),
    (
        "end of life care providers",
        [
            "Hospice Enrollments",
            "Hospice All Owners",
            "CMS Program Statistics - Medicare Hospice",
            "Medicare Post-Acute Care and Hospice - by Geography & Provider",
        ],
    ),
    (
        "agencies that send nurses to patients' homes",
        [
            "Home Health Agency Enrollments",
            "Home Health Agency All Owners",
            "Home Health Agency Cost Report",
            "CMS Program Statistics - Medicare Home Health Agency",
        ],
    ),
    (
        "number of people on Medicare in each state",
        [
            "CMS Program Statistics - Medicare Total Enrollment",
            "Medicare Monthly Enrollment",
            "CMS Program Statistics - Original Medicare Enrollment",
        ],
    ),
    ("how many Medicare beneficiaries died", ["CMS Program Statistics - Medicare Deaths"]),
    ("people eligible for both Medicare and Medicaid", ["CMS Program Statistics - Medicare-Medicaid Dual Enrollment"]),
    ("people who just joined Medicare", ["CMS Program Statistics - Medicare Newly Enrolled"]),
    (
        "enrollment in private Medicare plans",
        ["CMS Program Statistics - Medicare Advantage & Other Health Plan Enrollment", "Medicare Monthly Enrollment"],
    ),
    ("how many people have drug coverage", ["CMS Program Statistics - Medicare Part D Enrollment"]),
    (
        "which pharmacies and drugs each drug plan covers",
        [
            "Monthly Prescription Drug Plan Formulary and Pharmacy Network Information",
            "Quarterly Prescription Drug Plan Formulary, Pharmacy Network, and Pricing Information",
        ],
    ),
    (
        "wheelchair and oxygen equipment suppliers",
        [
            "Medicare Durable Medical Equipment, Devices & Supplies - by Supplier",
            "Medicare Durable Medical Equipment, Devices & Supplies - by Supplier and Service",
            "Medicare Durable Medical Equipment, Devices & Supplies - by Referring Provider",
            "Medicare Durable Medical Equipment, Devices & Supplies - by Referring Provider and Service",
            "Medicare Durable Medical Equipment, Devices & Supplies - by Geography and Service",
        ],
    ),
    (
        "what Medicare pays doctors for each procedure",
        [
            "Medicare Physician & Other Practitioners - by Provider and Service",
            "Medicare Physician & Other Practitioners - by Provider",
            "Medicare Physician & Other Practitioners - by Geography and Service",
            "Physician/Supplier Procedure Summary",
        ],
    ),
    (
        "hospital stays and payments by diagnosis",
        [
            "Medicare Inpatient Hospitals - by Provider and Service",
            "Medicare Inpatient Hospitals - by Provider",
            "Medicare Inpatient Hospitals - by Geography and Service",
        ],
    ),
    (
        "payments for hospital outpatient services",
        [
            "Medicare Outpatient Hospitals - by Provider and Service",
            "Medicare Outpatient Hospitals - by Geography and Service",
        ],
    ),
    (
        "what private insurers pay for lab tests",
        ["Medicare Clinical Laboratory Fee Schedule Private Payer Rates and Volumes"],
    ),
    ("list of clinical labs", ["Provider of Services File - Clinical Laboratories"]),
    ("virtual doctor visits during the pandemic", ["Medicare Telehealth Trends"]),
    ("seniors hospitalized with covid", ["Medicare COVID-19 Hospitalization Trends"]),
    (
        "survey of beneficiaries about their health and costs",
        [
            "Medicare Current Beneficiary Survey - Survey File",
            "Medicare Current Beneficiary Survey - Cost Supplement",
            "Medicare Current Beneficiary Survey - COVID-19 Supplement",
        ],
    ),
    ("preventing type 2 diabetes", ["Medicare Diabetes Prevention Program"]),
    (
        "ACOs and the providers in them",
        [
            "Accountable Care Organization Participants",
            "Accountable Care Organizations",
            "Number of Accountable Care Organization Assigned Beneficiaries by County",
            "ACO Realizing Equity, Access and Community Health Providers",
        ],
    ),
    (
        "shared savings results of accountable care organizations",
        ["Performance Year Financial and Quality Results", "Accountable Care Organizations"],
    ),
    (
        "bundled payments for hip and knee replacement",
        ["Comprehensive Care for Joint Replacement Model: Metropolitan Statistical Areas"],
    ),
    (
        "who takes part in CMMI payment models",
        [
            "Innovation Center Model Participants",
            "Innovation Center Model Awardees",
            "Innovation Center Model Summary Information",
        ],
    ),
    (
        "primary care practices in the comprehensive primary care model",
        ["CPC Initiative - Participating Primary Care Practices"],
    ),
    ("rural clinics", ["Rural Health Clinic Enrollments", "Rural Health Clinic All Owners"]),
    (
        "community health centers",
        ["Federally Qualified Health Center Enrollments", "Federally Qualified Health Center All Owners"],
    ),
    ("doctors who opted out of Medicare", ["Opt Out Affidavits"]),
    (
        "providers due to revalidate their enrollment",
        [
            "Revalidation Due Date List",
            "Revalidation Clinic Group Practice Reassignment",
            "Revalidation Reassignment List",
        ],
    ),
    ("who may order and refer services", ["Order and Referring"]),
    (
        "directory of enrolled Medicare providers",
        ["Medicare Fee-For-Service  Public Provider Enrollment", "CMS Program Statistics - Medicare Providers"],
    ),
    ("improper payment rates", ["Medicare Fee-for-Service Comprehensive Error Rate Testing"]),
    (
        "infections and complications patients get in the hospital",
        [
            "Deficit Reduction Act Hospital-Acquired Condition Measures",
            "Agency for Healthcare Research and Quality (AHRQ) Patient Safety Indicator 11 (PSI-11) Measure Rates",
        ],
    ),
    (
        "respiratory failure after surgery",
        ["Agency for Healthcare Research and Quality (AHRQ) Patient Safety Indicator 11 (PSI-11) Measure Rates"],
    ),
    ("hospital finances from cost reports", ["Hospital Provider Cost Report"]),
    ("nursing facility cost reports", ["Skilled Nursing Facility Cost Report"]),
    (
        "differences in Medicare spending between regions",
        [
            "Medicare Geographic Variation - by National, State & County",
            "Medicare Geographic Variation - by Hospital Referral Region",
            "Medicare Advantage Geographic Variation - National & State",
        ],
    ),
    ("Medicaid managed care enrollment by state", ["Medicaid Managed Care"]),
    (
        "too many providers of one kind in an area",
        [
            "Market Saturation & Utilization Core-Based Statistical Areas",
            "Market Saturation & Utilization State-County",
        ],
    ),
    (
        "MIPS clinician quality scores",
        ["Quality Payment Program Experience", "Managing Clinician Aggregation Group Performance"],
    ),
    ("care for pregnant women and newborns in Medicaid", ["Strong Start Awardees"]),
    ("where a hospital's patients live", ["Hospital Service Area"]),
    (
        "characteristics of residents in long term care",
        [
            "Long-Term Care Facility Characteristics",
            "Minimum Data Set Frequency",
            "Facility-Level Minimum Data Set Frequency",
        ],
    ),
    ("provider specialty taxonomy codes", ["Medicare Provider and Supplier Taxonomy Crosswalk"]),
    ("how much beneficiaries pay in premiums", ["CMS Program Statistics - Medicare Premiums"]),
    ("grouping procedure codes into categories", ["Restructured BETOS Classification System"]),
    ("IV therapy at home", ["Home Infusion Therapy Providers"]),
    # Exact titles: keyword matches must still come first.
    ("Hospital Enrollments", ["Hospital Enrollments"]),
    ("Medicare Part D Spending by Drug", ["Medicare Part D Spending by Drug"]),
]


def bench_ini(db: str, core: str) -> str:
    path = os.path.join(ROOT, "var", "bench-search.ini")
    subprocess.run(["cp", os.path.join(ROOT, "test.ini"), path], check=True)
    with open(path) as f:
        plugins = next(line for line in f if line.startswith("ckan.plugins")).split("=", 1)[1].split()
    if "hhs_search" not in plugins:
        plugins.insert(plugins.index("hhs_governance") + 1, "hhs_search")
    settings = [
        f"sqlalchemy.url=postgresql://ckan_default:pass@127.0.0.1/{db}",
        f"solr_url=http://127.0.0.1:8983/solr/{core}",
        f"ckan.site_id=hhs_{db}",
        f"ckan.storage_path={ROOT}/var/bench-search-storage",
        "ckan.plugins=" + " ".join(plugins),
    ]
    subprocess.run([CKAN, "config-tool", path, *settings], check=True, stdout=subprocess.DEVNULL)
    return path


def load(ini: str, skip_import: bool) -> dict:
    ckan = [CKAN, "-c", ini]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    out: dict = {}
    if not skip_import:
        print("Resetting the benchmark database and index; seeding divisions and the glossary")
        for step in (
            ["db", "clean", "--yes"],
            ["db", "init"],
            ["search-index", "clear"],
            ["hhs", "seed-divisions"],
            ["hhs", "glossary", "import", GLOSSARY],
        ):
            subprocess.run([*ckan, *step], check=True, **quiet)
        started = time.monotonic()
        subprocess.run([*ckan, "hhs", "import-catalog", CATALOG, "--division", "cms"], check=True, **quiet)
        out["import_seconds"] = time.monotonic() - started
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:  # noqa: PLR0915 (one run, reported in order)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ckan_bench_h8")
    parser.add_argument("--core", default="ckan_bench_h8")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ini = bench_ini(args.db, args.core)
    timing = load(ini, args.skip_import)

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    import ckan.plugins.toolkit as tk
    from ckan.lib.redis import connect_to_redis

    from ckanext.hhs.search import jobs, solr

    with app._wsgi_app.test_request_context():
        assert solr.vector_field_present(), f"the core {args.core} has no vector field"
        datasets = jobs.total_indexed()
        started = time.monotonic()
        embedded = jobs.embed_pending() + jobs.rebuild()
        timing["embed_seconds"] = time.monotonic() - started
        redis = connect_to_redis()
        for key in redis.scan_iter("hhs_search:question:*"):
            redis.delete(key)  # every question's embedding computed afresh on its first ask

        def ask(q: str, hybrid: bool) -> tuple[float, list[str]]:
            tk.config["ckanext.hhs.search.enabled"] = hybrid
            started = time.monotonic()
            result = tk.get_action("package_search")({"user": ""}, {"q": q, "rows": 10})
            return (time.monotonic() - started) * 1000, [r["title"] for r in result["results"]]

        first: list[float] = []
        latency: dict[bool, list[float]] = {False: [], True: []}
        ranked: dict[bool, list[list[str]]] = {False: [], True: []}
        for q, _wanted in QUESTIONS:
            ms, titles = ask(q, True)
            first.append(ms)
            ranked[True].append(titles)
            ranked[False].append(ask(q, False)[1])
        for _ in range(args.rounds):
            for q, _wanted in QUESTIONS:
                for hybrid in (False, True):
                    latency[hybrid].append(ask(q, hybrid)[0])

    lines = [
        f"Search by meaning benchmark (#29), {dt.date.today().isoformat()}, {platform.node()}, "
        f"{os.cpu_count()} cores shared with other work",
        f"catalog: CMS data.json, {datasets} datasets imported in {timing.get('import_seconds', 0):.1f} s "
        f"(vectors queued, not computed, during the import)",
        f"vectors: {embedded} datasets embedded and indexed again in {timing['embed_seconds']:.1f} s "
        f"({timing['embed_seconds'] / max(embedded, 1):.2f} s per dataset): every dataset searchable by meaning "
        "that long after the import",
        f"questions: {len(QUESTIONS)} judged staff questions, {sum(len(w) for _q, w in QUESTIONS)} wanted datasets",
        "",
        f"{'':24}{'recall@10':>10}{'MRR':>8}{'zero-hit':>10}",
    ]
    per_question = []
    for hybrid in (False, True):
        recalls, rr, zero = [], [], []
        for (q, wanted), titles in zip(QUESTIONS, ranked[hybrid], strict=True):
            found = [t for t in titles if t in wanted]
            recalls.append(len(set(found)) / len(wanted))
            ranks = [i + 1 for i, t in enumerate(titles) if t in wanted]
            rr.append(1 / ranks[0] if ranks else 0.0)
            if not ranks:
                zero.append(q)
        name = "hybrid" if hybrid else "keyword-only (CKAN)"
        lines.append(
            f"{name:24}{statistics.mean(recalls):>10.3f}{statistics.mean(rr):>8.3f}"
            f"{len(zero):>5} ({100 * len(zero) / len(QUESTIONS):.0f}%)"
        )
        per_question.append((name, zero))
    lines += [
        "",
        f"package_search latency, ms (anonymous, rows=10, facets; {args.rounds} rounds of every question):",
        f"  keyword-only      p50 {percentile(latency[False], 50):6.1f}  p95 {percentile(latency[False], 95):6.1f}",
        f"  hybrid            p50 {percentile(latency[True], 50):6.1f}  p95 {percentile(latency[True], 95):6.1f}"
        f"  (p95 ratio {percentile(latency[True], 95) / percentile(latency[False], 95):.2f})",
        f"  hybrid, 1st ask   p50 {percentile(first, 50):6.1f}  p95 {percentile(first, 95):6.1f}"
        "  (the question embedded; later asks read it from Redis)",
    ]
    # Keyword-only often returns nothing, which costs less than ten datasets to decode: compare also the
    # questions where both return a full page.
    full = [i for i, titles in enumerate(ranked[False]) if len(titles) == 10]
    same = {h: [ms for n, ms in enumerate(latency[h]) if n % len(QUESTIONS) in full] for h in (False, True)}
    lines += [
        f"  questions where keyword-only also returns 10 datasets ({len(full)}):",
        f"  keyword-only      p50 {percentile(same[False], 50):6.1f}  p95 {percentile(same[False], 95):6.1f}",
        f"  hybrid            p50 {percentile(same[True], 50):6.1f}  p95 {percentile(same[True], 95):6.1f}"
        f"  (p95 ratio {percentile(same[True], 95) / percentile(same[False], 95):.2f})",
        "",
    ]
    for name, zero in per_question:
        lines.append(f"no wanted dataset in the first ten, {name}:")
        lines += [f"  - {q}" for q in zero] or ["  (none)"]
    text = "\n".join(lines) + "\n"
    print(text)
    path = os.path.join(ROOT, "benchmarks", "results", f"search-cms-{dt.date.today().isoformat()}.txt")
    with open(path, "w") as f:
        f.write(text)
    print(f"written to {path}")
    with open(os.path.join(ROOT, "var", "bench-search-ranked.json"), "w") as f:
        json.dump({"ranked": ranked}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
