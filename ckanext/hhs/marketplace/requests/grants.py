"""Grants: the access an approved request gives, made and ended here, and when it counts.

A grant gives access from its approval through its end date, until it is withdrawn.

A grant works through a CKAN collaboration (the requester as member of the private dataset), which the
expiry job removes when the grant ends. Access must not wait for the job: a collaboration that a grant
made counts only while one of the person's grants on the dataset is live. Read at the moment of
access, through CKAN's own list of a user's collaborations (the source of the search permission
labels, hence of package_show, resource_show, downloads, search and the lakehouse)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

from .. import model as mm
from .. import objects

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


def provision(request: mm.AccessRequest) -> int:
    """Make the requester a collaborator (member) on each private component dataset of the owner
    division, recording a grant per dataset; datasets already granted are checked, not granted again.
    Returns how many collaborations were made."""
    product = model.Package.get(request.product_id)
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": product.id})
    components = objects.components(pkg)
    if request.datasets:
        components = [p for p in components if p.id in request.datasets]
    made = 0
    context = site_context()
    for dataset in components:
        if not dataset.private or dataset.owner_org != product.owner_org:
            continue  # public data needs no grant; another division's data is that division's to give
        grant = model.Session.query(mm.Grant).filter_by(request_id=request.id, package_id=dataset.id).first()
        member = _collaborator(dataset.id, request.requester_id)
        if grant is None:
            grant = mm.Grant(
                request_id=request.id,
                package_id=dataset.id,
                user_id=request.requester_id,
                end_date=request.end_date,
                preexisting=member is not None and _predates_the_marketplace(request, dataset.id),
            )
            model.Session.add(grant)
            mm.record("request", request.id, None, "grant", data_product=product.name, dataset=dataset.id)
            model.Session.commit()
        elif grant.revoked is not None or grant.preexisting:
            continue
        if member is None:
            tk.get_action("package_collaborator_create")(
                dict(context), {"id": dataset.id, "user_id": request.requester_id, "capacity": "member"}
            )
            made += 1
    if request.granted is None:
        request.granted = mm.now()
    model.Session.commit()
    return made


def _predates_the_marketplace(request: mm.AccessRequest, package_id: str) -> bool:
    """Whether the requester's existing collaboration on the dataset was made outside the marketplace.

    Only then is it kept when the grant ends. A collaboration that another grant made (or that a grant
    left behind) is the marketplace's: the last grant to end removes it. The latest other grant of the
    same person on the dataset, a live one first, says where the collaboration came from; with no
    grant before, it predates the marketplace."""
    others = (
        model.Session.query(mm.Grant)
        .filter(
            mm.Grant.package_id == package_id,
            mm.Grant.user_id == request.requester_id,
            mm.Grant.request_id != request.id,
        )
        .order_by(mm.Grant.revoked.isnot(None), mm.Grant.created.desc())
        .first()
    )
    return others is None or others.preexisting


def _collaborator(package_id: str, user_id: str) -> model.PackageMember | None:
    return (
        model.Session.query(model.PackageMember)
        .filter(model.PackageMember.package_id == package_id, model.PackageMember.user_id == user_id)
        .one_or_none()
    )


def revoke(request: mm.AccessRequest, reason: str, as_of: dt.date) -> int:
    """End the request's grants; the collaboration goes unless it predates the grant or another active
    grant of the same user still needs it. Returns how many grants were ended."""
    context = site_context()
    ended = 0
    grants = model.Session.query(mm.Grant).filter(mm.Grant.request_id == request.id, mm.Grant.revoked.is_(None))
    for grant in grants.all():
        if not grant.preexisting and not _still_needed(grant, as_of) and _collaborator(grant.package_id, grant.user_id):
            with contextlib.suppress(tk.ObjectNotFound):  # removed by hand already
                tk.get_action("package_collaborator_delete")(
                    dict(context), {"id": grant.package_id, "user_id": grant.user_id}
                )
        grant.revoked, grant.revoke_reason = mm.now(), reason
        mm.record("request", request.id, None, "revoke", reason, dataset=grant.package_id)
        model.Session.commit()
        ended += 1
    return ended


def _still_needed(grant: mm.Grant, as_of: dt.date) -> bool:
    """Whether another live grant of the same person on the same dataset needs the collaboration."""
    other = (
        model.Session.query(mm.Grant.id)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(
            mm.Grant.package_id == grant.package_id,
            mm.Grant.user_id == grant.user_id,
            mm.Grant.id != grant.id,
            mm.Grant.revoked.is_(None),
            mm.Grant.end_date >= as_of,
            mm.AccessRequest.status == "approved",
        )
        .first()
    )
    return other is not None


def remove_leftovers(as_of: dt.date) -> int:
    """Remove collaborations that an ended grant made and that outlived it (a later grant of the same
    person once counted them as preexisting, so the last revoke kept them). A collaboration changed
    after the grant ended was given again by hand and stays. Returns how many were removed."""
    rows = (
        model.Session.query(mm.Grant)
        .join(
            model.PackageMember,
            sa.and_(
                model.PackageMember.package_id == mm.Grant.package_id, model.PackageMember.user_id == mm.Grant.user_id
            ),
        )
        .filter(
            mm.Grant.revoked.isnot(None),
            mm.Grant.preexisting.is_(False),
            model.PackageMember.modified <= mm.Grant.revoked,
        )
        .order_by(mm.Grant.revoked.desc())
        .all()
    )
    context = site_context()
    removed, seen = 0, set()
    for grant in rows:
        key = (grant.package_id, grant.user_id)
        if key in seen or _still_needed(grant, as_of):
            continue
        seen.add(key)
        # The latest grant of the person on the dataset decides: one that kept a collaboration made
        # outside the marketplace keeps it.
        latest = (
            model.Session.query(mm.Grant)
            .filter(mm.Grant.package_id == grant.package_id, mm.Grant.user_id == grant.user_id)
            .order_by(mm.Grant.created.desc())
            .first()
        )
        if latest is not None and latest.preexisting and latest.created > grant.revoked:
            continue
        with contextlib.suppress(tk.ObjectNotFound):
            tk.get_action("package_collaborator_delete")(
                dict(context), {"id": grant.package_id, "user_id": grant.user_id}
            )
        mm.record("request", grant.request_id, None, "revoke", "leftover", dataset=grant.package_id)
        model.Session.commit()
        removed += 1
    return removed
