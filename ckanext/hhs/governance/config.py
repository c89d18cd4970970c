"""Typed getters of the governance options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def dua_baseline_days() -> int:
    return tk.config["ckanext.hhs.governance.dua_baseline_days"]
