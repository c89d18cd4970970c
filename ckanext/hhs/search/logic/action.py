"""Actions of search by meaning."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from .. import jobs


def hhs_search_rebuild(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Queue a background job that embeds every indexed dataset without a vector of its current text
    and indexes it again (`ckan hhs search rebuild` does the same in the foreground, with progress).

    :returns: ``job`` (the background job's id)
    """
    tk.check_access("hhs_search_rebuild", context, data_dict)
    job = tk.enqueue_job(jobs.rebuild, title="hhs_search: rebuild vectors", rq_kwargs={"timeout": 24 * 3600})
    return {"job": job.id}
