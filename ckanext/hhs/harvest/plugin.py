"""`hhs_harvest`: bring division catalogs (POD data.json) into the HHS catalog."""
from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsHarvestPlugin(p.SingletonPlugin):
    pass
