"""Glossary tables: terms, their typed relations, and every change as a revision."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

import ckan.model as model
from ckan.model import domain_object
from ckan.model import types as ckan_types
from ckan.model.base import BaseModel

from ckanext.hhs import values

__all__ = ["Relation", "Revision", "Term"]

STATUSES = ("draft", "in_review", "approved", "deprecated", "rejected")
RELATION_TYPES = ("related", "is_a", "part_of", "has_part", "used_with", "see_also", "calculated_from")
# The fields a term holds, as its revision snapshots, API dicts and CSV rows name them.
LIST_FIELDS = ("synonyms", "owners", "references", "exact_matches", "sensitivity")
TEXT_FIELDS = ("label", "slug", "definition", "explanation", "example", "abbreviation")


class Term(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    __tablename__ = "hhs_glossary_term"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    slug = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    label = sa.Column(sa.UnicodeText, nullable=False)
    definition = sa.Column(sa.UnicodeText, nullable=False, default="")
    explanation = sa.Column(sa.UnicodeText, nullable=False, default="")
    example = sa.Column(sa.UnicodeText, nullable=False, default="")
    abbreviation = sa.Column(sa.UnicodeText, nullable=False, default="")
    synonyms = sa.Column(JSONB, nullable=False, default=list)
    owners = sa.Column(JSONB, nullable=False, default=list)
    references = sa.Column(JSONB, nullable=False, default=list)  # [{"name", "url"}]
    exact_matches = sa.Column(JSONB, nullable=False, default=list)  # [{"system", "code"}]
    sensitivity = sa.Column(JSONB, nullable=False, default=list)
    parent_id = sa.Column(sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="SET NULL"), index=True)
    steward_org_id = sa.Column(sa.UnicodeText, sa.ForeignKey("group.id", ondelete="SET NULL"), index=True)
    status = sa.Column(sa.UnicodeText, nullable=False, default="draft", index=True)
    replaced_by_id = sa.Column(sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="SET NULL"))
    proposed_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    reviewed_by = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"))
    review_note = sa.Column(sa.UnicodeText, nullable=False, default="")
    created = sa.Column(sa.DateTime, nullable=False, default=values.now)
    modified = sa.Column(sa.DateTime, nullable=False, default=values.now)
    search_text = sa.Column(sa.UnicodeText, nullable=False, default="")  # normalised label + synonyms
    # The definition's sentence embedding (384 float32), for finding terms that mean the same thing.
    definition_embedding = sa.Column(sa.LargeBinary)

    @classmethod
    def by_slug_or_id(cls, ref: str) -> Term | None:
        return model.Session.query(cls).filter(sa.or_(cls.slug == ref, cls.id == ref)).first()


class Relation(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """A typed link between two terms (SKOS related, or a finer type); stored once per direction asked."""

    __tablename__ = "hhs_glossary_relation"

    term_id = sa.Column(sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="CASCADE"), primary_key=True)
    related_id = sa.Column(sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="CASCADE"), primary_key=True)
    relation_type = sa.Column(sa.UnicodeText, nullable=False, default="related")


class Revision(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    """One change of a term: who, when, what (a snapshot of the fields) and why.

    A change to an approved term proposed by someone outside the board waits as a `pending` revision
    until the board approves it (then it is applied) or rejects it."""

    __tablename__ = "hhs_glossary_revision"

    id = sa.Column(sa.UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    term_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number = sa.Column(sa.Integer, nullable=False)
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=values.now)
    action = sa.Column(sa.UnicodeText, nullable=False)  # create, update, propose, approve, reject, deprecate
    message = sa.Column(sa.UnicodeText, nullable=False, default="")
    data = sa.Column(JSONB, nullable=False)
    pending = sa.Column(sa.Boolean, nullable=False, default=False)

    __table_args__ = (sa.UniqueConstraint("term_id", "number"),)


def snapshot(term: Term) -> dict[str, Any]:
    """The fields of a term a revision keeps (ids of linked terms as slugs, so revisions read well)."""
    data: dict[str, Any] = {f: getattr(term, f) for f in (*TEXT_FIELDS, *LIST_FIELDS, "status", "review_note")}
    data["parent"] = _slug(term.parent_id)
    data["replaced_by"] = _slug(term.replaced_by_id)
    data["steward"] = _org_name(term.steward_org_id)
    data["related"] = sorted(
        ({"term": _slug(r.related_id), "type": r.relation_type} for r in relations_of(term.id)),
        key=lambda r: (r["term"] or "", r["type"]),
    )
    return data


def relations_of(term_id: str) -> list[Relation]:
    return model.Session.query(Relation).filter(Relation.term_id == term_id).all()


def _slug(term_id: str | None) -> str | None:
    if not term_id:
        return None
    return model.Session.query(Term.slug).filter(Term.id == term_id).scalar()


def _org_name(org_id: str | None) -> str | None:
    if not org_id:
        return None
    return model.Session.query(model.Group.name).filter(model.Group.id == org_id).scalar()
