"""Template helpers of the harvest feature."""

from __future__ import annotations

from typing import Any

from . import harvester

__all__ = ["hhs_harvest_job_warnings"]


def hhs_harvest_job_warnings(job_id: str) -> dict[str, Any]:
    """The warnings of a harvest job, apart from its errors (the job page is its source's editors')."""
    return harvester.job_warnings(job_id)
