"""The marketplace's figures for the ROI dashboard: aggregates only."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.logic.validation import validate

from ... import model as mm
from ... import objects
from . import schema


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
        scope = mm.AccessRequest.owner_org_id == objects.division(data_dict["division"], field="division").id
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
    """Grants ever given, and those used: a use line (requests/usage.py) names the grant's request and dataset."""
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
        org = objects.org(org_id)
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
