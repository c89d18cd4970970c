"""The quality part of the governance dashboard: suggestions for missing and weak fields, and the
validation of tabular resources against their Table Schema.

checks.py (the suggestions and the check job), tabular.py (Table Schema validation), bounds.py (what
keeps that validation bounded: RE2 patterns, the deadline), seed.py (the demo); logic/, views.py,
cli.py and model.py as in any CKAN feature."""
