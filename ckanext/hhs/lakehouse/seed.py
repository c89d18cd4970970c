"""The demo's lakehouse: small synthetic CMS-like and CDC-like tables that share the state FIPS code,
written as real Delta Lake and Apache Iceberg tables in the demo data folder, registered on datasets of
the cms and cdc divisions, their FIPS columns mapped to the glossary's "State FIPS code".

Everything goes through actions (the glossary's through `hhs_glossary_import`, never its code). The
numbers are synthetic, not real CMS or CDC figures. Running it again changes nothing."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import config, readers
from .catalog import open_catalog

# FIPS code, postal abbreviation, rough population in thousands (for plausible synthetic counts).
STATES = [
    ("01", "AL", 5100), ("02", "AK", 730), ("04", "AZ", 7400), ("05", "AR", 3060), ("06", "CA", 38900),
    ("08", "CO", 5900), ("09", "CT", 3620), ("10", "DE", 1030), ("11", "DC", 680), ("12", "FL", 22600),
    ("13", "GA", 11000), ("15", "HI", 1430), ("16", "ID", 1960), ("17", "IL", 12500), ("18", "IN", 6860),
    ("19", "IA", 3200), ("20", "KS", 2940), ("21", "KY", 4530), ("22", "LA", 4570), ("23", "ME", 1400),
    ("24", "MD", 6180), ("25", "MA", 7000), ("26", "MI", 10000), ("27", "MN", 5740), ("28", "MS", 2940),
    ("29", "MO", 6200), ("30", "MT", 1130), ("31", "NE", 1980), ("32", "NV", 3190), ("33", "NH", 1400),
    ("34", "NJ", 9290), ("35", "NM", 2110), ("36", "NY", 19600), ("37", "NC", 10800), ("38", "ND", 780),
    ("39", "OH", 11800), ("40", "OK", 4050), ("41", "OR", 4230), ("42", "PA", 13000), ("44", "RI", 1100),
    ("45", "SC", 5370), ("46", "SD", 920), ("47", "TN", 7130), ("48", "TX", 30500), ("49", "UT", 3420),
    ("50", "VT", 650), ("51", "VA", 8720), ("53", "WA", 7810), ("54", "WV", 1770), ("55", "WI", 5910),
    ("56", "WY", 580),
]  # fmt: skip

STATE_FIPS = {
    "name": "state-fips-code",
    "displayName": "State FIPS code",
    "description": "The two-digit Federal Information Processing Standards code that identifies a U.S. state, "
    "the District of Columbia or a territory (for example 06 for California).",
    "synonyms": ["state FIPS", "state code", "StateFIPS"],
    "abbreviation": "",
    "references": [
        {
            "name": "Census Bureau ANSI/FIPS codes",
            "url": "https://www.census.gov/library/reference/code-lists/ansi.html",
        }
    ],
    "status": "approved",
}

HHS_FIELDS = {"program_code": ["009:000"], "access_level": "public", "frequency": "R/P1Y"}


def _tables() -> list[dict[str, Any]]:
    rng = random.Random(2024)
    enrollment, indicators, vaccination = [], [], []
    for year in (2022, 2023, 2024):
        for fips, abbr, pop in STATES:
            beneficiaries = int(pop * 1000 * rng.uniform(0.16, 0.22))
            enrollment.append(
                {
                    "state_fips": fips,
                    "state": abbr,
                    "year": year,
                    "medicare_beneficiaries": beneficiaries,
                    "medicare_advantage_share": round(rng.uniform(0.25, 0.6), 3),
                }
            )
            for indicator, low, high in (("diabetes_prevalence", 7.0, 15.0), ("obesity_prevalence", 24.0, 40.0)):
                indicators.append(
                    {"StateFIPS": fips, "year": year, "indicator": indicator, "value": round(rng.uniform(low, high), 1)}
                )
            vaccination.append(
                {
                    "fips_state": fips,
                    "season": f"{year}-{year + 1}",
                    "flu_coverage_65plus": round(rng.uniform(55, 75), 1),
                }
            )
    return [
        {
            "division": "cms", "bureau": "009:38", "format": "delta", "path": "cms/medicare_enrollment_by_state",
            "dataset": "cms-medicare-enrollment-by-state-lakehouse",
            "title": "Medicare Enrollment by State (lakehouse table, synthetic)",
            "notes": "Synthetic demo data shaped like CMS Medicare enrollment figures: beneficiaries and Medicare "
            "Advantage share by state and year, kept as a Delta Lake table and linked in place.",
            "rows": enrollment, "column": "state_fips",
        },
        {
            "division": "cdc", "bureau": "009:20", "format": "iceberg", "path": "cdc/chronic_disease_indicators",
            "dataset": "cdc-chronic-disease-indicators-by-state-lakehouse",
            "title": "Chronic Disease Indicators by State (lakehouse table, synthetic)",
            "notes": "Synthetic demo data shaped like CDC chronic disease indicators: diabetes and obesity "
            "prevalence by state and year, kept as an Apache Iceberg table and linked in place.",
            "rows": indicators, "column": "StateFIPS",
        },
        {
            "division": "cdc", "bureau": "009:20", "format": "delta", "path": "cdc/flu_vaccination_coverage",
            "dataset": "cdc-flu-vaccination-coverage-by-state-lakehouse",
            "title": "Influenza Vaccination Coverage, 65 and Older, by State (lakehouse table, synthetic)",
            "notes": "Synthetic demo data shaped like CDC FluVaxView coverage estimates for adults 65 and older, "
            "by state and season, kept as a Delta Lake table and linked in place.",
            "rows": vaccination, "column": "fips_state",
        },
    ]  # fmt: skip


def run(site: dict[str, Any]) -> Iterator[str]:
    for division in ("cms", "cdc"):
        if model.Group.get(division) is None:
            yield f"No {division} division: run `ckan hhs seed-divisions` first. Nothing seeded."
            return
    root = config.demo_root()
    try:
        config.resolve(root)
    except config.RefusedURI as e:
        yield f"Lakehouse demo skipped: {e}. Add {root} to ckanext.hhs.lakehouse.allowed_roots."
        return
    if p.plugin_loaded("hhs_glossary"):
        report = tk.get_action("hhs_glossary_import")(site, {"rows": [STATE_FIPS]})
        if report["created"]:
            yield "Glossary term State FIPS code created"
    for spec in _tables():
        yield from _one(site, root, spec)


def _write(root: str, spec: dict[str, Any]) -> str:
    path = os.path.join(root, spec["path"])
    table = pa.Table.from_pylist(spec["rows"])
    if spec["format"] == "delta":
        from deltalake import write_deltalake

        if not os.path.isdir(os.path.join(path, "_delta_log")):
            write_deltalake(path, table, partition_by=["year"] if "year" in table.column_names else None)
        return path
    catalog = open_catalog(**readers.iceberg_properties(config.resolve(root)))
    catalog.create_namespace(spec["division"])
    if catalog.find_by_location("file://" + path) is None:
        catalog.create_table(
            f"{spec['division']}.{os.path.basename(path)}", schema=table.schema, location="file://" + path
        ).append(table)
    return path


def _one(site: dict[str, Any], root: str, spec: dict[str, Any]) -> Iterator[str]:
    path = _write(root, spec)
    dataset = model.Package.get(spec["dataset"])
    if dataset is None:
        created = tk.get_action("package_create")(
            site,
            {
                "name": spec["dataset"],
                "title": spec["title"],
                "notes": spec["notes"],
                "owner_org": spec["division"],
                "bureau_code": [spec["bureau"]],
                "tag_string": "lakehouse,state,synthetic",
                "contact": [
                    {"name": f"{spec['division'].upper()} data team", "email": f"data@{spec['division']}.hhs.gov"}
                ],
                **HHS_FIELDS,
                "resources": [
                    {
                        "name": os.path.basename(spec["path"]).replace("_", " ").capitalize(),
                        # A page a person can open, not a server path (file://...).
                        "url": tk.config["ckan.site_url"].rstrip("/") + "/dataset/" + spec["dataset"],
                        "resource_kind": "lakehouse",
                        "table_uri": path,
                        "table_format": spec["format"],
                    }
                ],
            },
        )
        yield f"Dataset {created['name']} created ({spec['format']} table at {path})"
        dataset = model.Package.get(created["id"])
    resource_id = dataset.resources[0].id
    table = tk.get_action("hhs_lakehouse_table_register")(site, {"id": resource_id, "queue": False})
    if table["status"] != "ok":
        yield f"  {spec['dataset']}: {table['error']}"
        return
    shown = tk.get_action("hhs_lakehouse_table_show")(site, {"id": resource_id})
    mapped = {c["name"] for c in shown["columns"] if c.get("term")}
    if p.plugin_loaded("hhs_glossary") and spec["column"] not in mapped:
        tk.get_action("hhs_lakehouse_column_confirm")(
            site, {"id": resource_id, "column": spec["column"], "term": "state-fips-code"}
        )
        yield f"  {spec['dataset']}: column {spec['column']} mapped to State FIPS code (query as {shown['sql_name']})"
