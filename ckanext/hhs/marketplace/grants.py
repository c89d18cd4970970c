"""When a grant gives access: from its approval through its end date, until it is withdrawn.

A grant works through a CKAN collaboration (the requester as member of the private dataset), which the
expiry job removes when the grant ends. Access must not wait for the job: a collaboration that a grant
made counts only while one of the person's grants on the dataset is live. Read at the moment of
access, through CKAN's own list of a user's collaborations (the source of the search permission
labels, hence of package_show, resource_show, downloads, search and the lakehouse)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import ckan.model as model

from . import model as mm

_DAY = dt.timedelta(days=1)


def is_live(grant: mm.Grant, request: mm.AccessRequest, today: dt.date) -> bool:
    """A grant is live through its end date (inclusive), while its request stands and it is not revoked."""
    return grant.revoked is None and request.status == "approved" and grant.end_date >= today


def _ended_at(grant: mm.Grant, request: mm.AccessRequest) -> dt.datetime:
    """The moment the grant stopped giving access (the first of revocation, the request's end, midnight
    after its last day)."""
    moments = [dt.datetime.combine(grant.end_date + _DAY, dt.time())]
    if grant.revoked is not None:
        moments.append(grant.revoked)
    if request.status != "approved":
        moments.append(request.modified)
    return min(moments)


def ended(user_id: str, collaborations: Iterable[tuple[str, dt.datetime | None]]) -> set[str]:
    """Of the user's collaborations (package id, when the collaboration was last given), the packages
    where it was made by grants that have all ended. A collaboration that predates the marketplace, or
    that someone gave again after the last grant ended, is not the marketplace's and stays."""
    given = dict(collaborations)
    if not given:
        return set()
    rows = (
        model.Session.query(mm.Grant, mm.AccessRequest)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(mm.Grant.user_id == user_id, mm.Grant.package_id.in_(list(given)))
        .all()
    )
    by_package: dict[str, list[tuple[mm.Grant, mm.AccessRequest]]] = defaultdict(list)
    for grant, request in rows:
        by_package[grant.package_id].append((grant, request))
    today = mm.now().date()
    out = set()
    for package_id, pairs in by_package.items():
        latest = max(pairs, key=lambda pair: pair[0].created)[0]
        if latest.preexisting or any(is_live(g, r, today) for g, r in pairs):
            continue
        last_end = max(_ended_at(g, r) for g, r in pairs)
        modified = given[package_id]
        if modified is not None and modified > last_end:
            continue
        out.add(package_id)
    return out
