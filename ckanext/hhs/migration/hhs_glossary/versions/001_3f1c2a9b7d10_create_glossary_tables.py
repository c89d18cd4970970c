"""Create the glossary tables: terms, relations, revisions

Revision ID: 3f1c2a9b7d10
Revises:
Create Date: 2026-11-25 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "3f1c2a9b7d10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hhs_glossary_term",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("slug", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("label", sa.UnicodeText, nullable=False),
        sa.Column("definition", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("explanation", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("example", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("abbreviation", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("synonyms", JSONB, nullable=False, server_default="[]"),
        sa.Column("owners", JSONB, nullable=False, server_default="[]"),
        sa.Column("references", JSONB, nullable=False, server_default="[]"),
        sa.Column("exact_matches", JSONB, nullable=False, server_default="[]"),
        sa.Column("sensitivity", JSONB, nullable=False, server_default="[]"),
        sa.Column("parent_id", sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="SET NULL")),
        sa.Column("steward_org_id", sa.UnicodeText, sa.ForeignKey("group.id", ondelete="SET NULL")),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="draft"),
        sa.Column("replaced_by_id", sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="SET NULL")),
        sa.Column("proposed_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("reviewed_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("review_note", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.Column("search_text", sa.UnicodeText, nullable=False, server_default=""),
    )
    op.create_index("ix_hhs_glossary_term_parent_id", "hhs_glossary_term", ["parent_id"])
    op.create_index("ix_hhs_glossary_term_steward_org_id", "hhs_glossary_term", ["steward_org_id"])
    op.create_index("ix_hhs_glossary_term_status", "hhs_glossary_term", ["status"])
    # Autocomplete matches the start of words: a text_pattern_ops index serves `LIKE 'abc%'`.
    op.execute("CREATE INDEX ix_hhs_glossary_term_search_text ON hhs_glossary_term (search_text text_pattern_ops)")
    op.create_table(
        "hhs_glossary_relation",
        sa.Column(
            "term_id", sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "related_id", sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("relation_type", sa.UnicodeText, nullable=False, server_default="related"),
    )
    op.create_table(
        "hhs_glossary_revision",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("term_id", sa.UnicodeText, sa.ForeignKey("hhs_glossary_term.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("message", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("pending", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("term_id", "number"),
    )
    op.create_index("ix_hhs_glossary_revision_term_id", "hhs_glossary_revision", ["term_id"])


def downgrade() -> None:
    op.drop_table("hhs_glossary_revision")
    op.drop_table("hhs_glossary_relation")
    op.drop_table("hhs_glossary_term")
