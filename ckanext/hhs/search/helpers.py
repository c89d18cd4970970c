"""Template helpers of search by meaning."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from . import config, suggest, terms


def hhs_search_expanded_terms(q: str | None) -> list[dict[str, Any]]:
    """The glossary terms a search question names, as the search used them (label, slug, matched)."""
    if not q or not config.enabled() or not config.glossary():
        return []
    return [{k: t[k] for k in ("label", "slug", "matched")} for t in terms.named_in(q)]


def hhs_search_suggestions(q: str | None, count: int) -> dict[str, Any] | None:
    """The help for a search page with fewer than a few results (see hhs_search_suggest), as the viewer may
    see it; None for a page without a question, with enough results, or with search by meaning off."""
    if not q or not q.strip() or count >= suggest.FEW or not config.enabled():
        return None
    try:
        return tk.get_action("hhs_search_suggest")({}, {"q": q})
    except tk.ValidationError:
        return None
