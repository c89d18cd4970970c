"""What a failed governance run (figures, link check, quality check, duplicate scan) stores and shows."""

from __future__ import annotations


def failure_message(run_id: str) -> str:
    """The neutral message pages show for a run that stopped on an unexpected error. The exception
    itself goes to the log only: a database error carries SQL, table names and values."""
    return f"The run stopped on an unexpected error; the details are in the server log (run {run_id})."
