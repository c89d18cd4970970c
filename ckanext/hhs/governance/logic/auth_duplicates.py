"""auth: the duplicates part of the dashboard."""

from __future__ import annotations

__all__: list[str] = []
