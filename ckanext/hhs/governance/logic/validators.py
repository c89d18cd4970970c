"""Validators of the governance schemas."""

from __future__ import annotations

__all__: list[str] = []
