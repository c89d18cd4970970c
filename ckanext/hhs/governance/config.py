"""Typed getters of the governance options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def dua_baseline_days() -> int:
    return tk.config["ckanext.hhs.governance.dua_baseline_days"]


def quality_page_size() -> int:
    return tk.config["ckanext.hhs.governance.quality_page_size"]


def quality_job_timeout() -> int:
    return tk.config["ckanext.hhs.governance.quality_job_timeout"]


def validation_max_errors() -> int:
    return tk.config["ckanext.hhs.governance.validation_max_errors"]


def validation_max_rows() -> int:
    return tk.config["ckanext.hhs.governance.validation_max_rows"]
