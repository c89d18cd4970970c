"""Typed getters of the glossary's config options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def reviewer_role() -> str:
    return tk.config["ckanext.hhs.glossary.reviewer_role"]


def similar_by_meaning() -> bool:
    return tk.config["ckanext.hhs.glossary.similar_by_meaning"]
