"""The gaps part of the governance dashboard: the Board's tracker of data gaps by division.

seed.py (the demo); logic/, views.py and model.py as in any CKAN feature."""
