"""Actions of search by meaning."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic import validate
from ckan.types import Context, DataDict

from .. import jobs, suggest
from . import schema


def hhs_search_rebuild(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Queue a background job that embeds every indexed dataset without a vector of its current text
    and indexes it again (`ckan hhs search rebuild` does the same in the foreground, with progress).

    :returns: ``job`` (the background job's id)
    """
    tk.check_access("hhs_search_rebuild", context, data_dict)
    job = tk.enqueue_job(jobs.rebuild, title="hhs_search: rebuild vectors", rq_kwargs={"timeout": 24 * 3600})
    return {"job": job.id}


@tk.side_effect_free
@validate(schema.hhs_search_suggest)
def hhs_search_suggest(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Help for a search question that finds nothing or little, drawn only from the datasets the caller
    may see (as `package_search` would show them) and the approved glossary: a corrected question when the
    catalog knows a word spelt nearly alike and the correction finds at least as many datasets, the
    glossary terms the question names or its nearest datasets are linked to, and the datasets nearest it
    in meaning, however near.

    :param q: the search question
    :param rows: how many datasets and terms at most (optional, default 5)
    :returns: ``suggestion`` (the corrected question, or null) with ``suggestion_count`` (how many datasets it
        finds), ``terms`` (``slug``, ``label``) and ``datasets`` (``id``, ``name``, ``title``, ``similarity``
        (cosine, -1..1), ``glossary_terms``), nearest first
    """
    tk.check_access("hhs_search_suggest", context, data_dict)
    return suggest.suggest(data_dict["q"], context.get("user") or None, data_dict["rows"])
