"""The metrics part of the governance dashboard: catalog and harvest health, the link check and the ROI
figures, computed by background jobs and stored as dated snapshots.

runs.py (run records), jobs.py (queueing), links.py (link check), health.py (catalog and harvest
health), roi.py (ROI), scopes.py (HHS-wide and per division), figures.py (the figures job);
logic/, views.py, cli.py and model.py as in any CKAN feature.
"""

from __future__ import annotations

# Callers outside governance (the core's staleness test, the marketplace's grant test) read these two
# as `governance.metrics.<name>`; nothing inside governance imports this package's namespace.
from .figures import compute_figures
from .health import is_stale

__all__ = ["compute_figures", "is_stale"]
