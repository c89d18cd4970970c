"""Template helpers of search by meaning."""

from __future__ import annotations

from typing import Any

from . import config, terms


def hhs_search_expanded_terms(q: str | None) -> list[dict[str, Any]]:
    """The glossary terms a search question names, as the search used them (label, slug, matched)."""
    if not q or not config.enabled() or not config.glossary():
        return []
    return [{k: t[k] for k in ("label", "slug", "matched")} for t in terms.named_in(q)]
