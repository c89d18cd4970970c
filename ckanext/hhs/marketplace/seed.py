"""The demo's marketplace: CMS data products over the CMS catalog (and one private CMS dataset), staff
of CDC and FDA who request access, licences, data needs, and requests in several states.

Every step goes through the marketplace's actions as the person who would do it, so the demo shows
the same permissions, mails and audit trails as real use. Running it again changes nothing."""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
from collections.abc import Iterator
from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import model as mm

# name -> (full name, division, role)
USERS = {
    "cms-steward": ("Dana Reyes (CMS data steward)", "cms", "editor"),
    "cms-admin": ("Sam Okafor (CMS data officer)", "cms", "admin"),
    "cdc-analyst": ("Priya Natarajan (CDC epidemiologist)", "cdc", "member"),
    "fda-analyst": ("Lee Chen (FDA analyst)", "fda", "member"),
    "cdc-steward": ("Morgan Diaz (CDC data steward)", "cdc", "editor"),
}
PRIVATE_DATASET = "medicare-ffs-claims-beneficiary-level"
TERMS = (
    "1. Use the data only for the purpose and project stated in the request.\n"
    "2. Do not attempt to re-identify any person, or link the data with other data to do so.\n"
    "3. Publish only aggregates with cells of 11 or more (the CMS cell size suppression policy).\n"
    "4. Keep the data on HHS systems authorised for PHI; delete it when access ends.\n"
    "5. Tell the steward at once of any breach or suspected misuse."
)


def _today(days: int = 0) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def run(site: dict[str, Any]) -> Iterator[str]:
    if model.Group.get("cms") is None:
        yield "No CMS division: run `ckan hhs seed-divisions` first. Nothing seeded."
        return
    yield from _users(site)
    yield from _private_dataset(site)
    yield from _restricted_data()
    yield from _products(site)
    yield from _licences()
    yield from _needs()
    yield from _requests()


def _as(user: str) -> dict[str, Any]:
    return {"user": user, "ignore_auth": False}


def _users(site: dict[str, Any]) -> Iterator[str]:
    for name, (full, division, role) in USERS.items():
        if model.User.get(name) is None:
            password = secrets.token_urlsafe(12)
            tk.get_action("user_create")(
                dict(site),
                {"name": name, "fullname": full, "email": f"{name}@hhs-demo.localhost", "password": password},
            )
            yield f"User {name} created, password: {password}"
        if model.Group.get(division) is not None:
            tk.get_action("organization_member_create")(dict(site), {"id": division, "username": name, "role": role})


def _exists(name: str) -> bool:
    pkg = model.Package.get(name)
    return pkg is not None and pkg.state == "active"


def _private_dataset(site: dict[str, Any]) -> Iterator[str]:
    if _exists(PRIVATE_DATASET):
        return
    tk.get_action("package_create")(
        dict(site),
        {
            "name": PRIVATE_DATASET,
            "title": "Medicare Fee-for-Service Claims, Beneficiary Level (restricted)",
            "notes": (
                "Final action Medicare Parts A and B fee-for-service claims with beneficiary identifiers, "
                "diagnoses (ICD-10-CM) and procedures (HCPCS), 2019 to 2024. Identifiable: shared inside "
                "HHS only through the marketplace under the CMS standard terms."
            ),
            "owner_org": "cms",
            "private": True,
            "tag_string": "medicare,claims,fee-for-service",
            "bureau_code": ["009:38"],
            "program_code": ["009:000"],
            "access_level": "non-public",
            "access_rights": "Contains PHI. HHS staff request access through the Health Data marketplace.",
            "listing_title": "Medicare fee-for-service claims, beneficiary level (2019-2024)",
            "contact": [
                {"name": "CMS Office of Enterprise Data and Analytics", "email": "cms-steward@hhs-demo.localhost"}
            ],
            "glossary_terms": _terms(["medicare-beneficiary", "claim", "protected-health-information"]),
        },
    )
    yield f"Private dataset {PRIVATE_DATASET} created in CMS"


# Synthetic claims: made-up identifiers and amounts in the shape of CMS fee-for-service claims.
CLAIM_COLUMNS = ("bene_id", "clm_from_dt", "state_fips", "icd_dgns_cd1", "hcpcs_cd", "prvdr_npi", "clm_pmt_amt")
_ICD = ("J11.1", "I10", "E11.9", "J18.9", "I50.9", "N39.0", "M54.5", "Z23")
_HCPCS = ("99213", "99214", "90686", "G0008", "71046", "80053", "93000")
_STATES = ("01", "06", "12", "17", "24", "36", "39", "42", "48", "53")


def _claims(rows: int = 400) -> list[dict[str, Any]]:
    rng = random.Random(27)
    start = dt.date(2019, 1, 1)
    return [
        {
            "bene_id": f"SYN{rng.randrange(16**12):012X}",
            "clm_from_dt": (start + dt.timedelta(days=rng.randrange(6 * 365))).isoformat(),
            "state_fips": rng.choice(_STATES),
            "icd_dgns_cd1": rng.choice(_ICD),
            "hcpcs_cd": rng.choice(_HCPCS),
            "prvdr_npi": f"9{rng.randrange(10**9):09d}",  # 9...: outside the NPI range in use
            "clm_pmt_amt": round(rng.lognormvariate(4.5, 1.0), 2),
        }
        for _ in range(rows)
    ]


_FILE_NAME, _TABLE_NAME = "Claims sample (synthetic CSV)", "Claims table (synthetic)"


def _restricted_data() -> Iterator[str]:
    """The restricted dataset's data, so that a grant ends in rows: an uploaded CSV of synthetic claims
    (downloaded through CKAN's authorisation: no public URL) and, with the lakehouse plugin, the same
    claims as a Parquet table registered through the lakehouse's own action, both by the CMS steward as
    the division would. Each is added once."""
    dataset = model.Package.get(PRIVATE_DATASET)
    if dataset is None:
        return
    names = {r.name for r in dataset.resources if r.state == "active"}
    claims = _claims()
    if _FILE_NAME not in names:
        yield from _claims_file(claims)
    if _TABLE_NAME not in names and p.plugin_loaded("hhs_lakehouse"):
        yield from _claims_table(claims)


def _claims_file(claims: list[dict[str, Any]]) -> Iterator[str]:
    import csv
    import io

    from werkzeug.datastructures import FileStorage

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(claims[0]))
    writer.writeheader()
    writer.writerows(claims)
    tk.get_action("resource_create")(
        _as("cms-steward"),
        {
            "package_id": PRIVATE_DATASET,
            "name": _FILE_NAME,
            "description": "Synthetic Medicare FFS claims, one row per claim line (no real beneficiary).",
            "format": "CSV",
            "url": "medicare-ffs-claims-sample.csv",
            "upload": FileStorage(
                io.BytesIO(out.getvalue().encode()), filename="medicare-ffs-claims-sample.csv", content_type="text/csv"
            ),
        },
    )
    yield f"  {PRIVATE_DATASET}: uploaded {len(claims)} synthetic claims as CSV"


def _claims_table(claims: list[dict[str, Any]]) -> Iterator[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # The lakehouse's demo folder (its declared option, or its default under the storage path); a
    # CMS dataset's tables live in CMS's folder of it.
    root = tk.config.get("ckanext.hhs.lakehouse.demo_root") or os.path.join(tk.config["ckan.storage_path"], "lakehouse")
    folder = os.path.join(root, "cms", "medicare_ffs_claims")
    os.makedirs(folder, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(claims), os.path.join(folder, "part-0.parquet"))
    resource = tk.get_action("resource_create")(
        _as("cms-steward"),
        {
            "package_id": PRIVATE_DATASET,
            "name": _TABLE_NAME,
            "url": tk.config["ckan.site_url"].rstrip("/") + "/dataset/" + PRIVATE_DATASET,
            "resource_kind": "lakehouse",
        },
    )
    try:
        table = tk.get_action("hhs_lakehouse_table_register")(
            _as("cms-steward"), {"id": resource["id"], "table_uri": folder, "table_format": "parquet", "queue": False}
        )
    except tk.ValidationError as e:  # the demo folder is not an allowed root
        yield f"  {PRIVATE_DATASET}: lakehouse table not registered: {e.error_summary}"
        return
    yield f"  {PRIVATE_DATASET}: lakehouse table {table.get('sql_name')} registered ({table['status']})"


def _terms(slugs: list[str]) -> list[str]:
    """The glossary terms that exist (the glossary plugin and its seed may be off)."""
    try:
        show = tk.get_action("hhs_glossary_term_show")
    except KeyError:
        return []
    found = []
    for slug in slugs:
        try:
            if show({"ignore_auth": True}, {"id": slug})["status"] == "approved":
                found.append(slug)
        except tk.ObjectNotFound:
            continue
    return found


def _cms_datasets(site: dict[str, Any], q: str, rows: int) -> list[str]:
    result = tk.get_action("package_search")(
        dict(site), {"q": q, "fq": "+organization:cms +dataset_type:dataset -capacity:private", "rows": rows}
    )
    return [r["name"] for r in result["results"]]


def _products(site: dict[str, Any]) -> Iterator[str]:
    terms = dict.fromkeys(["medicare-beneficiary", "claim", "npi"], "") | {
        t: t for t in _terms(["medicare-beneficiary", "claim", "npi"])
    }
    common = {
        "type": "data-product",
        "owner_org": "cms",
        "standard_terms": TERMS,
        "support_hours": "Mon-Fri 9:00-17:00 ET",
    }
    products = [
        {
            "name": "medicare-claims-research-extract",
            "title": "Medicare Claims Research Extract",
            "notes": (
                "Beneficiary-level Medicare fee-for-service claims with the public CMS provider files that "
                "explain them."
            ),
            "product_owner": "Sam Okafor, CMS Office of Enterprise Data and Analytics",
            "data_steward": [{"name": "Dana Reyes", "email": "cms-steward@hhs-demo.localhost"}],
            "product_status": "active",
            "product_type": "dataset_bundle",
            "component_datasets": [PRIVATE_DATASET, *_cms_datasets(site, "inpatient hospitals", 2)],
            "value_proposition": (
                "Weeks instead of a year-long DUA: one request under standard terms, reviewed by CMS stewards."
            ),
            "use_cases": ["Vaccine effectiveness among Medicare beneficiaries", "Readmission studies"],
            "audience": ["epidemiologists", "program evaluators"],
            "health_theme": [],
            "access_terms": "standard",
            "max_access_days": 365,
            "cost_model": "free",
            "contract_columns": [
                {
                    "name": "bene_id",
                    "type": "string",
                    "description": "Encrypted beneficiary id",
                    "term": terms["medicare-beneficiary"],
                },
                {
                    "name": "clm_from_dt",
                    "type": "date",
                    "description": "First day of the claim",
                    "term": terms["claim"],
                },
                {
                    "name": "icd_dgns_cd1",
                    "type": "string",
                    "description": "Principal diagnosis (ICD-10-CM)",
                    "term": "",
                },
                {"name": "prvdr_npi", "type": "string", "description": "Billing provider NPI", "term": terms["npi"]},
            ],
            "quality_rules": ["bene_id is never null", "clm_from_dt is within the claim year"],
            "refresh_frequency": "R/P3M",
            "availability": "99.5% during business hours",
            "support_contact": "cms-steward@hhs-demo.localhost",
            "glossary_terms": _terms(["medicare-beneficiary", "claim"]),
        },
        {
            "name": "medicare-provider-directory-api",
            "title": "Medicare Provider Directory API",
            "notes": "Enrolled Medicare providers and facilities as an API, open to all HHS staff.",
            "product_status": "active",
            "product_type": "api",
            "component_datasets": _cms_datasets(site, "providers", 2),
            "use_cases": ["Linking provider NPIs across divisions"],
            "access_terms": "open",
            "cost_model": "free",
            "refresh_frequency": "R/P1M",
            "support_contact": "cms-steward@hhs-demo.localhost",
            "glossary_terms": _terms(["npi", "provider"]),
        },
        {
            "name": "part-d-prescriber-linked-file",
            "title": "Part D Prescriber Linked File (restricted)",
            "notes": (
                "Part D prescription events linked to prescribers and beneficiaries; second-level review by "
                "the Data Governance Board."
            ),
            "product_status": "active",
            "product_type": "lakehouse_share",
            "component_datasets": [PRIVATE_DATASET, *_cms_datasets(site, "part d prescribers", 1)],
            "access_terms": "restricted",
            "max_access_days": 180,
            "cost_model": "cost_recovery",
            "cost_notes": "$2,500 a year per project for the lakehouse share.",
            "glossary_terms": _terms(["medicare-part-d"]),
        },
        {
            "name": "commercial-claims-benchmark",
            "title": "Commercial Claims Benchmark (licensed)",
            "notes": "National commercial claims bought from a vendor; usable by the divisions the licence covers.",
            "product_status": "deprecated",
            "product_type": "dataset_bundle",
            "access_terms": "standard",
            "cost_model": "licensed",
        },
    ]
    for product in products:
        if _exists(product["name"]):
            continue
        tk.get_action("package_create")(_as("cms-steward"), {**common, **product})
        yield f"Data product {product['name']} created"


def _licences() -> Iterator[str]:
    licences = [
        {
            "vendor": "IQVIA",
            "product": "National Prescription Audit",
            "subject": "retail and mail-order prescriptions, opioids, dispensing trends",
            "contract_number": "75FCMC23C0042",
            "holder": "cms",
            "covered": ["fda"],
            "seats": 40,
            "cost": "1850000",
            "start_date": _today(-200),
            "end_date": _today(165),
            "renewal": "manual",
            "terms": "HHS internal use; no redistribution outside the covered divisions.",
            "data_product": "commercial-claims-benchmark",
        },
        {
            "vendor": "Definitive Healthcare",
            "product": "Hospital View",
            "subject": "hospital affiliations, beds, ownership",
            "contract_number": "75D30124P00987",
            "holder": "cdc",
            "seats": 10,
            "cost": "240000",
            "start_date": _today(-320),
            "end_date": _today(45),
            "renewal": "auto",
        },
    ]
    for data in licences:
        if model.Session.query(mm.Licence).filter_by(vendor=data["vendor"], product=data["product"]).first():
            continue
        holder = "cms-steward" if data["holder"] == "cms" else "cdc-steward"
        tk.get_action("hhs_marketplace_licence_create")(_as(holder), data)
        yield f"Licence {data['vendor']} {data['product']} recorded"


def _needs() -> Iterator[str]:
    needs = [
        (
            "cdc-analyst",
            {
                "title": "Medicare claims to measure flu vaccine effectiveness in people 65+",
                "description": "Vaccination and hospitalisation claims for Medicare beneficiaries, 2019-2024, by week.",
                "why": "CDC's annual vaccine effectiveness estimates for older adults.",
                "needed_by": _today(60),
                "asked": ["cms"],
            },
            ("cms-steward", {"kind": "existing", "datasets": ["medicare-claims-research-extract"], "division": "cms"}),
            "Met by the CMS Medicare Claims Research Extract: request access there.",
        ),
        (
            "fda-analyst",
            {
                "title": "Opioid prescribing by county",
                "description": "Counts of opioid prescriptions per county and month, with prescriber specialty.",
                "needed_by": _today(90),
                "asked": ["cms", "cdc"],
            },
            (
                "cdc-steward",
                {"kind": "commit", "publish_by": _today(75), "division": "cdc", "note": "From the next NVSS release."},
            ),
            None,
        ),
        (
            "cdc-analyst",
            {
                "title": "Hospital bed capacity by facility",
                "description": "Staffed beds per hospital, monthly.",
                "asked": ["cms"],
            },
            None,
            None,
        ),
    ]
    for poster, data, answer, closing in needs:
        if model.Session.query(mm.Need).filter_by(title=data["title"]).first():
            continue
        need = tk.get_action("hhs_marketplace_need_create")(_as(poster), data)
        if answer:
            tk.get_action("hhs_marketplace_need_answer")(_as(answer[0]), {"id": need["id"], **answer[1]})
        if closing:
            tk.get_action("hhs_marketplace_need_close")(_as(poster), {"id": need["id"], "message": closing})
        yield f"Data need posted: {data['title']}"


def _requests() -> Iterator[str]:
    # (requester, product, fields, steps as (actor, action, message))
    requests = [
        (
            "cdc-analyst",
            "medicare-claims-research-extract",
            {
                "purpose": "Flu vaccine effectiveness among Medicare beneficiaries 65+",
                "project": "Flu VE 2026",
                "days": 90,
            },
            [("cms-steward", "approve", "Approved under the CMS standard terms.")],
        ),
        (
            "fda-analyst",
            "medicare-claims-research-extract",
            {
                "purpose": "Post-market safety signal for a new anticoagulant",
                "project": "Sentinel follow-up",
                "days": 120,
            },
            [],
        ),
        (
            "fda-analyst",
            "part-d-prescriber-linked-file",
            {
                "purpose": "Opioid prescribing patterns after a labelling change",
                "project": "Opioid label study",
                "days": 150,
            },
            [("cms-steward", "approve", "Steward review done; needs the board's approval.")],
        ),
        (
            "cdc-analyst",
            "part-d-prescriber-linked-file",
            {"purpose": "Antibiotic prescribing surveillance", "project": "Antibiotic stewardship", "days": 60},
            [("cms-steward", "ask_info", "Which years and which drug classes do you need?")],
        ),
        (
            "cdc-steward",
            "medicare-claims-research-extract",
            {"purpose": "General exploration", "project": "", "days": 30},
            [("cms-steward", "reject", "Please state a specific project; exploration is not a permitted purpose.")],
        ),
    ]
    for requester, product, fields, steps in requests:
        user = model.User.get(requester)
        pkg = model.Package.get(product)
        if user is None or pkg is None:
            continue
        if model.Session.query(mm.AccessRequest).filter_by(requester_id=user.id, product_id=pkg.id).first():
            continue
        request = tk.get_action("hhs_marketplace_request_create")(
            _as(requester),
            {
                "product": product,
                "purpose": fields["purpose"],
                "project": fields["project"],
                "duration_days": fields["days"],
                "accept_terms": True,
            },
        )
        for actor, step, message in steps:
            tk.get_action(f"hhs_marketplace_request_{step}")(_as(actor), {"id": request["id"], "message": message})
        final = tk.get_action("hhs_marketplace_request_show")(_as(requester), {"id": request["id"]})
        yield f"Access request {requester} -> {product}: {final['status']}"
