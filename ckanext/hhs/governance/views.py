"""The governance pages under /governance: one blueprint, `hhs_governance`, whose endpoints are named
after each part's view functions (`hhs_governance.index`, `hhs_governance.duplicates`, ...), as the
templates' url_for calls name them. Each part's views.py holds its pages and an `add_routes`."""

from __future__ import annotations

from flask import Blueprint

from .duplicates import views as duplicates_views
from .gaps import views as gaps_views
from .metrics import views as metrics_views
from .quality import views as quality_views

__all__ = ["blueprint"]

blueprint = Blueprint("hhs_governance", __name__, url_prefix="/governance")

duplicates_views.add_routes(blueprint)
gaps_views.add_routes(blueprint)
metrics_views.add_routes(blueprint)
quality_views.add_routes(blueprint)
