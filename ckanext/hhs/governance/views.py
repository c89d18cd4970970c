"""The governance pages under /governance: one blueprint; each part of the dashboard adds its routes
in views_<part>.py."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("hhs_governance", __name__, url_prefix="/governance")

from . import views_duplicates, views_gaps, views_metrics, views_quality  # noqa: E402, F401 (they add routes)
