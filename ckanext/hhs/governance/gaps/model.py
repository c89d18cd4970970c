"""The gaps tracker's tables: gaps the Data Governance Board follows, their comments, and every change
to a gap as an event (who, when, what changed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.model as model
from ckan.model import domain_object
from ckan.model import types as ckan_types
from ckan.model.base import BaseModel

__all__ = ["Gap", "GapComment", "GapEvent"]

GAP_SEVERITIES = ("low", "medium", "high", "critical")
GAP_STATUSES = ("open", "in_progress", "closed")


def gap_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def gap_today() -> dt.date:
    return gap_now().date()


class Gap(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A governance gap: what is missing or wrong, which division owns the fix, how bad, by when."""

    __tablename__ = "hhs_governance_gap"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    title = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    owner_org_id = sa.Column(sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False, index=True)
    severity = sa.Column(sa.UnicodeText, nullable=False, default="medium", index=True)
    status = sa.Column(sa.UnicodeText, nullable=False, default="open", index=True)
    due_date = sa.Column(sa.Date, index=True)
    package_ids = sa.Column(JSONB, nullable=False, default=list)  # linked datasets, by id
    term_slugs = sa.Column(JSONB, nullable=False, default=list)  # linked glossary terms, by slug
    resolution = sa.Column(sa.UnicodeText, nullable=False, default="")  # how it was closed
    created_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=gap_now)
    modified = sa.Column(sa.DateTime, nullable=False, default=gap_now)
    closed = sa.Column(sa.DateTime)


class GapComment(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A comment on a gap by a board member or an admin of the owner division."""

    __tablename__ = "hhs_governance_gap_comment"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    gap_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_governance_gap.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    text = sa.Column(sa.UnicodeText, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=gap_now)


class GapEvent(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """One change to a gap: created, fields changed (old and new values), status moved, commented."""

    __tablename__ = "hhs_governance_gap_event"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    gap_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_governance_gap.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    action = sa.Column(sa.UnicodeText, nullable=False)  # create, update, status, comment
    message = sa.Column(sa.UnicodeText, nullable=False, default="")
    data = sa.Column(JSONB, nullable=False, default=dict)
    created = sa.Column(sa.DateTime, nullable=False, default=gap_now)


def record_gap_event(gap_id: str, user_id: str | None, action: str, message: str = "", **data: Any) -> GapEvent:
    event = GapEvent(gap_id=gap_id, user_id=user_id, action=action, message=message or "", data=data)
    model.Session.add(event)
    return event
