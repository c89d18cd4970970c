"""The metrics tables: runs of the figures and link-check jobs, the dated snapshots of figures they
store (one per division and one HHS-wide, `division` ""), and the last link-check result per resource."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ckan.model import domain_object
from ckan.model import types as ckan_types
from ckan.model.base import BaseModel

from ckanext.hhs.values import now

__all__ = ["HHS_WIDE", "LinkStatus", "MetricsRun", "MetricsSnapshot", "now"]

# The `division` of the HHS-wide snapshot.
HHS_WIDE = ""


class MetricsRun(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """One run of a job (`figures` or `linkcheck`): running, finished or failed, with its error."""

    __tablename__ = "hhs_governance_metrics_run"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    kind = sa.Column(sa.UnicodeText, nullable=False)
    status = sa.Column(sa.UnicodeText, nullable=False, default="running")
    started = sa.Column(sa.DateTime, nullable=False, default=now, index=True)
    finished = sa.Column(sa.DateTime)
    error = sa.Column(sa.UnicodeText)
    counts = sa.Column(JSONB, nullable=False, default=dict)


class MetricsSnapshot(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """The figures one finished run computed for one division (or HHS-wide)."""

    __tablename__ = "hhs_governance_metrics_snapshot"
    __table_args__ = (sa.UniqueConstraint("run_id", "division"),)

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    run_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_governance_metrics_run.id", ondelete="CASCADE"), nullable=False
    )
    division = sa.Column(sa.UnicodeText, nullable=False, index=True)
    computed_at = sa.Column(sa.DateTime, nullable=False, index=True)
    figures = sa.Column(JSONB, nullable=False)


class LinkStatus(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """What the last check of a resource's URL found: ok, broken (an HTTP error or no answer) or
    refused (the fetch guard would not fetch it: not a public http(s) address)."""

    __tablename__ = "hhs_governance_link_status"

    resource_id = sa.Column(sa.UnicodeText, sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    url = sa.Column(sa.UnicodeText, nullable=False)
    status = sa.Column(sa.UnicodeText, nullable=False)
    http_status = sa.Column(sa.Integer)
    error = sa.Column(sa.UnicodeText)
    checked = sa.Column(sa.DateTime, nullable=False, index=True)
    failures = sa.Column(sa.Integer, nullable=False, default=0)  # consecutive failed checks
