"""`hhs_governance`: the Data Governance Board's dashboard (catalog and harvest health, duplicates
across divisions, quality suggestions, the gaps tracker, ROI) and the background jobs behind it."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import model as _tables  # noqa: F401 (the tables, for migrations and the session)


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsGovernancePlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
