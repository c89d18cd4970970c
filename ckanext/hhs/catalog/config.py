"""Typed getters of the catalog options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def rebuild_delay() -> float:
    return float(tk.config["ckanext.hhs.catalog.rebuild_delay"])


def build_wait() -> int:
    return tk.config["ckanext.hhs.catalog.build_wait"]


def copy_seconds() -> int:
    return tk.config["ckanext.hhs.catalog.copy_seconds"]
