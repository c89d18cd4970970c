"""The link check: a bounded batch of resource URLs, the least recently checked first, each fetched
through the core's fetch guard with a pause between fetches; each URL's status is stored as soon as it
is known, so an interrupted run loses nothing. And the link figures of a snapshot."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa

import ckan.model as model

from ckanext.hhs import net, values

from .. import config
from . import model as gm
from . import runs, scopes

log = logging.getLogger(__name__)

# The failing links kept in a snapshot are capped so a snapshot stays bounded; the page and its CSV
# both read that same list.
LIST_CAP = 5000


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


def reclassify_unresolved() -> None:
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


def check_links(progress: runs.Progress | None = None, limit: int | None = None) -> gm.MetricsRun:
    """Check a batch of resource URLs (http(s) only, through the fetch guard, one at a time with a pause
    between fetches) and store each one's status as soon as it is known."""
    run = runs.start("linkcheck")
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
        runs.end(run, e)
        raise
    runs.end(run)
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


# ---------------------------------------------------------------- the snapshot's link figures


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


def figures(divisions: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
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
        for key in scopes.of(org_id, divisions):
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
        for key in scopes.of(org_id, divisions):
            if len(out[key]["broken_links"]) < LIST_CAP:
                out[key]["broken_links"].append(link)
    return out
