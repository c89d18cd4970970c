"""Typed getters for every ckanext-hhs option; defaults live in config_declaration.yaml."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def coding_systems_extra() -> list[str]:
    return tk.config["ckanext.hhs.coding_systems_extra"]


def governance_org() -> str:
    return tk.config["ckanext.hhs.governance_org"]


def demo_catalog() -> str:
    return tk.config["ckanext.hhs.demo.catalog"]


def allowed_private_hosts() -> list[str]:
    return tk.aslist(tk.config["ckanext.hhs.allowed_private_hosts"])


def fetch_timeout() -> int:
    return tk.asint(tk.config["ckanext.hhs.fetch_timeout"])


def max_fetch_bytes() -> int:
    return tk.asint(tk.config["ckanext.hhs.max_fetch_bytes"])
