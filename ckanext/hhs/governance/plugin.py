"""`hhs_governance`: the Data Governance Board's dashboard (catalog and harvest health, duplicates
across divisions, quality suggestions, the gaps tracker, ROI) and the background jobs behind it.

The dashboard has four parts, each a sub-package shaped like a CKAN feature (metrics/, duplicates/,
quality/, gaps/: logic/{action,auth,schema}.py, model.py, views.py, ...). Their actions and auth
functions are collected here from each part's logic/ by name; views.py puts every part's pages on the
one `hhs_governance` blueprint and cli.py adds every part's commands to `ckan hhs governance`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from .duplicates import model as _duplicate_tables  # noqa: F401 (the tables, for migrations and the session)
from .duplicates.logic import action as duplicates_action
from .duplicates.logic import auth as duplicates_auth
from .gaps import model as _gap_tables  # noqa: F401
from .gaps.logic import action as gaps_action
from .gaps.logic import auth as gaps_auth
from .metrics import model as _metrics_tables  # noqa: F401
from .metrics.logic import action as metrics_action
from .metrics.logic import auth as metrics_auth
from .quality import model as _quality_tables  # noqa: F401
from .quality.logic import action as quality_action
from .quality.logic import auth as quality_auth


def _exported(*modules: ModuleType) -> dict[str, Any]:
    """Each module's `__all__` by name; a name two parts export is an error, not a silent override."""
    found: dict[str, Any] = {}
    for module in modules:
        for name in module.__all__:
            if name in found:
                raise ValueError(f"{module.__name__} exports {name}, which another governance part exports too")
            found[name] = getattr(module, name)
    return found


def actions() -> dict[str, Any]:
    return _exported(metrics_action, duplicates_action, quality_action, gaps_action)


def auth_functions() -> dict[str, Any]:
    return _exported(metrics_auth, duplicates_auth, quality_auth, gaps_auth)


@tk.blanket.actions(actions)
@tk.blanket.auth_functions(auth_functions)
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
