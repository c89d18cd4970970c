"""Catalog and harvest health: the totals of each scope walked from the search index (completeness,
documentation, stewards, stale datasets against the update frequency they promise), the catalogs
imported from files, and each harvest source's last run."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.hhs import completeness, values, vocab
from ckanext.hhs.context import site_context

from . import scopes
from .runs import Progress

_PAGE = 500


_MODIFIED = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?)?)?")


def frequency_words(frequency: Any) -> str:
    """An update frequency in words: the core's label where it has one ("Monthly", "Every 5 years"),
    else the period in days ("every 3.5 days"); the value itself when unreadable."""
    from ckanext.hhs.helpers import hhs_frequency_label

    if not isinstance(frequency, str) or not frequency:
        return ""
    label = hhs_frequency_label(frequency)
    if label != frequency:
        return label
    every = values.period(frequency)
    if every is None:
        return frequency
    days = every.total_seconds() / 86400
    if days < 1:
        return tk._("every {n} hours").format(n=f"{days * 24:g}")
    return tk._("every {n} days").format(n=f"{round(days, 1):g}")


def _last_moment(value: Any) -> dt.datetime | None:
    """The latest moment a "modified" value may mean ("2024" -> the end of 2024): a dataset is called
    stale only when even that is older than its promise."""
    match = _MODIFIED.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return dt.datetime(year + 1, 1, 1) - dt.timedelta(seconds=1)
        if day is None:
            return dt.datetime(year + month // 12, month % 12 + 1, 1) - dt.timedelta(seconds=1)
        if hour is None:
            return dt.datetime(year, month, day, 23, 59, 59)
        return dt.datetime(year, month, day, hour, minute or 0, second or 0)
    except ValueError:
        return None


def is_stale(frequency: Any, modified: Any, now: dt.datetime | None = None) -> bool:
    """Whether a dataset last modified at `modified` broke the update frequency it promises."""
    every, last = values.period(frequency), _last_moment(modified)
    return every is not None and last is not None and (now or values.now()) > last + every


# ---------------------------------------------------------------- catalog health


class _Catalog:
    """Running totals of one scope (a division or HHS-wide); constant memory but the capped list."""

    def __init__(self) -> None:
        self.datasets = self.private = self.completeness = 0
        self.by_access: Counter[str] = Counter(dict.fromkeys([*vocab.ACCESS_LEVELS, "unset"], 0))
        self.with_dictionary = self.with_terms = self.with_steward = self.with_frequency = 0
        self.stale = self.with_findings = 0
        self.stale_list: list[dict[str, Any]] = []

    def add(self, data: dict[str, Any], now: dt.datetime) -> None:
        self.datasets += 1
        self.private += bool(data.get("private"))
        self.by_access[data.get("access_level") if data.get("access_level") in vocab.ACCESS_LEVELS else "unset"] += 1
        # The score the search index holds for the dataset, computed from the same stored dict.
        self.completeness += completeness.score(data).percent
        self.with_dictionary += values.filled(data.get("data_dictionary"))
        column_terms = any(r.get("column_terms") for r in data.get("resources") or [] if isinstance(r, dict))
        self.with_terms += bool(values.filled(data.get("glossary_terms")) or column_terms)
        self.with_steward += values.filled(data.get("data_steward"))
        self.with_findings += bool(completeness.findings(data))
        frequency = data.get("frequency")
        self.with_frequency += values.period(frequency) is not None
        modified = data.get("modified") or data.get("metadata_modified")
        if is_stale(frequency, modified, now):
            self.stale += 1
            self.stale_list.append(
                {
                    "name": data["name"],
                    "title": data.get("title") or data["name"],
                    "modified": str(modified)[:19],
                    "frequency": frequency,
                }
            )

    def figures(self) -> dict[str, Any]:
        def share(n: int) -> float | None:
            return round(100 * n / self.datasets, 1) if self.datasets else None

        return {
            "datasets": self.datasets,
            "private": self.private,
            "by_access": dict(self.by_access),
            "completeness_avg": round(self.completeness / self.datasets, 1) if self.datasets else None,
            "with_data_dictionary": self.with_dictionary,
            "with_data_dictionary_pct": share(self.with_dictionary),
            "with_glossary_terms": self.with_terms,
            "with_glossary_terms_pct": share(self.with_terms),
            "with_steward": self.with_steward,
            "with_steward_pct": share(self.with_steward),
            "with_frequency": self.with_frequency,
            "with_findings": self.with_findings,
            "stale": self.stale,
            "stale_datasets": self.stale_list,
        }


def walk_catalog(
    divisions: dict[str, tuple[str, str]], progress: Progress | None, imports: dict[tuple[str, str], dict[str, Any]]
) -> tuple[dict[str, _Catalog], dict[str, int]]:
    """Totals per division id (and HHS-wide, key ""), and the findings count of each harvested dataset
    that carries any, from the search index a page at a time."""
    context = site_context()
    totals: dict[str, _Catalog] = defaultdict(_Catalog)
    findings: dict[str, int] = {}
    now, start, total = values.now(), 0, None
    while total is None or start < total:
        page = tk.get_action("package_search")(
            {**context},
            {
                "q": "*:*",
                "fq": "+dataset_type:dataset",
                "include_private": True,
                # The index stores few fields of its own: the rest come from the validated dict.
                "fl": "id validated_data_dict",
                "sort": "id asc",
                "rows": _PAGE,
                "start": start,
            },
        )
        total = page["count"]
        if not page["results"]:
            break
        for doc in page["results"]:
            data = json.loads(doc.get("validated_data_dict") or "{}")
            for key in scopes.of(data.get("owner_org"), divisions):
                totals[key].add(data, now)
            found = completeness.findings(data)
            if found:
                findings[doc["id"]] = len(found)
            if data.get("source_catalog"):
                _count_import(imports, data, len(found))
        start += len(page["results"])
        if progress:
            progress(min(start, total), total)
    return totals, findings


def _count_import(imports: dict[tuple[str, str], dict[str, Any]], data: dict[str, Any], findings: int) -> None:
    """Add a dataset to the totals of the catalog it was imported from (per division and source URL)."""
    row = imports.setdefault(
        (data.get("owner_org") or "", data["source_catalog"]),
        {"datasets": 0, "datasets_with_findings": 0, "findings": 0, "last_import": None},
    )
    row["datasets"] += 1
    row["datasets_with_findings"] += bool(findings)
    row["findings"] += findings
    modified = str(data.get("metadata_modified") or "")[:19] or None
    if modified and (row["last_import"] is None or modified > row["last_import"]):
        row["last_import"] = modified


def imported(
    imports: dict[tuple[str, str], dict[str, Any]], divisions: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """One row per imported catalog (`ckan hhs import-catalog` / hhs_catalog_import) and division; a
    catalog a harvest source fetches is left out (that source has its own row)."""
    harvested: set[str] = set()
    if p.plugin_loaded("harvest"):
        from ckanext.harvest import model as hm
        from ckanext.hhs.harvest import importer

        harvested = {
            importer.source_key(url)
            for (url,) in model.Session.query(hm.HarvestSource.url).filter(hm.HarvestSource.active.is_(True))
            if url
        }
    return [
        {"source_catalog": source, "division": divisions.get(org_id, ("", ""))[0], **row}
        for (org_id, source), row in sorted(imports.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if source not in harvested
    ]


# ---------------------------------------------------------------- harvest health


def harvest(divisions: dict[str, tuple[str, str]], findings: dict[str, int]) -> list[dict[str, Any]] | None:
    """One row per harvest source: its last run, failures, warnings (HHS findings on its datasets) and
    the records it published at its last finished run against the datasets it has in the catalog."""
    if not p.plugin_loaded("harvest"):
        return None
    from ckanext.harvest import model as hm

    session = model.Session
    sources = (
        session.query(hm.HarvestSource.id, model.Package.name, model.Package.title, model.Package.owner_org)
        .join(model.Package, model.Package.id == hm.HarvestSource.id)
        .filter(model.Package.state == "active")
        .order_by(model.Package.name)
    )
    rows = []
    for source_id, name, title, org_id in sources:
        jobs = session.query(hm.HarvestJob).filter(hm.HarvestJob.source_id == source_id)
        last = jobs.order_by(hm.HarvestJob.created.desc()).first()
        done = jobs.filter(hm.HarvestJob.status == "Finished").order_by(hm.HarvestJob.created.desc()).first()
        stats: Counter[str] = Counter()
        gather_errors = 0
        if done is not None:
            stats.update(
                dict(
                    session.query(hm.HarvestObject.report_status, sa.func.count())
                    .filter(hm.HarvestObject.harvest_job_id == done.id)
                    .group_by(hm.HarvestObject.report_status)
                    .all()
                )
            )
            gather_errors = (
                session.query(hm.HarvestGatherError).filter(hm.HarvestGatherError.harvest_job_id == done.id).count()
            )
        in_catalog = [
            package_id
            for (package_id,) in session.query(sa.distinct(hm.HarvestObject.package_id))
            .join(model.Package, model.Package.id == hm.HarvestObject.package_id)
            .filter(
                hm.HarvestObject.harvest_source_id == source_id,
                hm.HarvestObject.current.is_(True),
                model.Package.state == "active",
            )
        ]
        records = sum(n for status, n in stats.items() if status and status != "deleted")
        rows.append(
            {
                "name": name,
                "title": title or name,
                "division": divisions.get(org_id, ("", ""))[0],
                "last_run": last.created.isoformat(timespec="seconds") if last else None,
                "last_status": last.status if last else None,
                "last_finished": done.finished.isoformat(timespec="seconds") if done and done.finished else None,
                "added": stats["added"],
                "updated": stats["updated"],
                "not_modified": stats["not modified"],
                "deleted": stats["deleted"],
                "failures": stats["errored"] + gather_errors,
                "datasets_with_findings": sum(1 for i in in_catalog if i in findings),
                "findings": sum(findings.get(i, 0) for i in in_catalog),
                "source_records": records if done else None,
                "catalog_datasets": len(in_catalog),
                "difference": records - len(in_catalog) if done else None,
            }
        )
    return rows
