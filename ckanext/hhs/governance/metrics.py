"""The figures behind the governance dashboard, computed by background jobs and stored with their date.

`compute_figures()` walks the catalog as the site user (so private datasets of every division count:
board members see them by design), reads harvest health from ckanext-harvest's tables and the ROI
figures through other plugins' actions, and stores one snapshot per division plus one HHS-wide, all
at once at the end of the run. `check_links()` checks a bounded batch of resource URLs, the least
recently checked first, each through the core's fetch guard, and stores each URL's status as it goes,
so an interrupted run loses nothing. Every run is recorded (running, finished, failed with its error):
the dashboard shows a failed run instead of presenting older figures as new.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import redis.exceptions
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.hhs import completeness, net, values, vocab
from ckanext.hhs import config as core_config
from ckanext.hhs.context import site_context

from . import config
from . import model as gm
from .failures import failure_message

__all__ = [
    "check_links",
    "compute_figures",
    "enqueue_refresh",
    "frequency_words",
    "is_stale",
    "refresh",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# The failing links kept in a snapshot are capped so a snapshot stays bounded; the page and its CSV
# both read that same list. Stale datasets are all kept (a name, title and two dates each).
LIST_CAP = 5000
# A run still "running" after this long was killed (worker restart, timeout): shown as interrupted.
JOB_TIMEOUT = 2 * 3600
_PAGE = 500

# ---------------------------------------------------------------- update frequency

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


# ---------------------------------------------------------------- runs


def _start(kind: str) -> gm.MetricsRun:
    run = gm.MetricsRun(kind=kind, status="running", started=values.now(), counts={})
    model.Session.add(run)
    model.Session.commit()
    return run


def _end(run: gm.MetricsRun, error: BaseException | None = None) -> None:
    if error is not None:
        model.Session.rollback()
        run = model.Session.get(gm.MetricsRun, run.id)
        run.status, run.error = "failed", failure_message(run.id)
        log.error("governance %s run %s failed:\n%s", run.kind, run.id, traceback.format_exc())
    else:
        run.status = "finished"
    run.finished = values.now()
    model.Session.commit()


def refresh(links: bool = True) -> str:
    """Compute the figures, then (optionally) check a batch of links. Returns the figures run id."""
    run_id = compute_figures().id
    if links:
        check_links()
    return run_id


def _figures_job() -> str:
    return compute_figures().id


def _linkcheck_job() -> str:
    """A link-check batch; when it finishes, a (fast) figures job is queued so the snapshot's link
    figures take in what it found."""
    run_id = check_links().id
    tk.enqueue_job(_figures_job, [], title="Governance figures", rq_kwargs={"timeout": JOB_TIMEOUT})
    return run_id


QUEUED_SCAN = 200  # waiting jobs read to find the governance ones (imports may queue many)


def queued() -> list[str]:
    """Titles of the governance jobs waiting in the queue, not started yet (a worker may be busy with
    other jobs): the page says so rather than showing only the last run."""
    from ckan.lib import jobs

    try:
        waiting = jobs.get_queue().get_jobs(0, QUEUED_SCAN)
    except redis.exceptions.RedisError:
        return []
    return [job.meta.get("title") for job in waiting if str(job.meta.get("title") or "").startswith("Governance ")]


def enqueue_refresh(links: bool = True) -> dict[str, str]:
    """Queue the figures job and (optionally) a link-check batch as two separate background jobs, so the
    figures never wait for a long link check. Returns each job's id (keys ``figures``, ``linkcheck``)."""
    out = {
        "figures": tk.enqueue_job(_figures_job, [], title="Governance figures", rq_kwargs={"timeout": JOB_TIMEOUT}).id
    }
    if links:
        out["linkcheck"] = tk.enqueue_job(
            _linkcheck_job, [], title="Governance link check", rq_kwargs={"timeout": JOB_TIMEOUT}
        ).id
    return out


# ---------------------------------------------------------------- link check


def _refused(error: net.FetchError) -> bool:
    """The guard refused the URL itself (not http(s), or a non-public address), rather than it failing."""
    return error.public.startswith(("Refusing", "Only plain"))


_TIMED_OUT = "The source did not answer within "  # net.Guard's words when its deadline passes


def _not_checked(error: net.FetchError) -> bool:
    """The host name could not be resolved (a machine without outside DNS finds every host unknown) or
    the server did not answer within the check's deadline (slow, or busy): the link is not known to be
    broken, so it counts as "could not check"."""
    public = error.public
    return public.startswith(_TIMED_OUT) or (public.startswith("The host ") and public.endswith(" is unknown"))


_NOT_CHECKED = "The link could not be checked"


def _check(url: str) -> tuple[str, int | None, str | None]:
    """(status, HTTP status, error) of one URL: ok, broken (an HTTP error, or a resolved host that
    refused or dropped the connection), unknown (could not check: the host name did not resolve, no
    answer within the deadline, or any unexpected error) or refused (the guard would not fetch it).
    Never raises: one URL must not stop the run, and a URL never recorded would be due (and fail the
    run) again every hour."""
    try:
        return _fetch_status(url)
    except Exception:  # noqa: BLE001 (recorded for this resource; the details go to the log)
        log.warning("Link check of %s failed unexpectedly", url, exc_info=True)
        return "unknown", None, _NOT_CHECKED


def _fetch_status(url: str) -> tuple[str, int | None, str | None]:
    try:
        net.check_url(url)
        with net.Guard(config.linkcheck_timeout()) as guard:
            session = guard.session()
            response = session.head(url, allow_redirects=True)
            if response.status_code in (403, 405, 501):  # servers that do not answer HEAD
                response = session.get(url, headers={"Range": "bytes=0-0"})
    except net.FetchError as e:
        if e.public == "The source is too large":  # it answered, with more than a link check reads
            return "ok", None, None
        if _not_checked(e):
            return "unknown", None, e.public
        return ("refused" if _refused(e) else "broken"), None, e.public
    if response.status_code >= 400:
        return "broken", response.status_code, f"HTTP {response.status_code}"
    return "ok", response.status_code, None


def _reclassify_unresolved() -> None:
    """Links stored as broken by earlier checks only because their host name did not resolve, or their
    server did not answer in time, are "could not check" (unknown): corrected in place, without fetching
    anything again."""
    status = gm.LinkStatus
    model.Session.query(status).filter(
        status.status == "broken",
        status.http_status.is_(None),
        sa.or_(status.error.like("The host % is unknown"), status.error.startswith(_TIMED_OUT)),
    ).update({"status": "unknown", "failures": 0}, synchronize_session=False)
    model.Session.commit()


def _links_due(limit: int) -> list[tuple[str, str]]:
    """Up to `limit` (resource id, URL) of http(s) resources never checked, changed, or checked longest ago."""
    cutoff = values.now() - dt.timedelta(hours=config.linkcheck_recheck_hours())
    status = gm.LinkStatus
    return (
        _http_resources()
        .with_entities(model.Resource.id, model.Resource.url)
        .outerjoin(status, status.resource_id == model.Resource.id)
        .filter(sa.or_(status.resource_id.is_(None), status.checked < cutoff, status.url != model.Resource.url))
        .order_by(status.checked.asc().nullsfirst(), model.Resource.id)
        .limit(limit)
        .all()
    )


def check_links(progress: Progress | None = None, limit: int | None = None) -> gm.MetricsRun:
    """Check a batch of resource URLs (http(s) only, through the fetch guard, one at a time with a pause
    between fetches) and store each one's status as soon as it is known."""
    run = _start("linkcheck")
    try:
        due = _links_due(limit if limit is not None else config.linkcheck_batch())
        found: Counter[str] = Counter()
        for n, (resource_id, url) in enumerate(due):
            if n:
                time.sleep(config.linkcheck_interval())
            status, http_status, error = _check(url)
            found[status if _store(resource_id, url, status, http_status, error) else "gone"] += 1
            run.counts = {"checked": n + 1, "due": len(due), **found}
            model.Session.commit()
            if progress:
                progress(n + 1, len(due))
        run.counts = {"checked": len(due), "due": len(due), **found}
    except Exception as e:  # noqa: BLE001 (any failure is recorded on the run and shown on the page)
        _end(run, e)
        raise
    _end(run)
    return run


def _store(resource_id: str, url: str, status: str, http_status: int | None, error: str | None) -> bool:
    """Record one URL's status in a savepoint: False (nothing stored, the rest of the run kept) when
    the resource was purged while the check ran (its row would break the foreign key)."""
    try:
        with model.Session.begin_nested():
            row = model.Session.get(gm.LinkStatus, resource_id) or gm.LinkStatus(resource_id=resource_id, failures=0)
            failed = status in ("broken", "refused")
            row.failures = (row.failures or 0) + 1 if failed and row.url == url else int(failed)
            row.url, row.status, row.http_status, row.error, row.checked = url, status, http_status, error, values.now()
            model.Session.add(row)
    except sa.exc.IntegrityError:
        log.info("Link status of resource %s not stored: the resource is gone", resource_id, exc_info=True)
        return False
    return True


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


def _walk_catalog(
    divisions: dict[str, tuple[str, str]], progress: Progress | None, imports: dict[tuple[str, str], dict[str, Any]]
) -> tuple[dict[str, _Catalog], dict[str, int]]:
    """Totals per division id (and HHS-wide, key ""), and the findings count of each harvested dataset
    that carries any, from the search index a page at a time."""
    context = site_context()
    scopes: dict[str, _Catalog] = defaultdict(_Catalog)
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
            for key in _scopes(data.get("owner_org"), divisions):
                scopes[key].add(data, now)
            found = completeness.findings(data)
            if found:
                findings[doc["id"]] = len(found)
            if data.get("source_catalog"):
                _count_import(imports, data, len(found))
        start += len(page["results"])
        if progress:
            progress(min(start, total), total)
    return scopes, findings


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


def _imported(
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


# ---------------------------------------------------------------- broken links


def _scopes(org_id: str | None, divisions: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """The snapshots a dataset of org_id counts in: HHS-wide, and its division's."""
    return (gm.HHS_WIDE, org_id) if org_id in divisions else (gm.HHS_WIDE,)


def _http_resources() -> Any:
    return (
        model.Session.query(model.Resource)
        .join(model.Package, model.Package.id == model.Resource.package_id)
        .filter(
            model.Resource.state == "active",
            model.Package.state == "active",
            model.Package.type == "dataset",
            sa.or_(model.Resource.url.ilike("http://%"), model.Resource.url.ilike("https://%")),
        )
    )


def _links(divisions: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Per division id and HHS-wide: http(s) resource links by their last check (a link whose URL
    changed since counts as unchecked), and the broken and refused ones (capped)."""
    status = gm.LinkStatus
    joined = _http_resources().outerjoin(
        status, sa.and_(status.resource_id == model.Resource.id, status.url == model.Resource.url)
    )
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"links": 0, "ok": 0, "broken": 0, "refused": 0, "unknown": 0, "unchecked": 0, "broken_links": []}
    )
    counts = joined.with_entities(model.Package.owner_org, status.status, sa.func.count()).group_by(
        model.Package.owner_org, status.status
    )
    for org_id, state, count in counts:
        for key in _scopes(org_id, divisions):
            out[key]["links"] += count
            out[key][state or "unchecked"] += count
    failing = (
        joined.with_entities(
            model.Package.owner_org,
            model.Package.name,
            model.Package.title,
            model.Resource.id,
            model.Resource.name,
            status.url,
            status.status,
            status.http_status,
            status.error,
            status.checked,
            status.failures,
        )
        .filter(status.status.in_(("broken", "refused", "unknown")))
        .order_by(status.checked.desc())
        .yield_per(500)
    )
    for org_id, *row in failing:
        link = dict(
            zip(
                ("dataset", "dataset_title", "resource_id", "resource_name", "url", "status", "http_status", "error"),
                row[:8],
                strict=True,
            ),
            checked=row[8].isoformat(timespec="seconds"),
            failures=row[9],
            division=divisions.get(org_id, ("", ""))[0],
        )
        for key in _scopes(org_id, divisions):
            if len(out[key]["broken_links"]) < LIST_CAP:
                out[key]["broken_links"].append(link)
    return out


# ---------------------------------------------------------------- harvest health


def _harvest(divisions: dict[str, tuple[str, str]], findings: dict[str, int]) -> list[dict[str, Any]] | None:
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


# ---------------------------------------------------------------- ROI


def _action(name: str) -> Callable[..., Any] | None:
    """Another plugin's action, or None where that plugin is not loaded (or that part not built yet)."""
    try:
        return tk.get_action(name)
    except (KeyError, AttributeError):
        return None


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _name(org: Any) -> str:
    """A division's name from an organization dict or name."""
    return (org.get("name") or "") if isinstance(org, dict) else (org or "")


def _licences(context: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Each licence's cost and the divisions it covers besides the one that bought it."""
    search = _action("hhs_marketplace_licence_search")
    if search is None:
        return None
    found, offset = [], 0
    while True:
        page = search({**context}, {"limit": 100, "offset": offset})
        for licence in page["results"]:
            holder = _name(licence.get("holder"))
            covered = {_name(c) for c in licence.get("covered") or []} - {holder, ""}
            found.append({"cost": _money(licence.get("cost")), "covered": sorted(covered)})
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            return found


def _reuse(divisions: dict[str, tuple[str, str]]) -> dict[str, dict[str, int]] | None:
    """Views of dataset pages and resource downloads per division id and HHS-wide, from CKAN's
    tracking tables (None when the tracking plugin is off: nothing is counted then)."""
    if not p.plugin_loaded("tracking"):
        return None
    from ckanext.tracking.model import TrackingSummary as ts

    out: dict[str, dict[str, int]] = defaultdict(lambda: {"views": 0, "downloads": 0})
    views = (
        model.Session.query(model.Package.owner_org, sa.func.coalesce(sa.func.sum(ts.count), 0))
        .join(ts, ts.package_id == model.Package.id)
        .filter(ts.tracking_type == "page", model.Package.type == "dataset")
        .group_by(model.Package.owner_org)
    )
    downloads = (
        model.Session.query(model.Package.owner_org, sa.func.coalesce(sa.func.sum(ts.count), 0))
        .select_from(ts)
        .join(model.Resource, model.Resource.url == ts.url)
        .join(model.Package, model.Package.id == model.Resource.package_id)
        .filter(ts.tracking_type == "resource", model.Package.type == "dataset")
        .group_by(model.Package.owner_org)
    )
    for kind, query in (("views", views), ("downloads", downloads)):
        for org_id, count in query:
            out[gm.HHS_WIDE][kind] += int(count)
            if org_id in divisions:
                out[org_id][kind] += int(count)
    return out


def _lakehouse(context: dict[str, Any], divisions: dict[str, tuple[str, str]]) -> dict[str, dict[str, int]] | None:
    """Registered lakehouse tables and stale ones per division id and HHS-wide (None without the plugin)."""
    table_list = _action("hhs_lakehouse_table_list")
    if table_list is None:
        return None
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"tables": 0, "stale": 0})
    owners: dict[str, str] = {}
    offset = 0
    while True:
        page = table_list({**context}, {"limit": 100, "offset": offset})
        ids = {t["package_id"] for t in page["results"]} - owners.keys()
        if ids:
            owners.update(
                model.Session.query(model.Package.id, model.Package.owner_org).filter(model.Package.id.in_(ids)).all()
            )
        for table in page["results"]:
            for key in _scopes(owners.get(table["package_id"]), divisions):
                out[key]["tables"] += 1
                out[key]["stale"] += bool(table["stale"])
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            return out


def _roi(
    context: dict[str, Any],
    division: str,
    licences: list[dict[str, Any]] | None,
    duplicates: int | None,
    reuse: dict[str, int] | None,
    lakehouse: dict[str, int] | None,
) -> dict[str, Any]:
    """The ROI figures of one scope. Data needs and duplicates are HHS-wide: the division view leaves them out."""
    hhs_wide = division == gm.HHS_WIDE
    baseline = config.dua_baseline_days()
    out: dict[str, Any] = {
        "baseline_days": baseline,
        "marketplace": None,
        "licences": None,
        "duplicates_resolved": duplicates if hhs_wide else None,
        "reuse": reuse,
        "lakehouse": lakehouse,
    }
    hours: dict[str, float] = {}
    metrics = _action("hhs_marketplace_metrics")
    if metrics is not None:
        m = metrics({**context}, {} if hhs_wide else {"division": division})
        median_hours = m["hours_to_access"]["median"]
        median_days = round(median_hours / 24, 1) if median_hours is not None else None
        granted = m["hours_to_access"]["count"]
        out["marketplace"] = {
            "requests_by_status": m["requests_by_status"],
            "requests_total": m["requests_total"],
            "access_granted": granted,
            "median_hours_to_access": median_hours,
            "median_days_to_access": median_days,
            "days_saved_per_request": round(baseline - median_days, 1) if median_days is not None else None,
            "needs_answered_from_existing_data": m["needs"]["answered_by_existing_data"] if hhs_wide else None,
            "needs_open": m["needs"]["open"] if hhs_wide else None,
            # Time to grant (median, p90) per division and product, and the grants given, live and used.
            "time_to_grant": m.get("time_to_grant"),
            "grants_active": m.get("grants_active"),
            "grants": m.get("grants"),
        }
        hours["dua"] = granted * config.hours_per_dua()
        if hhs_wide:
            hours["data_call"] = m["needs"]["answered_by_existing_data"] * config.hours_per_data_call()
    if licences is not None:
        if hhs_wide:
            reused = [lc for lc in licences if lc["covered"]]
            avoided = sum((lc["cost"] * len(lc["covered"]) for lc in reused), Decimal(0))
            reusing = sum(len(lc["covered"]) for lc in reused)
        else:
            reused = [lc for lc in licences if division in lc["covered"]]
            avoided = sum((lc["cost"] for lc in reused), Decimal(0))
            reusing = len(reused)
        out["licences"] = {
            "held": len(licences),
            "reused": len(reused),
            "reuses": reusing,
            "cost_avoided": float(avoided),
        }
    if hhs_wide and duplicates is not None:
        hours["duplicate_cleanup"] = duplicates * config.hours_per_duplicate()
    out["hours_saved"] = {**{k: round(v, 1) for k, v in hours.items()}, "total": round(sum(hours.values()), 1)}
    return out


# ---------------------------------------------------------------- the figures job


def _divisions() -> dict[str, tuple[str, str]]:
    """Every active organization: id -> (name, title)."""
    rows = model.Session.query(model.Group.id, model.Group.name, model.Group.title).filter(
        model.Group.is_organization.is_(True), model.Group.state == "active"
    )
    return {gid: (name, title or name) for gid, name, title in rows}


def compute_figures(progress: Progress | None = None) -> gm.MetricsRun:
    """Compute every figure with full visibility and store them as one dated snapshot per division
    and one HHS-wide, written together at the end."""
    run = _start("figures")
    try:
        context = site_context()
        divisions = _divisions()
        imports: dict[tuple[str, str], dict[str, Any]] = {}
        catalog, findings = _walk_catalog(divisions, progress, imports)
        _reclassify_unresolved()
        links = _links(divisions)
        harvest = _harvest(divisions, findings)
        imported = _imported(imports, divisions)
        licences = _licences(context)
        summary = _action("hhs_governance_duplicate_summary")
        duplicates = summary({**context}, {}).get("duplicate") if summary else None
        reuse = _reuse(divisions)
        lakehouse = _lakehouse(context, divisions)
        # Every division, also one that publishes nothing (a figure too); the Board itself only if it publishes.
        board = core_config.governance_org()
        scopes = [gm.HHS_WIDE] + sorted(
            (gid for gid, (name, _) in divisions.items() if name != board or catalog[gid].datasets),
            key=lambda gid: divisions[gid][0],
        )
        computed = values.now()
        for key in scopes:
            name, title = divisions[key] if key else ("", "HHS-wide")
            figures = {
                "division": {"name": name, "title": title},
                "catalog": catalog[key].figures(),
                "links": links[key],
                "harvest": None if harvest is None else [h for h in harvest if not name or h["division"] == name],
                "imported": [i for i in imported if not name or i["division"] == name],
                "roi": _roi(
                    context,
                    name,
                    licences,
                    duplicates,
                    None if reuse is None else reuse[key],
                    None if lakehouse is None else lakehouse[key],
                ),
            }
            model.Session.add(gm.MetricsSnapshot(run_id=run.id, division=name, computed_at=computed, figures=figures))
        run.counts = {"divisions": len(scopes) - 1, "datasets": catalog[gm.HHS_WIDE].datasets}
    except Exception as e:  # noqa: BLE001 (recorded on the run and shown on the page)
        _end(run, e)
        raise
    _end(run)
    return run
