"""The metrics part of the governance dashboard: catalog and harvest health, the link check and the ROI
figures, computed by background jobs and stored as dated snapshots.

runs.py (run records), jobs.py (queueing), links.py (link check), health.py (catalog and harvest
health), roi.py (ROI), scopes.py (HHS-wide and per division), figures.py (the figures job);
logic/, views.py, cli.py and model.py as in any CKAN feature.
"""
