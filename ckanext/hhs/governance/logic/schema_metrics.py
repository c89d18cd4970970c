"""schema: the metrics part of the dashboard."""

from __future__ import annotations

__all__: list[str] = []
