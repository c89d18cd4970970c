"""The duplicates pages of the governance dashboard (routes on views.blueprint)."""

from __future__ import annotations

from .views import blueprint  # noqa: F401
