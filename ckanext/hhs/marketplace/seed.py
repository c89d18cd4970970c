"""The demo's marketplace content (filled in below)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def run(context: dict[str, Any]) -> Iterator[str]:
    yield "nothing yet"
