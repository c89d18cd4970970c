"""Values every feature reads the same way: whether a field is filled, the time now, and the period an
update frequency promises. One answer each, so that completeness, quality, the governance figures and
the lakehouse's freshness agree (a dataset stale on the dashboard is stale on its table page)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import isodate

# Calendar units in days, as staleness counts them (a month or a year has no fixed length).
_DAYS_PER_YEAR, _DAYS_PER_MONTH = 365.25, 30.44
_REPEAT = re.compile(r"^R\d*/")  # ISO 8601 repeating interval prefix; the period is what follows


def filled(value: Any) -> bool:
    """Whether a field holds an answer: text that is not blank, a number, a yes or a no (False is an
    answer: blank yes/no fields are not stored at all), a list or object with a filled value."""
    if isinstance(value, list):
        return any(filled(v) for v in value)
    if isinstance(value, dict):
        return any(filled(v) for v in value.values())
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def now() -> dt.datetime:
    """The time now in UTC, without a zone, as the hub's tables store it."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def period(frequency: Any) -> dt.timedelta | None:
    """The period an ISO 8601 duration or repeating duration promises ("R/P1W", "P3M", "R/P0.5M",
    "R/PT1H"); None for "irregular", an empty or an unreadable value."""
    if not isinstance(frequency, str) or len(frequency) > 100:
        return None
    try:
        duration = isodate.parse_duration(_REPEAT.sub("", frequency.strip().upper()))
        if isinstance(duration, isodate.Duration):  # years and months: counted in average days
            calendar = float(duration.years) * _DAYS_PER_YEAR + float(duration.months) * _DAYS_PER_MONTH
            duration = duration.tdelta + dt.timedelta(days=calendar)
    except (isodate.ISO8601Error, ValueError, ArithmeticError):  # ArithmeticError: beyond timedelta's range
        return None
    return duration if duration > dt.timedelta(0) else None
