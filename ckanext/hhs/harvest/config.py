"""Typed getters for the harvest feature's options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def withdraw() -> str:
    return tk.config["ckanext.hhs.harvest.withdraw"]
