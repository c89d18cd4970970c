"""The duplicates tables: what the scan keeps of each dataset (text hashes and embeddings, so a rescan
re-embeds only what changed), the candidate pairs with their signals and the Board's decision, and the
scan runs with their progress."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ckan.model import domain_object
from ckan.model import types as ckan_types
from ckan.model.base import BaseModel

from ckanext.hhs import values

__all__ = ["DuplicateDataset", "DuplicatePair", "DuplicateRun", "PAIR_STATUSES"]

PAIR_STATUSES = ("open", "duplicate", "distinct")


class DuplicateDataset(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A dataset as the last scan saw it: the hashes of its title and description and their embeddings
    (float32 bytes), and the hash of everything the signals read (`signature`)."""

    __tablename__ = "hhs_governance_duplicate_dataset"

    package_id = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True)
    title_hash = sa.Column(sa.UnicodeText, nullable=False)
    title_embedding = sa.Column(sa.LargeBinary, nullable=False)
    notes_hash = sa.Column(sa.UnicodeText, nullable=False)
    notes_embedding = sa.Column(sa.LargeBinary, nullable=False)
    signature = sa.Column(sa.UnicodeText, nullable=False)
    scanned = sa.Column(sa.DateTime, nullable=False, default=values.now)


class DuplicatePair(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """Two datasets of different divisions that look like the same data (`dataset_a` < `dataset_b`).

    `reasons` maps each signal that matched to what matched (identifier, landing_page, download_url,
    text, columns); `decided_reasons` and `decided_score` keep the evidence the Board saw when it
    decided, so that a scan reopens a pair marked distinct only on stronger evidence."""

    __tablename__ = "hhs_governance_duplicate_pair"
    __table_args__ = (sa.UniqueConstraint("dataset_a", "dataset_b"),)

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    dataset_a = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False, index=True)
    dataset_b = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False, index=True)
    score = sa.Column(sa.Float, nullable=False)
    reasons = sa.Column(JSONB, nullable=False, default=dict)
    status = sa.Column(sa.UnicodeText, nullable=False, default="open", index=True)
    authoritative = sa.Column(sa.UnicodeText, sa.ForeignKey("package.id", ondelete="SET NULL"))
    note = sa.Column(sa.UnicodeText)
    decided_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at = sa.Column(sa.DateTime)
    decided_score = sa.Column(sa.Float)
    decided_reasons = sa.Column(JSONB)
    found = sa.Column(sa.DateTime, nullable=False, default=values.now)
    seen = sa.Column(sa.DateTime, nullable=False, default=values.now)  # the last scan that found it


class DuplicateRun(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """One scan: running, finished or failed (with its error), how far it got and what it found."""

    __tablename__ = "hhs_governance_duplicate_run"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    full = sa.Column(sa.Boolean, nullable=False, default=False)
    status = sa.Column(sa.UnicodeText, nullable=False, default="running")
    stage = sa.Column(sa.UnicodeText)
    done = sa.Column(sa.Integer, nullable=False, default=0)
    total = sa.Column(sa.Integer, nullable=False, default=0)
    started = sa.Column(sa.DateTime, nullable=False, default=values.now, index=True)
    finished = sa.Column(sa.DateTime)
    error = sa.Column(sa.UnicodeText)
    counts = sa.Column(JSONB, nullable=False, default=dict)
