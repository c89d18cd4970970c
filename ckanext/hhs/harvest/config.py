"""Typed getters for the harvest feature's options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def withdraw() -> str:
    return tk.config["ckanext.hhs.harvest.withdraw"]


def job_timeout() -> int:
    """Minutes a harvest job may do nothing before it counts as stopped."""
    return tk.asint(tk.config["ckanext.hhs.harvest.job_timeout"])


def max_queued_imports() -> int:
    return tk.asint(tk.config["ckanext.hhs.harvest.max_queued_imports"])
