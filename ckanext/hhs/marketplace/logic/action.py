"""Actions of the marketplace: access requests that provision real access, third-party licences,
data needs, and the metrics the ROI dashboard reads."""

from __future__ import annotations

import contextlib
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
from ckanext.hhs.context import site_context, site_user
from ckanext.hhs.logic.validation import validate

from .. import config as mp_config
from .. import grants, mail, permissions
from .. import model as mm
from . import schema

log = logging.getLogger(__name__)

# Products in these states take new requests.
REQUESTABLE = ("active", "deprecated")


# ---------------------------------------------------------------- access requests


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
    user = _user(context)
    product, pkg = _product(data_dict["product"], context)
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
            return {**_dictize(live, user.name), "duplicate": True}
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
        return {**_dictize(existing, user.name), "duplicate": True}
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
        return {**_dictize(existing, user.name), "duplicate": True}
    mm.record("request", request.id, user.id, "submit", request.purpose, end_date=end_date.isoformat())
    if at_once:
        _approve(request, site_user(), tk._("Every dataset of the product is open to HHS staff: access at once"))
    elif pkg.get("access_terms") == "open":
        _approve(request, site_user(), tk._("Open to all HHS staff: granted on request"))
    model.Session.commit()
    if request.status == "approved":
        _provision(request)
        _keep_record(request, None, "approved")
        mail.request_decided(request)
    else:
        mail.request_submitted(request)
    return _dictize(request, user.name)


@tk.side_effect_free
@validate(schema.request_ref)
def hhs_marketplace_request_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A request with its grants and full audit trail. The requester and the deciders only.

    :param id: the request's id
    :rtype: dict
    """
    tk.check_access("hhs_marketplace_request_show", context, data_dict)
    request = _get_request(data_dict["id"])
    return _dictize(request, context.get("user"), full=True)


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
    user = _user(context)
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
    return {"count": count, "results": [_dictize(r, user.name) for r in rows]}


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
    user = _user(context)
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
    request = _get_request(data_dict["id"])
    user = _user(context)
    _expect(request, ("submitted", "awaiting_second"), "approve")
    if request.second_level and request.status == "submitted":
        request.status = "awaiting_second"
        request.first_decided_by = user.id
        request.modified = mm.now()
        mm.record("request", request.id, user.id, "approve_first", data_dict.get("message", ""))
        model.Session.commit()
        mail.request_second_level(request)
        return _dictize(request, user.name, full=True)
    _approve(request, user, data_dict.get("message", ""))
    model.Session.commit()
    _provision(request)
    _keep_record(request, user.id, "approved")
    mail.request_decided(request)
    return _dictize(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a request, saying why.

    :param id: the request's id
    :param message: why (required)
    """
    tk.check_access("hhs_marketplace_request_reject", context, data_dict)
    request = _get_request(data_dict["id"])
    user = _user(context)
    _expect(request, mm.OPEN_STATUSES, "reject")
    _decide(request, user, "rejected", "reject", data_dict["message"])
    _keep_record(request, user.id, "rejected")
    mail.request_decided(request)
    return _dictize(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_ask_info(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask the requester for more information before deciding.

    :param id: the request's id
    :param message: the question (required)
    """
    tk.check_access("hhs_marketplace_request_ask_info", context, data_dict)
    request = _get_request(data_dict["id"])
    user = _user(context)
    _expect(request, ("submitted", "awaiting_second"), "ask for information on")
    request.status = "info_requested"
    request.modified = mm.now()
    mm.record("request", request.id, user.id, "ask_info", data_dict["message"])
    model.Session.commit()
    mail.request_decided(request, question=data_dict["message"])
    return _dictize(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_respond(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The requester answers a question; the request goes back to the stewards.

    :param id: the request's id
    :param message: the answer (required)
    """
    tk.check_access("hhs_marketplace_request_respond", context, data_dict)
    request = _get_request(data_dict["id"])
    user = _user(context)
    _expect(request, ("info_requested",), "answer")
    request.status = "awaiting_second" if request.first_decided_by else "submitted"
    request.modified = mm.now()
    mm.record("request", request.id, user.id, "respond", data_dict["message"])
    model.Session.commit()
    mail.request_submitted(request, answer=data_dict["message"])
    return _dictize(request, user.name, full=True)


@validate(schema.request_ref)
@_all_or_nothing
def hhs_marketplace_request_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The requester withdraws a request; an approved one gives its access back at once.

    :param id: the request's id
    :param message: why (optional)
    """
    tk.check_access("hhs_marketplace_request_withdraw", context, data_dict)
    request = _get_request(data_dict["id"])
    user = _user(context)
    _expect(request, (*mm.OPEN_STATUSES, "approved"), "withdraw")
    was_approved = request.status == "approved"
    request.status = "withdrawn"
    request.modified = mm.now()
    mm.record("request", request.id, user.id, "withdraw", data_dict.get("message", ""))
    model.Session.commit()
    if was_approved:
        _revoke(request, "withdrawn", mm.now().date())
        _keep_record(request, user.id, "withdrawn")
    return _dictize(request, user.name, full=True)


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
    request = _get_request(data_dict["id"])
    user = _user(context)
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
    _keep_record(request, user.id, "extended")
    mail.request_changed(request, data_dict.get("message", ""))
    return _dictize(request, user.name, full=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_request_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Withdraw an approved request's access at once, saying why. The product division's stewards; the
    requester is told by mail.

    :param id: the request's id
    :param message: why (required)
    """
    tk.check_access("hhs_marketplace_request_revoke", context, data_dict)
    request = _get_request(data_dict["id"])
    user = _user(context)
    _expect(request, ("approved",), "withdraw access of")
    request.status, request.modified = "withdrawn", mm.now()
    mm.record("request", request.id, user.id, "revoke_access", data_dict["message"])
    model.Session.commit()
    _revoke(request, "withdrawn by the steward", mm.now().date())
    _keep_record(request, user.id, "access withdrawn")
    mail.request_changed(request, data_dict["message"])
    return _dictize(request, user.name, full=True)


@tk.side_effect_free
@validate(schema.use_record_show)
def hhs_marketplace_use_record_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data-use record of a decided request: the request, purpose, terms as accepted, components
    (a restricted one by its listing title), each decision with who and when, the grant's start and
    end. Versions are never changed; a change to the access adds one. For the requester, the product
    division's stewards (and second-level reviewers of a restricted product), the Data Governance Board
    and sysadmins.

    :param id: the request's id
    :param version: the version (optional, default the latest)
    :returns: ``request``, ``version``, ``change``, ``created``, ``created_by``, ``content`` and
        ``versions`` (each version's number, change and date)
    """
    tk.check_access("hhs_marketplace_use_record_show", context, data_dict)
    request = _get_request(data_dict["id"])
    rows = (
        model.Session.query(mm.UseRecord)
        .filter(mm.UseRecord.request_id == request.id)
        .order_by(mm.UseRecord.version)
        .all()
    )
    if not rows:
        raise tk.ObjectNotFound(tk._("This request is not decided yet: it has no data-use record"))
    wanted = data_dict.get("version")
    chosen = next((r for r in rows if r.version == wanted), None) if wanted else rows[-1]
    if chosen is None:
        raise tk.ValidationError({"version": [tk._("Request {id} has no version {n}").format(id=request.id, n=wanted)]})
    return {
        **_record_dict(chosen),
        "versions": [{"version": r.version, "change": r.change, "created": r.created.isoformat()} for r in rows],
    }


@tk.side_effect_free
@validate(schema.use_record_export)
def hhs_marketplace_use_record_export(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Every data-use record version, oldest first, as flat rows for the Board's CSV. The Data Governance
    Board and sysadmins. A product the caller may not see is not named.

    :param limit: (optional, default 1000)
    :param offset: (optional)
    :returns: ``count`` and ``results``: each with ``request``, ``version``, ``change``, ``recorded``,
        ``recorded_by``, ``product``, ``division``, ``requester``, ``requester_email``,
        ``requester_divisions``, ``purpose``, ``project``, ``terms``, ``components``, ``status``,
        ``decisions`` (one line each: when, what, who), ``grant_start``, ``grant_end``, ``access_ended``
    """
    tk.check_access("hhs_marketplace_use_record_export", context, data_dict)
    viewer = context.get("user")
    query = model.Session.query(mm.UseRecord)
    rows = (
        query.order_by(mm.UseRecord.created, mm.UseRecord.request_id, mm.UseRecord.version)
        .offset(data_dict.get("offset", 0))
        .limit(data_dict.get("limit", 1000))
        .all()
    )
    out = []
    for row in rows:
        c = row.content
        product = c.get("product") or {}
        pkg = model.Package.get(product.get("id") or "")
        seen = pkg is not None and roles.may_read(viewer, pkg.id)
        out.append(
            {
                "request": row.request_id,
                "version": row.version,
                "change": row.change,
                "recorded": row.created.isoformat(),
                "recorded_by": _name(row.created_by) or "system",
                "product": product.get("title") if seen else tk._("A product you cannot see"),
                "division": (c.get("division") or {}).get("title") or "",
                "requester": (c.get("requester") or {}).get("name") or "",
                "requester_email": (c.get("requester") or {}).get("email") or "",
                "requester_divisions": "; ".join(d["title"] for d in (c.get("requester") or {}).get("divisions", [])),
                "purpose": c.get("purpose") or "",
                "project": c.get("project") or "",
                "terms": c.get("terms") or "",
                "components": "; ".join(d["title"] for d in c.get("components") or []),
                "status": c.get("status") or "",
                "decisions": "\n".join(
                    f"{d['created']} {d['action']} by {d['user']}" + (f": {d['message']}" if d["message"] else "")
                    for d in c.get("decisions") or []
                ),
                "grant_start": (c.get("grant") or {}).get("start") or "",
                "grant_end": (c.get("grant") or {}).get("end") or "",
                "access_ended": (c.get("grant") or {}).get("ended") or "",
            }
        )
    return {"count": query.count(), "results": out}


def _record_dict(row: mm.UseRecord) -> dict[str, Any]:
    return {
        "request": row.request_id,
        "version": row.version,
        "change": row.change,
        "created": row.created.isoformat(),
        "created_by": _name(row.created_by) or "system",
        "content": row.content,
    }


def _keep_record(request: mm.AccessRequest, user_id: str | None, change: str) -> mm.UseRecord:
    """Add the next version of the request's data-use record and commit it with the step that made it."""
    model.Session.flush()
    last = model.Session.query(sa.func.max(mm.UseRecord.version)).filter(mm.UseRecord.request_id == request.id).scalar()
    row = mm.UseRecord(
        request_id=request.id,
        version=(last or 0) + 1,
        change=change,
        created_by=user_id,
        content=_record_content(request),
    )
    model.Session.add(row)
    model.Session.commit()
    return row


def _record_content(request: mm.AccessRequest) -> dict[str, Any]:
    """What the agreement says now: no private dataset's name, id or title (a restricted component by the
    listing title its division published), so the record can be read by all its readers alike."""
    product = model.Session.get(model.Package, request.product_id)
    requester = model.Session.get(model.User, request.requester_id)
    grants = model.Session.query(mm.Grant).filter(mm.Grant.request_id == request.id).all()
    ended = [g.revoked for g in grants if g.revoked is not None]
    if request.status in ("withdrawn", "expired") and not ended and request.granted:
        ended = [request.modified]
    return {
        "request": request.id,
        "product": {"id": product.id, "name": product.name, "title": product.title or product.name}
        if product
        else None,
        "division": _org(request.owner_org_id),
        "requester": {
            "name": requester.name,
            "display_name": requester.display_name,
            "email": requester.email or "",
            "divisions": [
                {"name": o["name"], "title": o["title"]}
                for o in (_org(gid) for gid in permissions.division_ids(requester))
                if o
            ],
        },
        "status": request.status,
        "purpose": request.purpose,
        "project": request.project,
        "columns": request.columns,
        "terms": request.terms_accepted,
        "second_level": request.second_level,
        "components": _record_components(request, product),
        "decisions": _events("request", request.id),
        "grant": {
            "start": request.granted.isoformat() if request.granted else None,
            "end": request.end_date.isoformat(),
            "ended": max(ended).isoformat() if ended else None,
        },
        "requested": request.created.isoformat(),
    }


def _record_components(request: mm.AccessRequest, product: model.Package | None) -> list[dict[str, Any]]:
    if product is None:
        return []
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": product.id})
    out = []
    for n, dataset in enumerate(_components(pkg), start=1):
        if request.datasets and dataset.id not in request.datasets:
            continue
        extras = dataset.extras
        restricted = bool(dataset.private)
        out.append(
            {
                "title": (extras.get("listing_title") or tk._("Restricted dataset {n}").format(n=n))
                if restricted
                else dataset.title or dataset.name,
                "name": None if restricted else dataset.name,
                "restricted": restricted,
                "access_level": extras.get("access_level") or "",
                "phi_classification": extras.get("phi_classification") or "",
                "granted": restricted and dataset.owner_org == product.owner_org,
            }
        )
    return out


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
        revoked += _revoke(request, "expired", as_of)
        _keep_record(request, None, "expired")
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
        revoked += _revoke(request, request.status, as_of)
    provisioned = 0
    for request in model.Session.query(mm.AccessRequest).filter(mm.AccessRequest.status == "approved").all():
        provisioned += _provision(request)
        if not model.Session.query(mm.UseRecord.id).filter(mm.UseRecord.request_id == request.id).first():
            _keep_record(request, request.decided_by, "approved")  # the approval's step after a crash
    removed = _remove_leftovers(as_of)
    return {"revoked": revoked, "expired": expired, "provisioned": provisioned, "removed": removed}


# A grant's collaboration counts only while the grant is live (grants.py): this list is where CKAN's
# search permission labels, hence package_show, resource_show, downloads and search, learn it.
@tk.chained_action
@tk.side_effect_free
def package_collaborator_list_for_user(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    rows = up_func(context, data_dict)
    user = model.User.get(data_dict["id"])  # up_func found it
    given = [(r["package_id"], dt.datetime.fromisoformat(r["modified"]) if r.get("modified") else None) for r in rows]
    gone = grants.ended(user.id, given)
    return [row for row in rows if row["package_id"] not in gone]


@tk.side_effect_free
@validate(schema.product_ref)
def hhs_marketplace_component_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """A product's component datasets as a requester may know them. Those the caller may open come
    with their name and title; the product division's own restricted ones only with the title the
    division chose for listings (the dataset's ``listing_title``), their access level and PHI class,
    and a reference (``#n``, the position in the product) to name them in
    ``hhs_marketplace_request_create``'s ``datasets``: never their name, id or other metadata. Another
    division's private datasets are not listed.

    :param id: the product's name or id
    :returns: each with ``ref``, ``title``, ``private``, ``restricted`` (the caller may not open it),
        ``deleted`` (listed only to those who may still open it), ``access_level`` and
        ``phi_classification``, and ``name`` when the caller may open it
    """
    tk.check_access("hhs_marketplace_component_list", context, data_dict)
    product, pkg = _product(data_dict["id"], context, field="id")
    return _component_listing(product, pkg, context.get("user"))


def _component_listing(product: model.Package, pkg: dict[str, Any], viewer: str | None) -> list[dict[str, Any]]:
    out = []
    active = {p.id: n for n, p in enumerate(_components(pkg), start=1)}  # "#n" as requests name them
    for ref in pkg.get("component_datasets") or []:
        dataset = model.Package.get(ref)
        if dataset is None:
            continue
        visible = roles.may_read(viewer, dataset.id)  # a deleted one only to those who may still open it
        if not visible and (dataset.id not in active or dataset.owner_org != product.owner_org):
            continue
        extras = dataset.extras
        entry = {
            "ref": dataset.name if visible else f"#{active[dataset.id]}",
            # Not the dataset's own title: the one its division chose to publish in listings.
            "title": (dataset.title or dataset.name)
            if visible
            else extras.get("listing_title") or tk._("Restricted dataset {n}").format(n=active[dataset.id]),
            "private": bool(dataset.private),
            "restricted": not visible,
            "deleted": dataset.state == "deleted",
            "access_level": extras.get("access_level") or "",
            "phi_classification": extras.get("phi_classification") or "",
        }
        if visible:
            entry["name"] = dataset.name
        out.append(entry)
    return out


@tk.side_effect_free
@validate(schema.product_ref)
def hhs_marketplace_product_usage(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Who already uses a product: the divisions of people with access now, and how many people.
    Individual requests stay private to their requester and deciders.

    :param id: the product's name or id
    :returns: ``users`` (a count), ``divisions`` (name, title, users) and ``licensed`` (divisions a
        third-party licence of the product covers)
    """
    tk.check_access("hhs_marketplace_product_usage", context, data_dict)
    product, _pkg = _product(data_dict["id"], context, field="id")
    requester_ids = [
        r
        for (r,) in model.Session.query(mm.AccessRequest.requester_id)
        .filter(mm.AccessRequest.product_id == product.id, mm.AccessRequest.status == "approved")
        .distinct()
    ]
    divisions: dict[str, dict[str, Any]] = {}
    if requester_ids:
        rows = (
            model.Session.query(model.Group.name, model.Group.title, model.Member.table_id)
            .join(model.Member, model.Member.group_id == model.Group.id)
            .filter(
                model.Member.table_id.in_(requester_ids),
                model.Member.table_name == "user",
                model.Member.state == "active",
                model.Group.is_organization.is_(True),
                model.Group.state == "active",
            )
        )
        for name, title, _uid in rows:
            divisions.setdefault(name, {"name": name, "title": title, "users": 0})["users"] += 1
    licensed = []
    for licence in model.Session.query(mm.Licence).filter(mm.Licence.data_product_id == product.id):
        licensed += [_org(oid) for oid in _covered(licence)]
    return {
        "users": len(requester_ids),
        "divisions": sorted(divisions.values(), key=lambda d: d["title"] or d["name"]),
        "licensed": [o for o in licensed if o],
    }


# ---------------------------------------------------------------- third-party licences


@validate(schema.licence_create)
@_all_or_nothing
def hhs_marketplace_licence_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Record a purchased third-party data licence. Editors and admins of the holder division.

    :param vendor: e.g. "IQVIA"
    :param product: the licensed data product, e.g. "National Prescription Audit"
    :param subject: what the data is about, for "check before you buy" (optional)
    :param contract_number: (optional)
    :param holder: the division that bought it (organization name or id)
    :param covered: other divisions it covers (names; optional; the holder is always covered)
    :param seats: number of seats (optional)
    :param cost: the cost in dollars (optional)
    :param start_date: YYYY-MM-DD
    :param end_date: YYYY-MM-DD, after the start date
    :param renewal: ``auto``, ``manual`` (default) or ``none``
    :param terms: the licence's use terms (optional)
    :param data_product: a data product that delivers the licensed data (name or id; optional)
    :rtype: dict
    """
    tk.check_access("hhs_marketplace_licence_create", context, data_dict)
    user = _user(context)
    licence = mm.Licence(created_by=user.id)
    _apply_licence(licence, data_dict, user.name)
    model.Session.add(licence)
    model.Session.flush()
    mm.record("licence", licence.id, user.id, "create", data=_licence_snapshot(licence))
    model.Session.commit()
    return _licence_dict(licence, user.name)


@validate(schema.licence_update)
@_all_or_nothing
def hhs_marketplace_licence_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Change a licence; fields left out keep their values. Editors and admins of the holder division.

    :param id: the licence's id
    (other parameters as `hhs_marketplace_licence_create`)
    """
    tk.check_access("hhs_marketplace_licence_update", context, data_dict)
    licence = _get_licence(data_dict["id"])
    user = _user(context)
    _apply_licence(licence, data_dict, user.name)
    licence.modified = mm.now()
    mm.record("licence", licence.id, user.id, "update", data=_licence_snapshot(licence))
    model.Session.commit()
    return _licence_dict(licence, user.name)


@tk.side_effect_free
@validate(schema.product_ref)
def hhs_marketplace_licence_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A licence, the divisions it covers, its history, and requests to be added (for the holder).

    :param id: the licence's id
    """
    tk.check_access("hhs_marketplace_licence_show", context, data_dict)
    licence = _get_licence(data_dict["id"])
    return _licence_dict(licence, context.get("user"), full=True)


@tk.side_effect_free
@validate(schema.licence_search)
def hhs_marketplace_licence_search(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Check before you buy: licences HHS already holds, by vendor and subject. Staff only.

    :param q: words in the vendor, product, subject or terms (optional)
    :param vendor: vendor name, or part of it (optional)
    :param division: only licences covering this division (name; optional)
    :param current: only licences not yet ended (optional, default false)
    :param limit: (optional, default 50)
    :param offset: (optional)
    :returns: ``count`` and ``results``
    """
    tk.check_access("hhs_marketplace_licence_search", context, data_dict)
    query = model.Session.query(mm.Licence)
    for word in (data_dict.get("q") or "").split():
        like = f"%{word}%"
        query = query.filter(
            sa.or_(
                mm.Licence.vendor.ilike(like),
                mm.Licence.product.ilike(like),
                mm.Licence.subject.ilike(like),
                mm.Licence.terms.ilike(like),
            )
        )
    if data_dict.get("vendor"):
        query = query.filter(mm.Licence.vendor.ilike(f"%{data_dict['vendor']}%"))
    if data_dict.get("division"):
        org = model.Group.get(data_dict["division"])
        org_id = org.id if org else ""
        query = query.filter(sa.or_(mm.Licence.holder_org_id == org_id, mm.Licence.covered_org_ids.contains([org_id])))
    if data_dict.get("current"):
        query = query.filter(mm.Licence.end_date >= mm.now().date())
    count = query.count()
    rows = (
        query.order_by(sa.func.lower(mm.Licence.vendor), mm.Licence.product)
        .offset(data_dict.get("offset", 0))
        .limit(data_dict.get("limit", 50))
        .all()
    )
    return {"count": count, "results": [_licence_dict(r, context.get("user")) for r in rows]}


@validate(schema.licence_request_create)
@_all_or_nothing
def hhs_marketplace_licence_request_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask the holder of a licence to cover the caller's division too, instead of buying the data again.
    The holder division's editors and admins get it by e-mail. A second ask while one is open returns it.

    :param licence: the licence's id
    :param division: the caller's division (organization name or id)
    :param reason: what it is needed for (optional)
    """
    tk.check_access("hhs_marketplace_licence_request_create", context, data_dict)
    user = _user(context)
    licence = _get_licence(data_dict["licence"], field="licence")
    org = _division(data_dict["division"], field="division")
    if permissions.role_in(org.id, user.name) < 1 and not user.sysadmin:
        raise tk.ValidationError({"division": [tk._("You are not a member of {org}").format(org=org.title)]})
    if org.id in _covered(licence):
        raise tk.ValidationError({"division": [tk._("{org} is already covered by this licence").format(org=org.title)]})
    existing = (
        model.Session.query(mm.LicenceRequest)
        .filter_by(licence_id=licence.id, org_id=org.id, status="submitted")
        .first()
    )
    if existing is not None:
        return {**_licence_request_dict(existing), "duplicate": True}
    ask = mm.LicenceRequest(licence_id=licence.id, org_id=org.id, user_id=user.id, reason=data_dict.get("reason", ""))
    model.Session.add(ask)
    model.Session.flush()
    mm.record("licence", licence.id, user.id, "ask_to_join", ask.reason, division=org.name, request=ask.id)
    model.Session.commit()
    mail.licence_asked(licence, ask)
    return _licence_request_dict(ask)


@validate(schema.request_ref)
@_all_or_nothing
def hhs_marketplace_licence_request_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The licence holder adds the asking division to the licence.

    :param id: the licence request's id
    :param message: a note (optional)
    """
    return _decide_licence_request(context, data_dict, approve=True)


@validate(schema.request_message)
@_all_or_nothing
def hhs_marketplace_licence_request_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The licence holder declines (for example: no seats left), saying why.

    :param id: the licence request's id
    :param message: why (required)
    """
    return _decide_licence_request(context, data_dict, approve=False)


def _decide_licence_request(context: Context, data_dict: DataDict, approve: bool) -> dict[str, Any]:
    tk.check_access(f"hhs_marketplace_licence_request_{'approve' if approve else 'reject'}", context, data_dict)
    ask = model.Session.get(mm.LicenceRequest, data_dict["id"])
    if ask is None:
        raise tk.ObjectNotFound(tk._("Licence request not found"))
    user = _user(context)
    if ask.status != "submitted":
        raise tk.ValidationError({"status": [tk._("This request was already {status}").format(status=ask.status)]})
    licence = model.Session.get(mm.Licence, ask.licence_id)
    ask.status = "approved" if approve else "rejected"
    ask.decided_by, ask.decided, ask.note = user.id, mm.now(), data_dict.get("message", "")
    if approve:
        licence.covered_org_ids = sorted({*_covered(licence), ask.org_id} - {licence.holder_org_id})
        licence.modified = mm.now()
    mm.record(
        "licence",
        licence.id,
        user.id,
        "add_division" if approve else "decline_division",
        ask.note,
        division=_org(ask.org_id)["name"],
        request=ask.id,
    )
    model.Session.commit()
    mail.licence_decided(licence, ask)
    return _licence_request_dict(ask)


def hhs_marketplace_licence_remind(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Warn each licence holder whose licence ends within ``ckanext.hhs.marketplace.renewal_notice_days``
    (once per end date). Sysadmins only; the renewal reminder job calls it.

    :param as_of: the day to count from, YYYY-MM-DD (optional, default today)
    :returns: ``reminded``: ids of the licences whose holders were written to
    """
    tk.check_access("hhs_marketplace_licence_remind", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.grants_expire(), context)
    if errors:
        raise tk.ValidationError(errors)
    as_of = data.get("as_of") or mm.now().date()
    horizon = as_of + dt.timedelta(days=mp_config.renewal_notice_days())
    due = (
        model.Session.query(mm.Licence)
        .filter(
            mm.Licence.end_date >= as_of,
            mm.Licence.end_date <= horizon,
            mm.Licence.renewal != "none",
            sa.or_(mm.Licence.reminded.is_(None), mm.Licence.reminded != mm.Licence.end_date),
        )
        .all()
    )
    for licence in due:
        mail.licence_renewal(licence, (licence.end_date - as_of).days)
        licence.reminded = licence.end_date
        mm.record("licence", licence.id, None, "renewal_reminder", tk._("Ends on {date}").format(date=licence.end_date))
    model.Session.commit()
    return {"reminded": [licence.id for licence in due]}


# ---------------------------------------------------------------- data needs


@validate(schema.need_create)
@_all_or_nothing
def hhs_marketplace_need_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Post a data need instead of a data call. Every logged-in user sees open needs.

    :param title: the data wanted, in a line
    :param description: what data exactly
    :param why: what it is for (optional)
    :param needed_by: YYYY-MM-DD, not in the past (optional)
    :param asked: divisions asked to answer (organization names; optional)
    :rtype: dict
    """
    tk.check_access("hhs_marketplace_need_create", context, data_dict)
    user = _user(context)
    needed_by = data_dict.get("needed_by")
    if needed_by and needed_by < mm.now().date():
        raise tk.ValidationError({"needed_by": [tk._("{date} is in the past").format(date=needed_by)]})
    asked = [_division(ref, field="asked").id for ref in data_dict.get("asked", [])]
    need = mm.Need(
        title=data_dict["title"],
        description=data_dict["description"],
        why=data_dict.get("why", ""),
        needed_by=needed_by,
        asked_org_ids=list(dict.fromkeys(asked)),
        posted_by=user.id,
    )
    model.Session.add(need)
    model.Session.flush()
    mm.record("need", need.id, user.id, "post", need.title)
    model.Session.commit()
    mail.need_posted(need)
    return _need_dict(need, user.name)


@tk.side_effect_free
@validate(schema.product_ref)
def hhs_marketplace_need_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A need with its answers (datasets each viewer may see) and history.

    :param id: the need's id
    """
    tk.check_access("hhs_marketplace_need_show", context, data_dict)
    need = _get_need(data_dict["id"])
    return _need_dict(need, context.get("user"), full=True)


@tk.side_effect_free
@validate(schema.need_list)
def hhs_marketplace_need_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Data needs, newest first.

    :param status: ``open`` or ``closed`` (optional)
    :param q: words in the title or description (optional)
    :param limit: (optional, default 50)
    :param offset: (optional)
    :returns: ``count`` and ``results``
    """
    tk.check_access("hhs_marketplace_need_list", context, data_dict)
    query = model.Session.query(mm.Need)
    if data_dict.get("status"):
        query = query.filter(mm.Need.status == data_dict["status"])
    for word in (data_dict.get("q") or "").split():
        query = query.filter(sa.or_(mm.Need.title.ilike(f"%{word}%"), mm.Need.description.ilike(f"%{word}%")))
    count = query.count()
    rows = query.order_by(mm.Need.created.desc()).offset(data_dict.get("offset", 0)).limit(data_dict.get("limit", 50))
    return {"count": count, "results": [_need_dict(n, context.get("user")) for n in rows]}


@validate(schema.need_answer)
@_all_or_nothing
def hhs_marketplace_need_answer(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Answer an open need: with existing datasets or data products (``kind=existing``), or by committing
    to publish the data (``kind=commit``, with ``publish_by``).

    :param id: the need's id
    :param kind: ``existing`` or ``commit``
    :param datasets: names of datasets or data products that answer it (``existing``)
    :param division: the answering division (organization name; optional)
    :param note: (optional)
    :param publish_by: YYYY-MM-DD (``commit``)
    """
    tk.check_access("hhs_marketplace_need_answer", context, data_dict)
    need = _get_need(data_dict["id"])
    user = _user(context)
    if need.status != "open":
        raise tk.ValidationError({"id": [tk._("This need is closed")]})
    package_ids = []
    for ref in data_dict.get("datasets", []):
        pkg = model.Package.get(ref)
        if pkg is None or pkg.state != "active" or not roles.may_read(user, pkg.id):
            raise tk.ValidationError({"datasets": [tk._('"{ref}" is not a dataset you can see').format(ref=ref)]})
        package_ids.append(pkg.id)
    if data_dict["kind"] == "existing" and not package_ids:
        raise tk.ValidationError({"datasets": [tk._("Name the datasets or products that answer the need")]})
    if data_dict["kind"] == "commit":
        if not data_dict.get("publish_by"):
            raise tk.ValidationError({"publish_by": [tk._("Say by when the data will be published")]})
        if data_dict["publish_by"] < mm.now().date():
            raise tk.ValidationError(
                {"publish_by": [tk._("{date} is in the past").format(date=data_dict["publish_by"])]}
            )
    org_id = None
    if data_dict.get("division"):
        org = _division(data_dict["division"], field="division")
        if permissions.role_in(org.id, user.name) < 1 and not user.sysadmin:
            raise tk.ValidationError({"division": [tk._("You are not a member of {org}").format(org=org.title)]})
        org_id = org.id
    answer = mm.NeedAnswer(
        need_id=need.id,
        org_id=org_id,
        user_id=user.id,
        kind=data_dict["kind"],
        package_ids=list(dict.fromkeys(package_ids)),
        note=data_dict.get("note", ""),
        publish_by=data_dict.get("publish_by"),
    )
    model.Session.add(answer)
    model.Session.flush()
    mm.record("need", need.id, user.id, f"answer_{answer.kind}", answer.note, answer=answer.id)
    model.Session.commit()
    mail.need_answered(need)
    return _need_dict(need, user.name, full=True)


@validate(schema.request_ref)
@_all_or_nothing
def hhs_marketplace_need_close(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Close a need with its answers. The poster (or a sysadmin).

    :param id: the need's id
    :param message: how it was met (optional)
    """
    tk.check_access("hhs_marketplace_need_close", context, data_dict)
    need = _get_need(data_dict["id"])
    user = _user(context)
    if need.status != "open":
        raise tk.ValidationError({"id": [tk._("This need is already closed")]})
    need.status, need.closed, need.closing_note = "closed", mm.now(), data_dict.get("message", "")
    mm.record("need", need.id, user.id, "close", need.closing_note)
    model.Session.commit()
    return _need_dict(need, user.name, full=True)


# ---------------------------------------------------------------- metrics


@tk.side_effect_free
@validate(schema.metrics)
def hhs_marketplace_metrics(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Figures for the ROI dashboard. Aggregates only: no request, person or private dataset is named.

    :param division: only requests for this division's products (name; optional)
    :returns: ``requests_by_status``, ``hours_to_decision`` and ``hours_to_access`` (median and mean),
        ``time_to_grant`` (hours from request to access: count, median and p90, overall, ``by_division``
        and ``by_product``, products the caller may see only),
        ``grants_active``, ``grants`` (``total`` ever given and ``used``: with a download or a lakehouse
        preview or query by the holder during the grant), ``users_with_access``, ``licences`` (count,
        divisions covered beyond the holder, approved requests to join), ``needs`` (open, closed,
        answered with existing data, answered by a commitment)
    """
    tk.check_access("hhs_marketplace_metrics", context, data_dict)
    # Counted in the database: the figures cost the same with ten requests or a million.
    scope = sa.true()
    if data_dict.get("division"):
        scope = mm.AccessRequest.owner_org_id == _division(data_dict["division"], field="division").id
    by_status = dict.fromkeys(mm.REQUEST_STATUSES, 0)
    by_status.update(
        model.Session.query(mm.AccessRequest.status, sa.func.count())
        .filter(scope)
        .group_by(mm.AccessRequest.status)
        .all()
    )
    active = (
        model.Session.query(mm.Grant)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(scope, mm.Grant.revoked.is_(None), mm.Grant.end_date >= mm.now().date())
    )
    licences = model.Session.query(
        sa.func.count(mm.Licence.id),
        sa.func.coalesce(sa.func.sum(sa.func.jsonb_array_length(mm.Licence.covered_org_ids)), 0),
    ).one()
    answered = dict(
        model.Session.query(mm.NeedAnswer.kind, sa.func.count(sa.distinct(mm.NeedAnswer.need_id)))
        .group_by(mm.NeedAnswer.kind)
        .all()
    )
    needs = dict(model.Session.query(mm.Need.status, sa.func.count()).group_by(mm.Need.status).all())
    return {
        "requests_by_status": by_status,
        "requests_total": sum(by_status.values()),
        "hours_to_decision": _hours(mm.AccessRequest.decided, scope),
        "hours_to_access": _hours(mm.AccessRequest.granted, scope),
        "time_to_grant": _time_to_grant(scope, context.get("user")),
        "grants_active": active.count(),
        "grants": _grants_used(scope),
        "users_with_access": active.with_entities(mm.Grant.user_id).distinct().count(),
        "licences": {
            "count": licences[0],
            # covered_org_ids holds the divisions covered besides the one that bought the licence
            "divisions_reusing": int(licences[1]),
            "joins_approved": model.Session.query(mm.LicenceRequest)
            .filter(mm.LicenceRequest.status == "approved")
            .count(),
        },
        "needs": {
            "open": needs.get("open", 0),
            "closed": needs.get("closed", 0),
            "answered_by_existing_data": answered.get("existing", 0),
            "answered_by_commitment": answered.get("commit", 0),
        },
    }


def _grants_used(scope: Any) -> dict[str, int]:
    """Grants ever given, and those used: a use line (usage.py) names the grant's request and dataset."""
    total = (
        model.Session.query(mm.Grant).join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id).filter(scope)
    ).count()
    used = (
        model.Session.query(mm.Grant.id)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(
            scope,
            sa.exists().where(
                mm.Event.object_type == "request",
                mm.Event.object_id == mm.Grant.request_id,
                mm.Event.action == "use",
                mm.Event.data["dataset"].astext == mm.Grant.package_id,
            ),
        )
        .count()
    )
    return {"total": total, "used": used}


def _time_to_grant(scope: Any, viewer: str | None) -> dict[str, Any]:
    """Hours from request to access, median and 90th percentile, overall and per division and product:
    what a data use agreement took months for."""
    hours = sa.func.extract("epoch", mm.AccessRequest.granted - mm.AccessRequest.created) / 3600
    figures = (
        sa.func.count(mm.AccessRequest.granted),
        sa.func.percentile_cont(0.5).within_group(hours),
        sa.func.percentile_cont(0.9).within_group(hours),
    )
    base = model.Session.query(*figures).filter(scope, mm.AccessRequest.granted.isnot(None))

    def row(count: int, median: float | None, p90: float | None) -> dict[str, Any]:
        return {
            "count": count,
            "median": round(float(median), 2) if median is not None else None,
            "p90": round(float(p90), 2) if p90 is not None else None,
        }

    by_division = []
    for *numbers, org_id in base.add_columns(mm.AccessRequest.owner_org_id).group_by(mm.AccessRequest.owner_org_id):
        org = _org(org_id)
        if org is not None:
            by_division.append({"division": org["name"], "title": org["title"], **row(*numbers)})
    by_product = []
    for *numbers, product_id in base.add_columns(mm.AccessRequest.product_id).group_by(mm.AccessRequest.product_id):
        product = model.Session.get(model.Package, product_id)
        if product is not None and roles.may_read(viewer, product.id):  # a private product stays unnamed
            by_product.append({"product": product.name, "title": product.title, **row(*numbers)})
    return {
        **row(*base.one()),
        "by_division": sorted(by_division, key=lambda d: d["title"] or d["division"]),
        "by_product": sorted(by_product, key=lambda d: d["title"] or d["product"]),
    }


def _hours(until: Any, scope: Any) -> dict[str, Any]:
    """Count, median and mean hours from a request to the time in ``until``, over the requests that have it."""
    hours = sa.func.extract("epoch", until - mm.AccessRequest.created) / 3600
    count, median, mean = (
        model.Session.query(sa.func.count(until), sa.func.percentile_cont(0.5).within_group(hours), sa.func.avg(hours))
        .filter(scope, until.isnot(None))
        .one()
    )
    return {
        "count": count,
        "median": round(float(median), 2) if median is not None else None,
        "mean": round(float(mean), 2) if mean is not None else None,
    }


# ---------------------------------------------------------------- request helpers


def _user(context: Context) -> model.User:
    user = model.User.get(context.get("user") or "")
    if user is None:
        raise tk.NotAuthorized(tk._("You must be logged in"))
    return user


def _product(ref: str, context: Context, field: str = "product") -> tuple[model.Package, dict[str, Any]]:
    """The data product and its dict (all fields), if the caller may see it."""
    product = model.Package.get(ref)
    if product is not None and (product.type != "data-product" or product.state != "active"):
        product = None
    if product is not None and not context.get("ignore_auth") and not roles.may_read(context.get("user"), product.id):
        product = None
    if product is None:
        if field == "id":
            raise tk.ObjectNotFound(tk._("Data product not found"))
        raise tk.ValidationError({field: [tk._('"{ref}" is not a data product you can see').format(ref=ref)]})
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": product.id})
    return product, pkg


def _components(pkg: dict[str, Any]) -> list[model.Package]:
    found = [model.Package.get(ref) for ref in pkg.get("component_datasets") or []]
    return [p for p in found if p is not None and p.state == "active"]


def _wanted_datasets(refs: list[str], pkg: dict[str, Any], user_name: str) -> list[str]:
    """Ids of the requested components (those the requester may see by name); empty means all."""
    listed = _components(pkg)
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


def _get_request(ref: str) -> mm.AccessRequest:
    request = model.Session.get(mm.AccessRequest, ref)
    if request is None:
        raise tk.ObjectNotFound(tk._("Access request not found"))
    return request


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


def _provision(request: mm.AccessRequest) -> int:
    """Make the requester a collaborator (member) on each private component dataset of the owner
    division, recording a grant per dataset; datasets already granted are checked, not granted again.
    Returns how many collaborations were made."""
    product = model.Package.get(request.product_id)
    pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": product.id})
    components = _components(pkg)
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


def _revoke(request: mm.AccessRequest, reason: str, as_of: dt.date) -> int:
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


def _remove_leftovers(as_of: dt.date) -> int:
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


def _name(user_id: str | None) -> str | None:
    if not user_id:
        return None
    return model.Session.query(model.User.name).filter(model.User.id == user_id).scalar()


def _org(org_id: str | None) -> dict[str, str] | None:
    if not org_id:
        return None
    row = model.Session.query(model.Group.name, model.Group.title).filter(model.Group.id == org_id).first()
    return {"id": org_id, "name": row[0], "title": row[1] or row[0]} if row else None


def _package_brief(package_id: str, viewer: str | None) -> dict[str, Any] | None:
    """Name and title of a dataset, or None when the viewer may not see it."""
    pkg = model.Session.get(model.Package, package_id)
    if pkg is None or not roles.may_read(viewer, pkg.id):
        return None
    return {"id": pkg.id, "name": pkg.name, "title": pkg.title or pkg.name, "type": pkg.type, "private": pkg.private}


def _requested_brief(package_id: str, request: mm.AccessRequest, viewer: str | None) -> dict[str, Any] | None:
    """A requested dataset as the viewer may know it: by name when they may open it, else (a restricted
    component of the product's own division, asked for as "#n") by the listing title its division chose."""
    brief = _package_brief(package_id, viewer)
    if brief is not None:
        return brief
    pkg = model.Session.get(model.Package, package_id)
    product = model.Session.get(model.Package, request.product_id) if request.product_id else None
    if pkg is None or product is None or pkg.owner_org != product.owner_org:
        return None
    return {"title": pkg.extras.get("listing_title") or tk._("Restricted dataset"), "restricted": True}


def _events(object_type: str, object_id: str) -> list[dict[str, Any]]:
    rows = (
        model.Session.query(mm.Event)
        .filter(mm.Event.object_type == object_type, mm.Event.object_id == object_id)
        .order_by(mm.Event.created, mm.Event.id)
    )
    return [
        {
            "action": e.action,
            "user": _name(e.user_id) or "system",
            "created": e.created.isoformat(),
            "message": e.message,
        }
        for e in rows
    ]


def _dictize(request: mm.AccessRequest, viewer: str | None, full: bool = False) -> dict[str, Any]:
    product = model.Session.get(model.Package, request.product_id)
    out: dict[str, Any] = {
        "id": request.id,
        "product": {"id": product.id, "name": product.name, "title": product.title} if product else None,
        "division": _org(request.owner_org_id),
        "requester": _name(request.requester_id),
        "status": request.status,
        "purpose": request.purpose,
        "project": request.project,
        "columns": request.columns,
        "end_date": request.end_date.isoformat(),
        "second_level": request.second_level,
        "first_decided_by": _name(request.first_decided_by),
        "decided_by": _name(request.decided_by),
        "decided": request.decided.isoformat() if request.decided else None,
        "granted": request.granted.isoformat() if request.granted else None,
        "created": request.created.isoformat(),
        "modified": request.modified.isoformat(),
    }
    if full:
        out["datasets"] = [b for b in (_requested_brief(pid, request, viewer) for pid in request.datasets) if b]
        out["terms_accepted"] = request.terms_accepted
        out["grants"] = [
            {
                "dataset": _package_brief(g.package_id, viewer),
                "end_date": g.end_date.isoformat(),
                "revoked": g.revoked.isoformat() if g.revoked else None,
                "revoke_reason": g.revoke_reason,
            }
            for g in model.Session.query(mm.Grant).filter(mm.Grant.request_id == request.id).order_by(mm.Grant.created)
        ]
        out["events"] = _events("request", request.id)
        out["requester_details"] = _requester_details(request, viewer)
        out["records"] = [
            {"version": v, "change": c, "created": t.isoformat()}
            for v, c, t in model.Session.query(mm.UseRecord.version, mm.UseRecord.change, mm.UseRecord.created)
            .filter(mm.UseRecord.request_id == request.id)
            .order_by(mm.UseRecord.version)
        ]
    return out


def _requester_details(request: mm.AccessRequest, viewer: str | None) -> dict[str, Any]:
    """Who asks, for those who decide (request_show is the requester's and the deciders' only): name,
    e-mail, divisions with the role held, and the requester's other requests and live grants. Another
    request's product is named only to a viewer who may see it."""
    user = model.Session.get(model.User, request.requester_id)
    earlier = []
    others = (
        model.Session.query(mm.AccessRequest)
        .filter(mm.AccessRequest.requester_id == user.id, mm.AccessRequest.id != request.id)
        .order_by(mm.AccessRequest.created.desc())
    )
    for other in others:
        product = model.Session.get(model.Package, other.product_id)
        visible = product is not None and roles.may_read(viewer, product.id)
        earlier.append(
            {
                "product": {"name": product.name, "title": product.title or product.name} if visible else None,
                "status": other.status,
                "created": other.created.isoformat(),
                "end_date": other.end_date.isoformat(),
                "granted": other.granted.isoformat() if other.granted else None,
            }
        )
    today = mm.now().date()
    live = (
        model.Session.query(mm.Grant)
        .join(mm.AccessRequest, mm.AccessRequest.id == mm.Grant.request_id)
        .filter(
            mm.Grant.user_id == user.id,
            mm.Grant.revoked.is_(None),
            mm.Grant.end_date >= today,
            mm.AccessRequest.status == "approved",
        )
        .count()
    )
    ever = model.Session.query(mm.Grant).filter(mm.Grant.user_id == user.id).count()
    return {
        "name": user.name,
        "display_name": user.display_name,
        "email": user.email or "",
        "divisions": [
            {"name": d.name, "title": d.title or d.name, "role": role} for d, role in roles.memberships(user)
        ],
        "earlier_requests": earlier,
        "grants_live": live,
        "grants_ever": ever,
    }


# ---------------------------------------------------------------- licence and need helpers


def _division(ref: str, field: str) -> model.Group:
    org = model.Group.get(ref)
    if org is None or not org.is_organization or org.state != "active":
        raise tk.ValidationError({field: [tk._('"{ref}" is not a division').format(ref=ref)]})
    return org


def _get_licence(ref: str, field: str = "id") -> mm.Licence:
    licence = model.Session.get(mm.Licence, ref)
    if licence is None:
        if field == "id":
            raise tk.ObjectNotFound(tk._("Licence not found"))
        raise tk.ValidationError({field: [tk._('"{ref}" is not a licence').format(ref=ref)]})
    return licence


def _covered(licence: mm.Licence) -> list[str]:
    """Every division a licence covers, the holder first."""
    return [licence.holder_org_id, *[o for o in licence.covered_org_ids or [] if o != licence.holder_org_id]]


def _apply_licence(licence: mm.Licence, data: dict[str, Any], viewer: str) -> None:
    for field in ("vendor", "product", "subject", "contract_number", "seats", "cost", "renewal", "terms"):
        if field in data:
            setattr(licence, field, data[field])
    for field in ("start_date", "end_date"):
        if field in data:
            setattr(licence, field, data[field])
    if "holder" in data:
        licence.holder_org_id = _division(data["holder"], field="holder").id
    if "covered" in data:
        licence.covered_org_ids = sorted(
            {_division(ref, field="covered").id for ref in data["covered"]} - {licence.holder_org_id}
        )
    if "data_product" in data:
        if data["data_product"]:
            product = model.Package.get(data["data_product"])
            # A product the caller may not see answers as one that does not exist.
            if product is None or product.type != "data-product" or not roles.may_read(viewer, product.id):
                raise tk.ValidationError(
                    {"data_product": [tk._('"{ref}" is not a data product').format(ref=data["data_product"])]}
                )
            licence.data_product_id = product.id
        else:
            licence.data_product_id = None
    if licence.start_date and licence.end_date and licence.end_date <= licence.start_date:
        raise tk.ValidationError(
            {"end_date": [tk._("The end date must be after the start date ({date})").format(date=licence.start_date)]}
        )


def _licence_snapshot(licence: mm.Licence) -> dict[str, Any]:
    return {
        "vendor": licence.vendor,
        "product": licence.product,
        "subject": licence.subject,
        "contract_number": licence.contract_number,
        "holder": (_org(licence.holder_org_id) or {}).get("name"),
        "covered": [(_org(o) or {}).get("name") for o in licence.covered_org_ids or []],
        "seats": licence.seats,
        "cost": str(licence.cost) if licence.cost is not None else None,
        "start_date": licence.start_date.isoformat() if licence.start_date else None,
        "end_date": licence.end_date.isoformat() if licence.end_date else None,
        "renewal": licence.renewal,
        "terms": licence.terms,
    }


def _licence_dict(licence: mm.Licence, viewer: str | None, full: bool = False) -> dict[str, Any]:
    out = {
        **_licence_snapshot(licence),
        "id": licence.id,
        "holder": _org(licence.holder_org_id),
        "covered": [o for o in (_org(oid) for oid in _covered(licence)) if o],
        "data_product": _package_brief(licence.data_product_id, viewer) if licence.data_product_id else None,
        "current": licence.end_date >= mm.now().date(),
        "created": licence.created.isoformat(),
        "modified": licence.modified.isoformat(),
    }
    if full:
        out["events"] = _events("licence", licence.id)
        asks = model.Session.query(mm.LicenceRequest).filter(mm.LicenceRequest.licence_id == licence.id)
        if not permissions.is_steward(licence.holder_org_id, viewer):
            mine = permissions.division_ids(viewer)
            asks = asks.filter(mm.LicenceRequest.org_id.in_(mine or [""]))
        out["requests"] = [_licence_request_dict(a) for a in asks.order_by(mm.LicenceRequest.created)]
    return out


def _licence_request_dict(ask: mm.LicenceRequest) -> dict[str, Any]:
    return {
        "id": ask.id,
        "licence": ask.licence_id,
        "division": _org(ask.org_id),
        "user": _name(ask.user_id),
        "reason": ask.reason,
        "status": ask.status,
        "decided_by": _name(ask.decided_by),
        "note": ask.note,
        "created": ask.created.isoformat(),
    }


def _get_need(ref: str) -> mm.Need:
    need = model.Session.get(mm.Need, ref)
    if need is None:
        raise tk.ObjectNotFound(tk._("Data need not found"))
    return need


def _need_dict(need: mm.Need, viewer: str | None, full: bool = False) -> dict[str, Any]:
    answers = (
        model.Session.query(mm.NeedAnswer).filter(mm.NeedAnswer.need_id == need.id).order_by(mm.NeedAnswer.created)
    )
    out: dict[str, Any] = {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "why": need.why,
        "needed_by": need.needed_by.isoformat() if need.needed_by else None,
        "asked": [o for o in (_org(oid) for oid in need.asked_org_ids or []) if o],
        "posted_by": _name(need.posted_by),
        "status": need.status,
        "closing_note": need.closing_note,
        "created": need.created.isoformat(),
        "closed": need.closed.isoformat() if need.closed else None,
        "answer_count": answers.count(),
    }
    if full:
        out["answers"] = [
            {
                "id": a.id,
                "kind": a.kind,
                "division": _org(a.org_id),
                "user": _name(a.user_id),
                # Only what this viewer may see: a private dataset named in an answer stays hidden.
                "datasets": [b for b in (_package_brief(pid, viewer) for pid in a.package_ids) if b],
                "note": a.note,
                "publish_by": a.publish_by.isoformat() if a.publish_by else None,
                "created": a.created.isoformat(),
            }
            for a in answers
        ]
        out["events"] = _events("need", need.id)
    return out
