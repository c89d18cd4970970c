"""Marketplace tables: access requests and the grants they provision, third-party licences and the
requests to share them, data needs and their answers, and every step of each as an event."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.model as model
from ckan.model import domain_object
from ckan.model import types as ckan_types
from ckan.model.base import BaseModel

__all__ = ["AccessRequest", "Event", "Grant", "Licence", "LicenceRequest", "Need", "NeedAnswer", "UseRecord"]

# submitted -> (info_requested -> submitted)* -> awaiting_second? -> approved -> expired
#           -> rejected | withdrawn
REQUEST_STATUSES = ("submitted", "info_requested", "awaiting_second", "approved", "rejected", "withdrawn", "expired")
OPEN_STATUSES = ("submitted", "info_requested", "awaiting_second")
LICENCE_REQUEST_STATUSES = ("submitted", "approved", "rejected")
NEED_STATUSES = ("open", "closed")
ANSWER_KINDS = ("existing", "commit")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class AccessRequest(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A user's request for access to a data product, under the product's standard terms."""

    __tablename__ = "hhs_marketplace_request"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    product_id = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False, index=True)
    owner_org_id = sa.Column(sa.UnicodeText, sa.ForeignKey("group.id"), index=True)
    requester_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False, index=True)
    status = sa.Column(sa.UnicodeText, nullable=False, default="submitted", index=True)
    purpose = sa.Column(sa.UnicodeText, nullable=False)
    project = sa.Column(sa.UnicodeText, nullable=False, default="")
    datasets = sa.Column(JSONB, nullable=False, default=list)  # package ids asked for (empty: all components)
    columns = sa.Column(sa.UnicodeText, nullable=False, default="")
    end_date = sa.Column(sa.Date, nullable=False)
    terms_accepted = sa.Column(sa.UnicodeText, nullable=False, default="")  # the terms' text as accepted
    second_level = sa.Column(sa.Boolean, nullable=False, default=False)
    first_decided_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    decided_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    decided = sa.Column(sa.DateTime)
    granted = sa.Column(sa.DateTime)
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    modified = sa.Column(sa.DateTime, nullable=False, default=now)

    # Double submits create one request: a user has at most one open request per product.
    __table_args__ = (
        sa.Index(
            "ux_hhs_marketplace_request_open",
            "product_id",
            "requester_id",
            unique=True,
            postgresql_where=sa.text("status IN ('submitted', 'info_requested', 'awaiting_second')"),
        ),
    )


class Grant(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """Access provisioned by an approved request: the requester as collaborator on one private dataset."""

    __tablename__ = "hhs_marketplace_grant"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    request_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_marketplace_request.id", ondelete="CASCADE"), nullable=False, index=True
    )
    package_id = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False)
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False, index=True)
    end_date = sa.Column(sa.Date, nullable=False, index=True)
    # The user was a collaborator before the grant: expiry leaves that membership alone.
    preexisting = sa.Column(sa.Boolean, nullable=False, default=False)
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    revoked = sa.Column(sa.DateTime, index=True)
    revoke_reason = sa.Column(sa.UnicodeText, nullable=False, default="")

    __table_args__ = (sa.UniqueConstraint("request_id", "package_id"),)


class UseRecord(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """The data-use record of a decided request: what a data use agreement writes down (request, purpose,
    terms as accepted, components, each decision with who and when, the grant's start and end). Written
    once per version and never changed: a change to the access (extension, withdrawal, expiry) adds the
    next version."""

    __tablename__ = "hhs_marketplace_use_record"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    request_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_marketplace_request.id", ondelete="CASCADE"), nullable=False, index=True
    )
    version = sa.Column(sa.Integer, nullable=False)
    change = sa.Column(sa.UnicodeText, nullable=False)  # approved, rejected, extended, withdrawn, expired
    created_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    content = sa.Column(JSONB, nullable=False)

    __table_args__ = (sa.UniqueConstraint("request_id", "version"),)


class Licence(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A purchased third-party data licence and the divisions it covers."""

    __tablename__ = "hhs_marketplace_licence"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    vendor = sa.Column(sa.UnicodeText, nullable=False)
    product = sa.Column(sa.UnicodeText, nullable=False)
    subject = sa.Column(sa.UnicodeText, nullable=False, default="")
    contract_number = sa.Column(sa.UnicodeText, nullable=False, default="")
    holder_org_id = sa.Column(sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False, index=True)
    covered_org_ids = sa.Column(JSONB, nullable=False, default=list)
    seats = sa.Column(sa.Integer)
    cost = sa.Column(sa.Numeric(14, 2))
    start_date = sa.Column(sa.Date, nullable=False)
    end_date = sa.Column(sa.Date, nullable=False, index=True)
    renewal = sa.Column(sa.UnicodeText, nullable=False, default="manual")  # auto, manual, none
    terms = sa.Column(sa.UnicodeText, nullable=False, default="")
    data_product_id = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="SET NULL"))
    created_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    modified = sa.Column(sa.DateTime, nullable=False, default=now)
    reminded = sa.Column(sa.Date)  # the end date a renewal reminder was sent for


class LicenceRequest(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A division asks the licence holder to be covered instead of buying the data again."""

    __tablename__ = "hhs_marketplace_licence_request"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    licence_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_marketplace_licence.id", ondelete="CASCADE"), nullable=False, index=True
    )
    org_id = sa.Column(sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False)
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    reason = sa.Column(sa.UnicodeText, nullable=False, default="")
    status = sa.Column(sa.UnicodeText, nullable=False, default="submitted")
    decided_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    decided = sa.Column(sa.DateTime)
    note = sa.Column(sa.UnicodeText, nullable=False, default="")
    created = sa.Column(sa.DateTime, nullable=False, default=now)


class Need(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A data need posted instead of a data call: what data, why, by when, and which divisions are asked."""

    __tablename__ = "hhs_marketplace_need"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    title = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False)
    why = sa.Column(sa.UnicodeText, nullable=False, default="")
    needed_by = sa.Column(sa.Date)
    asked_org_ids = sa.Column(JSONB, nullable=False, default=list)
    posted_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    status = sa.Column(sa.UnicodeText, nullable=False, default="open", index=True)
    closing_note = sa.Column(sa.UnicodeText, nullable=False, default="")
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    closed = sa.Column(sa.DateTime)


class NeedAnswer(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A division's answer to a need: existing datasets or products, or a commitment to publish."""

    __tablename__ = "hhs_marketplace_need_answer"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    need_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_marketplace_need.id", ondelete="CASCADE"), nullable=False, index=True
    )
    org_id = sa.Column(sa.UnicodeText, sa.ForeignKey("group.id"))
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    kind = sa.Column(sa.UnicodeText, nullable=False)  # existing, commit
    package_ids = sa.Column(JSONB, nullable=False, default=list)
    note = sa.Column(sa.UnicodeText, nullable=False, default="")
    publish_by = sa.Column(sa.Date)
    created = sa.Column(sa.DateTime, nullable=False, default=now)


class Event(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """One step in the life of a request, licence or need: who, when, what and why (the audit trail)."""

    __tablename__ = "hhs_marketplace_event"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    object_type = sa.Column(sa.UnicodeText, nullable=False)  # request, licence, licence_request, need
    object_id = sa.Column(sa.UnicodeText, nullable=False)
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    action = sa.Column(sa.UnicodeText, nullable=False)
    message = sa.Column(sa.UnicodeText, nullable=False, default="")
    data = sa.Column(JSONB, nullable=False, default=dict)
    created = sa.Column(sa.DateTime, nullable=False, default=now)

    __table_args__ = (sa.Index("ix_hhs_marketplace_event_object", "object_type", "object_id"),)


def record(object_type: str, object_id: str, user_id: str | None, action: str, message: str = "", **data) -> Event:
    event = Event(
        object_type=object_type, object_id=object_id, user_id=user_id, action=action, message=message or "", data=data
    )
    model.Session.add(event)
    return event
