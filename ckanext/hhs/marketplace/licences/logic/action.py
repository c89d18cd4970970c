"""Actions of third-party data licences: recording them, "check before you buy", divisions asking to
be covered, and renewal reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.context import all_or_nothing as _all_or_nothing
from ckanext.hhs.logic.validation import validate

from ... import config as mp_config
from ... import mail, objects, permissions
from ... import model as mm
from . import schema


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
    user = objects.caller(context)
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
    user = objects.caller(context)
    _apply_licence(licence, data_dict, user.name)
    licence.modified = mm.now()
    mm.record("licence", licence.id, user.id, "update", data=_licence_snapshot(licence))
    model.Session.commit()
    return _licence_dict(licence, user.name)


@tk.side_effect_free
@validate(schema.licence_ref)
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
    user = objects.caller(context)
    licence = _get_licence(data_dict["licence"], field="licence")
    org = objects.division(data_dict["division"], field="division")
    if permissions.role_in(org.id, user.name) < 1 and not user.sysadmin:
        raise tk.ValidationError({"division": [tk._("You are not a member of {org}").format(org=org.title)]})
    if org.id in objects.covered(licence):
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


@validate(schema.licence_request_ref)
@_all_or_nothing
def hhs_marketplace_licence_request_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The licence holder adds the asking division to the licence.

    :param id: the licence request's id
    :param message: a note (optional)
    """
    return _decide_licence_request(context, data_dict, approve=True)


@validate(schema.licence_request_message)
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
    user = objects.caller(context)
    if ask.status != "submitted":
        raise tk.ValidationError({"status": [tk._("This request was already {status}").format(status=ask.status)]})
    licence = model.Session.get(mm.Licence, ask.licence_id)
    ask.status = "approved" if approve else "rejected"
    ask.decided_by, ask.decided, ask.note = user.id, mm.now(), data_dict.get("message", "")
    if approve:
        licence.covered_org_ids = sorted({*objects.covered(licence), ask.org_id} - {licence.holder_org_id})
        licence.modified = mm.now()
    mm.record(
        "licence",
        licence.id,
        user.id,
        "add_division" if approve else "decline_division",
        ask.note,
        division=objects.org(ask.org_id)["name"],
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
    data, errors = tk.navl_validate(data_dict, schema.licence_remind(), context)
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


def _get_licence(ref: str, field: str = "id") -> mm.Licence:
    licence = model.Session.get(mm.Licence, ref)
    if licence is None:
        if field == "id":
            raise tk.ObjectNotFound(tk._("Licence not found"))
        raise tk.ValidationError({field: [tk._('"{ref}" is not a licence').format(ref=ref)]})
    return licence


def _apply_licence(licence: mm.Licence, data: dict[str, Any], viewer: str) -> None:
    for field in ("vendor", "product", "subject", "contract_number", "seats", "cost", "renewal", "terms"):
        if field in data:
            setattr(licence, field, data[field])
    for field in ("start_date", "end_date"):
        if field in data:
            setattr(licence, field, data[field])
    if "holder" in data:
        licence.holder_org_id = objects.division(data["holder"], field="holder").id
    if "covered" in data:
        licence.covered_org_ids = sorted(
            {objects.division(ref, field="covered").id for ref in data["covered"]} - {licence.holder_org_id}
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
        "holder": (objects.org(licence.holder_org_id) or {}).get("name"),
        "covered": [(objects.org(o) or {}).get("name") for o in licence.covered_org_ids or []],
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
        "holder": objects.org(licence.holder_org_id),
        "covered": [o for o in (objects.org(oid) for oid in objects.covered(licence)) if o],
        "data_product": objects.package_brief(licence.data_product_id, viewer) if licence.data_product_id else None,
        "current": licence.end_date >= mm.now().date(),
        "created": licence.created.isoformat(),
        "modified": licence.modified.isoformat(),
    }
    if full:
        out["events"] = objects.events("licence", licence.id)
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
        "division": objects.org(ask.org_id),
        "user": objects.user_name(ask.user_id),
        "reason": ask.reason,
        "status": ask.status,
        "decided_by": objects.user_name(ask.decided_by),
        "note": ask.note,
        "created": ask.created.isoformat(),
    }
