"""The duplicates part of the governance dashboard: likely duplicate datasets across divisions.

scan.py (the scan job), authoritative.py (the dataset page's authoritative-source links), seed.py
(the demo); logic/, views.py, cli.py and model.py as in any CKAN feature."""
