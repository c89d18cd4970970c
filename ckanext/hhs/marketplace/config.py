"""Typed getters of the marketplace's config options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def max_access_days() -> int:
    return tk.config["ckanext.hhs.marketplace.max_access_days"]


def renewal_notice_days() -> int:
    return tk.config["ckanext.hhs.marketplace.renewal_notice_days"]
