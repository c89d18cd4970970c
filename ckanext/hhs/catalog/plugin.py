"""`hhs_catalog`: the machine-readable HHS catalog (/data.json, the inventory, per-division DCAT)."""

from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
class HhsCatalogPlugin(p.SingletonPlugin):
    pass
