"""Text guards: text the hub hands to other programs, made safe for what those programs do with it."""

from __future__ import annotations

from typing import Any

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell that a spreadsheet shows and never runs: text that starts like a formula
    gets a leading quote; a number stays a number (a negative one too); None is an empty cell. Every
    CSV export (governance figures, fix lists, gaps, data-use records) writes its cells through this."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)
