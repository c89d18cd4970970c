"""The metrics background jobs: queueing the figures and the link check as two jobs (the figures never
wait for a long link check), and which governance jobs wait in the queue."""

from __future__ import annotations

import redis.exceptions

import ckan.plugins.toolkit as tk

from . import figures
from . import links as linkcheck
from .runs import JOB_TIMEOUT

QUEUED_SCAN = 200  # waiting jobs read to find the governance ones (imports may queue many)


def figures_job() -> str:
    return figures.compute_figures().id


def linkcheck_job() -> str:
    """A link-check batch; when it finishes, a (fast) figures job is queued so the snapshot's link
    figures take in what it found."""
    run_id = linkcheck.check_links().id
    tk.enqueue_job(figures_job, [], title="Governance figures", rq_kwargs={"timeout": JOB_TIMEOUT})
    return run_id


def queued() -> list[str]:
    """Titles of the governance jobs waiting in the queue, not started yet (a worker may be busy with
    other jobs): the page says so rather than showing only the last run."""
    from ckan.lib import jobs

    try:
        waiting = jobs.get_queue().get_jobs(0, QUEUED_SCAN)
    except redis.exceptions.RedisError:
        return []
    return [job.meta.get("title") for job in waiting if str(job.meta.get("title") or "").startswith("Governance ")]


def enqueue_refresh(links: bool = True) -> dict[str, str]:
    """Queue the figures job and (optionally) a link-check batch as two separate background jobs, so the
    figures never wait for a long link check. Returns each job's id (keys ``figures``, ``linkcheck``)."""
    out = {
        "figures": tk.enqueue_job(figures_job, [], title="Governance figures", rq_kwargs={"timeout": JOB_TIMEOUT}).id
    }
    if links:
        out["linkcheck"] = tk.enqueue_job(
            linkcheck_job, [], title="Governance link check", rq_kwargs={"timeout": JOB_TIMEOUT}
        ).id
    return out
