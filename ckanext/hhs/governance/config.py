"""Typed getters of the governance options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def dua_baseline_days() -> int:
    return tk.config["ckanext.hhs.governance.dua_baseline_days"]


def hours_per_dua() -> float:
    return float(tk.config["ckanext.hhs.governance.hours_per_dua"])


def hours_per_data_call() -> float:
    return float(tk.config["ckanext.hhs.governance.hours_per_data_call"])


def hours_per_duplicate() -> float:
    return float(tk.config["ckanext.hhs.governance.hours_per_duplicate"])


def linkcheck_batch() -> int:
    return tk.config["ckanext.hhs.governance.linkcheck_batch"]


def linkcheck_interval() -> float:
    return float(tk.config["ckanext.hhs.governance.linkcheck_interval"])


def linkcheck_timeout() -> float:
    return float(tk.config["ckanext.hhs.governance.linkcheck_timeout"])


def linkcheck_recheck_hours() -> int:
    return tk.config["ckanext.hhs.governance.linkcheck_recheck_hours"]


def quality_page_size() -> int:
    return tk.config["ckanext.hhs.governance.quality_page_size"]


def quality_job_timeout() -> int:
    return tk.config["ckanext.hhs.governance.quality_job_timeout"]


def validation_max_errors() -> int:
    return tk.config["ckanext.hhs.governance.validation_max_errors"]


def validation_max_rows() -> int:
    return tk.config["ckanext.hhs.governance.validation_max_rows"]


def validation_timeout() -> float:
    return float(tk.config["ckanext.hhs.governance.validation_timeout"])


def duplicate_threshold() -> float:
    return float(tk.config["ckanext.hhs.governance.duplicate_threshold"])


def duplicate_top_k() -> int:
    return tk.config["ckanext.hhs.governance.duplicate_top_k"]


def duplicate_chunk() -> int:
    return tk.config["ckanext.hhs.governance.duplicate_chunk"]
