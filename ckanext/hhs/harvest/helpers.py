"""Template helpers of the harvest feature."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from . import harvester

__all__ = ["hhs_harvest_job_warnings", "hhs_harvest_source_overlap"]


def hhs_harvest_job_warnings(job_id: str) -> dict[str, Any]:
    """The warnings of a harvest job, apart from its errors (the job page is its source's editors')."""
    return harvester.job_warnings(job_id)


def hhs_harvest_source_overlap(source_id: str) -> dict[str, Any] | None:
    """What the source shares with other divisions, for the current user if they edit the source."""
    user = tk.current_user.name if tk.current_user and tk.current_user.is_authenticated else ""
    try:
        return tk.get_action("hhs_harvest_source_overlap")({"user": user}, {"id": source_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None
