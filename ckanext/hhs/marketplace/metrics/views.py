"""The marketplace's figures page."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from .. import pages


def metrics() -> Any:
    if (redirect := pages.login_first()) is not None:
        return redirect
    return tk.render("hhs_marketplace/metrics.html", {"metrics": pages.call("hhs_marketplace_metrics", {})})
