"""The quality tables: check runs, each dataset's last check (with its resources' validation results),
and the suggestions the checks make."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ckan.model import domain_object
from ckan.model import types as ckan_types
from ckan.model.base import BaseModel

from ckanext.hhs.values import now

__all__ = ["QualityDataset", "QualityRun", "Suggestion"]

RUN_STATUSES = ("queued", "running", "finished", "failed")
SUGGESTION_STATUSES = ("open", "accepted", "dismissed", "resolved")
# Where an accepted suggestion went: written to the hub's dataset, or onto its source's fix list.
OUTCOMES = ("applied", "fix_list")


class QualityRun(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """One run of the quality check, over one dataset or every dataset changed since it was last checked."""

    __tablename__ = "hhs_governance_quality_run"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    scope = sa.Column(sa.UnicodeText, nullable=False, default="all")  # "all" or a dataset id
    status = sa.Column(sa.UnicodeText, nullable=False, default="queued", index=True)
    error = sa.Column(sa.UnicodeText, nullable=False, default="")
    checked = sa.Column(sa.Integer, nullable=False, default=0)
    failed = sa.Column(sa.Integer, nullable=False, default=0)
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    started = sa.Column(sa.DateTime)
    finished = sa.Column(sa.DateTime)


class QualityDataset(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A dataset's last check: the metadata_modified it saw (a later change makes it due again) and the
    validation results of its tabular resources ({resource id: result})."""

    __tablename__ = "hhs_governance_quality_dataset"

    package_id = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True)
    owner_org = sa.Column(sa.UnicodeText, index=True)
    modified = sa.Column(sa.DateTime)
    checked_at = sa.Column(sa.DateTime, nullable=False, default=now)
    error = sa.Column(sa.UnicodeText, nullable=False, default="")
    validation = sa.Column(JSONB, nullable=False, default=dict)


class Suggestion(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A missing or weak field of a dataset and, where one can be derived, the value to give it.

    `key` names the finding (kind, field and suggested value) so that a re-check keeps a decision: a
    dismissed suggestion is not made again, an accepted one for a harvested dataset stays on its source's
    fix list until the source fixes it (then it is `resolved`)."""

    __tablename__ = "hhs_governance_suggestion"
    __table_args__ = (sa.UniqueConstraint("package_id", "key", name="hhs_governance_suggestion_key"),)

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    package_id = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False, index=True)
    owner_org = sa.Column(sa.UnicodeText, index=True)
    key = sa.Column(sa.UnicodeText, nullable=False)
    kind = sa.Column(sa.UnicodeText, nullable=False)  # missing, weak, encoding, glossary, theme, contact, ...
    field = sa.Column(sa.UnicodeText, nullable=False)
    mode = sa.Column(sa.UnicodeText, nullable=False, default="set")  # set the field, or add to its list
    current = sa.Column(JSONB)
    suggested = sa.Column(JSONB)  # None: nothing to derive, a steward fills it in by hand
    reason = sa.Column(sa.UnicodeText, nullable=False, default="")
    status = sa.Column(sa.UnicodeText, nullable=False, default="open", index=True)
    outcome = sa.Column(sa.UnicodeText)
    # Harvested datasets: their source (source_catalog) and identifier there, for the fix list.
    source = sa.Column(sa.UnicodeText, index=True)
    identifier = sa.Column(sa.UnicodeText)
    created = sa.Column(sa.DateTime, nullable=False, default=now)
    decided_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at = sa.Column(sa.DateTime)
