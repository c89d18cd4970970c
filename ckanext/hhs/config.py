"""Typed getters for every ckanext-hhs option; defaults live in config_declaration.yaml."""
from __future__ import annotations

import ckan.plugins.toolkit as tk


def coding_systems_extra() -> list[str]:
    return tk.config["ckanext.hhs.coding_systems_extra"]


def governance_org() -> str:
    return tk.config["ckanext.hhs.governance_org"]


def demo_catalog() -> str:
    return tk.config["ckanext.hhs.demo.catalog"]
