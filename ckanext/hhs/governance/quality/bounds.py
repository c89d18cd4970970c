"""What keeps the Table Schema validation bounded work (imported by the validation job only: it loads
Frictionless and RE2).

Frictionless compiles a field's `pattern` with Python's `re`, which backtracks: `(a+)+$` against 30
characters takes minutes, so a schema could hold a web or job worker for its whole timeout. Patterns are
taken out of the schema Frictionless sees and matched here by RE2, whose time is linear in the value
(Table Schema patterns are XML Schema regular expressions, which RE2 covers: no lookarounds or
backreferences). The same check stops the validation at its deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import frictionless as fl
import re2

MAX_PATTERN_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern (its default; stated, not assumed)


class OutOfTime(Exception):
    """The validation passed its deadline."""


def take_patterns(fields: list[dict[str, Any]]) -> dict[str, tuple[str, Any]]:
    """Remove `pattern` from the string fields' constraints (in place) and compile each with RE2:
    {field name: (pattern, compiled)}. A pattern RE2 cannot run raises ValueError naming the field."""
    options = re2.Options()
    options.log_errors, options.max_mem = False, MAX_PATTERN_MEMORY
    patterns = {}
    for field in fields:
        constraints = field.get("constraints")
        if not isinstance(constraints, dict) or "pattern" not in constraints:
            continue
        pattern = constraints.pop("pattern")
        if field.get("type", "any") not in ("string", "any"):
            continue  # Frictionless applies patterns to string fields only
        try:
            patterns[str(field.get("name"))] = (pattern, re2.compile(pattern, options))
        except (re2.error, TypeError) as e:
            raise ValueError(f"the pattern of field {str(field.get('name'))[:100]!r} is not supported: {e}") from e
    return patterns


class Bounds(fl.Check):
    """Matches the taken patterns (the error Frictionless would give) and stops at the deadline."""

    type = "hhs-bounds"
    Errors = [fl.errors.ConstraintError]

    def __init__(self, patterns: dict[str, tuple[str, Any]], deadline: float):
        super().__init__()
        self.patterns, self.deadline = patterns, deadline

    def validate_row(self, row: fl.Row) -> Iterable[fl.Error]:
        if time.monotonic() > self.deadline:
            raise OutOfTime
        for name, (pattern, compiled) in self.patterns.items():
            cell = row.get(name)
            if not isinstance(cell, str) or name in row.error_cells or compiled.fullmatch(cell):
                continue
            yield fl.errors.ConstraintError(
                note=f'constraint "pattern" is "{pattern}"',
                cells=[str(c) if c is not None else "" for c in row.cells],
                row_number=row.row_number,
                cell=cell,
                field_name=name,
                field_number=row.field_names.index(name) + 1,
            )
