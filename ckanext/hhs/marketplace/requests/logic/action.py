"""Actions of access requests: asking for a data product, the stewards' decisions, the grants that
provision real access and their expiry."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.context import all_or_nothing as _all_or_nothing
from ckanext.hhs.context import site_user
from ckanext.hhs.logic.validation import validate

from ... import config as mp_config
from ... import mail, objects, permissions
from ... import model as mm
from ...records import versions
from .. import dictize, grants
from . import schema

log = logging.getLogger(__name__)

# Products in these states take new requests.
REQUESTABLE = ("active", "deprecated")


@validate(schema.request_create)
@_all_or_nothing
def hhs_marketplace_request_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask for access to a data product under its standard terms.

    A second submit while a request of the same user for the same product is still open returns that
    request (with ``duplicate: true``) instead of creating another. Products that are open to all HHS
    staff are granted at once. A product whose components are all open to HHS staff (none private)
    opens in one step: no purpose, end date or terms are asked; the request is recorded, approved at
    once for the product's longest access, and a second call while it lasts returns it.

    :param product: the data product's name or id
    :param purpose: what the data will be used for (not asked by a product that opens at once)
    :param project: the project or program (optional)
    :param datasets: names of the product's component datasets wanted (optional; default all)
    :param columns: the columns needed, if not all (optional)
    :param end_date: until when access is needed, YYYY-MM-DD (or give ``duration_days``)
    :param duration_days: for how many days access is needed (or give ``end_date``)
    :param accept_terms: must be true: the requester accepts the product's standard terms
    :returns: the request
    :rtype: dict
    """
    tk.check_access("hhs_marketplace_request_create", context, data_dict)
    user = objects.caller(context)
    product, pkg = objects.product(data_dict["product"], context)
    if pkg.get("product_status") not in REQUESTABLE:
        raise tk.ValidationError(
            {
                "product": [
                    tk._('"{product}" is {status}; it takes no access requests').format(
                        product=pkg["title"], status=pkg.get("product_status") or "draft"
                    )
                ]
            }
        )
    at_once = permissions.opens_at_once(pkg.get("component_datasets"))
    if at_once:
        live = _live_request(product.id, user.id)
        if live is not None:
            return {**dictize.request_dict(live, user.name), "duplicate": True}
        longest = min(tk.asint(pkg.get("max_access_days") or mp_config.max_access_days()), 36500)
        end_date, wanted = mm.now().date() + dt.timedelta(days=longest), []
    else:
        if not data_dict.get("purpose"):
            raise tk.ValidationError({"purpose": [tk._("Missing value")]})
        if not data_dict.get("accept_terms"):
            raise tk.ValidationError(
                {"accept_terms": [tk._("You must accept the product's standard terms to request access")]}
            )
        end_date = _end_date(data_dict, pkg)
        wanted = _wanted_datasets(data_dict.get("datasets") or [], pkg, user.name)

    existing = _open_request(product.id, user.id)
    if existing is not None:
        return {**dictize.request_dict(existing, user.name), "duplicate": True}
    request = mm.AccessRequest(
        product_id=product.id,
        owner_org_id=product.owner_org,
        requester_id=user.id,
        status="submitted",
        purpose=data_dict.get("purpose", ""),
        project=data_dict.get("project", ""),
        datasets=wanted,
        columns=data_dict.get("columns", ""),
        end_date=end_date,
        # The terms' text as the requester accepted it; none are asked where every component is open.
        terms_accepted="" if at_once else pkg.get("standard_terms") or "",
        second_level=pkg.get("access_terms") == "restricted" and not at_once,
    )
    model.Session.add(request)
    try:
        model.Session.flush()
    except IntegrityError:
        # Two submits at the same moment: the other one won; answer with it.
        model.Session.rollback()
        existing = _open_request(product.id, user.id)
        if existing is None:
            raise
        return {**dictize.request_dict(existing, user.name), "duplicate": True}
    mm.record("request", request.id, user.id, "submit", request.purpose, end_date=end_date.isoformat())
    if at_once:
        _approve(request, site_user(), tk._("Every dataset of the product is open to HHS staff: access at once"))
    elif pkg.get("access_terms") == "open":
        _approve(request, site_user(), tk._("Open to all HHS staff: granted on request"))
    model.Session.commit()
    if request.status == "approved":
        grants.provision(request)
        versions.keep(request, None, "approved")
        mail.request_decided(request)
    else:
        mail.request_submitted(request)
    return dictize.request_dict(request, user.name)


@tk.side_effect_free
@validate(schema.request_ref)
def hhs_marketplace_request_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A request with its grants and full audit trail. The requester and the deciders only.

    :param id: the request's id
    :rtype: dict
    """
    tk.check_access("hhs_marketplace_request_show", context, data_dict)
    request = objects.access_request(data_dict["id"])
    return dictize.request_dict(request, context.get("user"), full=True)


@tk.side_effect_free
@validate(schema.request_list)
def hhs_marketplace_request_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Requests the caller made (``scope=mine``), or those the caller decides (``scope=queue``):
    requests for the products of divisions where the caller is an editor or admin, and those awaiting
    the caller's second-level review. Nobody sees other people's requests otherwise.

    :param scope: ``mine`` (default) or ``queue``
    :param status: a status, or ``open`` for submitted, info_requested and awaiting_second (optional)
    :param product: a product's name or id (optional)
    :param limit: (optional, default 50)
    :param offset: (optional)
    :returns: ``count`` and ``results``
    """
    tk.check_access("hhs_marketplace_request_list", context, data_dict)
    user = objects.caller(context)
    query = model.Session.query(mm.AccessRequest)
    if data_dict["scope"] == "mine":
        query = query.filter(mm.AccessRequest.requester_id == user.id)
    elif not user.sysadmin:
        stewarded = permissions.division_ids(user.name, least=2)
        admin_of = permissions.division_ids(user.name, least=3)
        second = mm.AccessRequest.status == "awaiting_second"
        if permissions.is_second_level(None, user.name):  # a board reviewer sees every second-level wait
            second_filter = second
        else:
            second_filter = sa.and_(second, mm.AccessRequest.owner_org_id.in_(admin_of or [""]))
        query = query.filter(sa.or_(mm.AccessRequest.owner_org_id.in_(stewarded or [""]), second_filter))
    status = data_dict.get("status")
    if status == "open":
        query = query.filter(mm.AccessRequest.status.in_(mm.OPEN_STATUSES))
    elif status:
        query = query.filter(mm.AccessRequest.status == status)
    if data_dict.get("product"):
        product = model.Package.get(data_dict["product"])
        query = query.filter(mm.AccessRequest.product_id == (product.id if product else ""))
    count = query.count()
    rows = (
        query.order_by(mm.AccessRequest.modified.desc())
        .offset(data_dict.get("offset", 0))
        .limit(data_dict.get("limit", 50))
        .all()
    )
    return {"count": count, "results": [dictize.request_dict(r, user.name) for r in rows]}


@tk.side_effect_free
@validate(schema.grant_list)
def hhs_marketplace_grant_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The caller's live grants (approved, not withdrawn, through their end date), soonest end first:
    what the caller may open now through the marketplace, and until when.

    :param dataset: only grants on this dataset (name or id; optional)
    :param product: only grants of requests for this data product (name or id; optional)
    :returns: each with ``request`` (id), ``product`` and ``dataset`` (id, name, title) and ``end_date``
    """
    tk.check_access("hhs_marketplace_grant_list", context, data_dict)
    user = objects.caller(context)
    query = (
        model.Session.query(mm.Grant, mm.AccessRequest)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(
            mm.Grant.user_id == user.id,
            mm.Grant.revoked.is_(None),
            mm.Grant.end_date >= mm.now().date(),
            mm.AccessRequest.status == "approved",
        )
    )
    for field, column in (("dataset", mm.Grant.package_id), ("product", mm.AccessRequest.product_id)):
        if data_dict.get(field):
            pkg = model.Package.get(data_dict[field])
            query = query.filter(column == (pkg.id if pkg else ""))
    out = []
    for grant, request in query.order_by(mm.Grant.end_date, mm.Grant.created):
        dataset = model.Session.get(model.Package, grant.package_id)
        product = model.Session.get(model.Package, request.product_id)
        if dataset is None or product is None or dataset.state != "active":
            continue
        out.append(
            {
                "request": request.id,
                "product": {"id": product.id, "name": product.name, "title": product.title or product.name},
                "dataset": {"id": dataset.id, "name": dataset.name, "title": dataset.title or dataset.name},
                "end_date": grant.end_date.isoformat(),
            }
        )
    return out


@validate(schema.request_ref)
@_all_or_nothing
def hhs_marketplace_request_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Approve a request. An editor or admin of the product's division decides; for a restricted product
    a second approver (the division's admin or the Data Governance Board) must approve as well. The
    final approval makes the requester a collaborator (member) on each private component dataset of
    the owner division until the request's end date.

    :param id: the request's id
    :param message: a note for the requester (optional)
    """
    tk.check_access("hhs_marketplace_request_approve", context, data_dict)
    request = objects.access_request(data_dict["id"])
    user = objects.caller(context)
    _expect(request, ("submitted", "awaiting_second"), "approve")
    if request.second_level and request.status == "submitted":
        request.status = "awaiting_second"
        request.first_decided_by = user.id
        request.modified = mm.now()
        mm.record("request", request.id, user.id, "approve_first", data_dict.get("message", ""))
        model.Session.commit()
        mail.request_second_level(request)
        return dictize.request_dict(request, user.name, full=True)
    _approve(request, user, data_dict.get("message", ""))
    model.Session.commit()
    grants.provision(request)
    versions.keep(request, user.id, "approved")
    mail.request_decided(request)
    return dictize.request_dict(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a request, saying why.

    :param id: the request's id
    :param message: why (required)
    """
    tk.check_access("hhs_marketplace_request_reject", context, data_dict)
    request = objects.access_request(data_dict["id"])
    user = objects.caller(context)
    _expect(request, mm.OPEN_STATUSES, "reject")
    _decide(request, user, "rejected", "reject", data_dict["message"])
    versions.keep(request, user.id, "rejected")
    mail.request_decided(request)
    return dictize.request_dict(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_ask_info(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask the requester for more information before deciding.

    :param id: the request's id
    :param message: the question (required)
    """
    tk.check_access("hhs_marketplace_request_ask_info", context, data_dict)
    request = objects.access_request(data_dict["id"])
    user = objects.caller(context)
    _expect(request, ("submitted", "awaiting_second"), "ask for information on")
    request.status = "info_requested"
    request.modified = mm.now()
    mm.record("request", request.id, user.id, "ask_info", data_dict["message"])
    model.Session.commit()
    mail.request_decided(request, question=data_dict["message"])
    return dictize.request_dict(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_respond(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The requester answers a question; the request goes back to the stewards.

    :param id: the request's id
    :param message: the answer (required)
    """
    tk.check_access("hhs_marketplace_request_respond", context, data_dict)
    request = objects.access_request(data_dict["id"])
    user = objects.caller(context)
    _expect(request, ("info_requested",), "answer")
    request.status = "awaiting_second" if request.first_decided_by else "submitted"
    request.modified = mm.now()
    mm.record("request", request.id, user.id, "respond", data_dict["message"])
    model.Session.commit()
    mail.request_submitted(request, answer=data_dict["message"])
    return dictize.request_dict(request, user.name, full=True)


@validate(schema.request_ref)
@_all_or_nothing
def hhs_marketplace_request_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The requester withdraws a request; an approved one gives its access back at once.

    :param id: the request's id
    :param message: why (optional)
    """
    tk.check_access("hhs_marketplace_request_withdraw", context, data_dict)
    request = objects.access_request(data_dict["id"])
    user = objects.caller(context)
    _expect(request, (*mm.OPEN_STATUSES, "approved"), "withdraw")
    was_approved = request.status == "approved"
    request.status = "withdrawn"
    request.modified = mm.now()
    mm.record("request", request.id, user.id, "withdraw", data_dict.get("message", ""))
    model.Session.commit()
    if was_approved:
        grants.revoke(request, "withdrawn", mm.now().date())
        versions.keep(request, user.id, "withdrawn")
    return dictize.request_dict(request, user.name, full=True)


@validate(schema.request_extend)
@_all_or_nothing
def hhs_marketplace_request_extend(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Extend an approved request's access to a later end date (within the product's longest access,
    counted from today). The product division's stewards; the requester is told by mail.

    :param id: the request's id
    :param end_date: the new end date, YYYY-MM-DD, after the current one
    :param message: a note for the requester (optional)
    """
    tk.check_access("hhs_marketplace_request_extend", context, data_dict)
    request = objects.access_request(data_dict["id"])
    user = objects.caller(context)
    _expect(request, ("approved",), "extend")
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": request.product_id})
    end = _end_date({"end_date": data_dict["end_date"]}, pkg)
    if end <= request.end_date:
        raise tk.ValidationError(
            {"end_date": [tk._("The new end date must be after {date}").format(date=request.end_date)]}
        )
    previous, request.end_date, request.modified = request.end_date, end, mm.now()
    for grant in model.Session.query(mm.Grant).filter(mm.Grant.request_id == request.id, mm.Grant.revoked.is_(None)):
        grant.end_date = end
    mm.record(
        "request", request.id, user.id, "extend", data_dict.get("message", ""),
        previous=previous.isoformat(), end_date=end.isoformat(),
    )  # fmt: skip
    versions.keep(request, user.id, "extended")
    mail.request_changed(request, data_dict.get("message", ""))
    return dictize.request_dict(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Withdraw an approved request's access at once, saying why. The product division's stewards; the
    requester is told by mail.

    :param id: the request's id
    :param message: why (required)
    """
    tk.check_access("hhs_marketplace_request_revoke", context, data_dict)
    request = objects.access_request(data_dict["id"])
    user = objects.caller(context)
    _expect(request, ("approved",), "withdraw access of")
    request.status, request.modified = "withdrawn", mm.now()
    mm.record("request", request.id, user.id, "revoke_access", data_dict["message"])
    model.Session.commit()
    grants.revoke(request, "withdrawn by the steward", mm.now().date())
    versions.keep(request, user.id, "access withdrawn")
    mail.request_changed(request, data_dict["message"])
    return dictize.request_dict(request, user.name, full=True)


def hhs_marketplace_grants_expire(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke the grants whose end date has passed, and provision approved requests that miss access
    (after a crash between approval and provisioning). Safe to run any number of times: the expiry
    job and `ckan hhs marketplace expire` call it. Sysadmins only.

    :param as_of: the day to expire against, YYYY-MM-DD (optional, default today)
    :returns: ``revoked`` (grants), ``expired`` (request ids), ``provisioned`` (grants re-made) and
        ``removed`` (collaborations that outlived the grants that made them)
    """
    tk.check_access("hhs_marketplace_grants_expire", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.grants_expire(), context)
    if errors:
        raise tk.ValidationError(errors)
    as_of = data.get("as_of") or mm.now().date()
    expired, revoked = [], 0
    due = (
        model.Session.query(mm.AccessRequest)
        .filter(mm.AccessRequest.status == "approved", mm.AccessRequest.end_date < as_of)
        .all()
    )
    for request in due:
        request.status = "expired"
        request.modified = mm.now()
        mm.record("request", request.id, None, "expire", tk._("Access ended on {date}").format(date=request.end_date))
        model.Session.commit()
        revoked += grants.revoke(request, "expired", as_of)
        versions.keep(request, None, "expired")
        expired.append(request.id)
        mail.request_expired(request)
    # Grants left behind by a request that ended some other way (a crash between steps).
    stray = (
        model.Session.query(mm.AccessRequest)
        .join(mm.Grant, mm.Grant.request_id == mm.AccessRequest.id)
        .filter(mm.Grant.revoked.is_(None), mm.AccessRequest.status.in_(("expired", "withdrawn", "rejected")))
        .distinct()
        .all()
    )
    for request in stray:
        revoked += grants.revoke(request, request.status, as_of)
    provisioned = 0
    for request in model.Session.query(mm.AccessRequest).filter(mm.AccessRequest.status == "approved").all():
        provisioned += grants.provision(request)
        if not model.Session.query(mm.UseRecord.id).filter(mm.UseRecord.request_id == request.id).first():
            versions.keep(request, request.decided_by, "approved")  # the approval's step after a crash
    removed = grants.remove_leftovers(as_of)
    return {"revoked": revoked, "expired": expired, "provisioned": provisioned, "removed": removed}


# A grant's collaboration counts only while the grant is live (requests/grants.py): this list is where CKAN's
# search permission labels, hence package_show, resource_show, downloads and search, learn it.
@tk.chained_action
@tk.side_effect_free
def package_collaborator_list_for_user(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    rows = up_func(context, data_dict)
    user = model.User.get(data_dict["id"])  # up_func found it
    given = [(r["package_id"], dt.datetime.fromisoformat(r["modified"]) if r.get("modified") else None) for r in rows]
    gone = grants.ended(user.id, given)
    return [row for row in rows if row["package_id"] not in gone]


def _wanted_datasets(refs: list[str], pkg: dict[str, Any], user_name: str) -> list[str]:
    """Ids of the requested components (those the requester may see by name); empty means all."""
    listed = objects.components(pkg)
    components = {p.id: p for p in listed}
    by_ref = {ref: p.id for p in components.values() for ref in (p.id, p.name)}
    # "#n": the product's n-th component, as hhs_marketplace_component_list names a restricted one.
    by_ref.update((f"#{n}", p.id) for n, p in enumerate(listed, start=1))
    owner = model.Package.get(pkg["id"]).owner_org
    wanted = []
    for ref in refs:
        pid = by_ref.get(ref)
        if pid is not None and ref.startswith("#") and components[pid].owner_org == owner:
            wanted.append(pid)
            continue
        if pid is None or (components[pid].private and not roles.may_read(user_name, pid)):
            raise tk.ValidationError({"datasets": [tk._('"{ref}" is not part of this product').format(ref=ref)]})
        wanted.append(pid)
    return list(dict.fromkeys(wanted))


def _end_date(data_dict: DataDict, pkg: dict[str, Any]) -> dt.date:
    today = mm.now().date()
    # A product's own limit is any natural number: past a century it is no limit, and dates overflow.
    longest = min(tk.asint(pkg.get("max_access_days") or mp_config.max_access_days()), 36500)
    if data_dict.get("end_date"):
        field, end = "end_date", data_dict["end_date"]
    elif data_dict.get("duration_days"):
        # Compared before the date is computed: a huge number of days overflows the date arithmetic.
        field, days = "duration_days", min(int(data_dict["duration_days"]), longest + 1)
        end = today + dt.timedelta(days=days)
    else:
        raise tk.ValidationError({"end_date": [tk._("Say until when you need access (an end date or a duration)")]})
    if end <= today:
        raise tk.ValidationError({field: [tk._("The end date {date} must be after today").format(date=end)]})
    if (end - today).days > longest:
        raise tk.ValidationError(
            {
                field: [
                    tk._("This product gives access for at most {days} days (until {date})").format(
                        days=longest, date=today + dt.timedelta(days=longest)
                    )
                ]
            }
        )
    return end


def _open_request(product_id: str, user_id: str) -> mm.AccessRequest | None:
    return (
        model.Session.query(mm.AccessRequest)
        .filter(
            mm.AccessRequest.product_id == product_id,
            mm.AccessRequest.requester_id == user_id,
            mm.AccessRequest.status.in_(mm.OPEN_STATUSES),
        )
        .first()
    )


def _live_request(product_id: str, user_id: str) -> mm.AccessRequest | None:
    """The user's approved request for the product that still gives access today."""
    return (
        model.Session.query(mm.AccessRequest)
        .filter(
            mm.AccessRequest.product_id == product_id,
            mm.AccessRequest.requester_id == user_id,
            mm.AccessRequest.status == "approved",
            mm.AccessRequest.end_date >= mm.now().date(),
        )
        .order_by(mm.AccessRequest.end_date.desc())
        .first()
    )


def _expect(request: mm.AccessRequest, statuses: tuple[str, ...], step: str) -> None:
    if request.status not in statuses:
        raise tk.ValidationError(
            {
                "status": [
                    tk._("The request is {status}; you cannot {step} it").format(
                        status=request.status.replace("_", " "), step=step
                    )
                ]
            }
        )


def _decide(request: mm.AccessRequest, user: model.User, status: str, action: str, message: str) -> None:
    request.status = status
    request.decided_by = user.id
    request.decided = request.modified = mm.now()
    mm.record("request", request.id, user.id, action, message)


def _approve(request: mm.AccessRequest, user: model.User, message: str) -> None:
    _decide(request, user, "approved", "approve", message)
