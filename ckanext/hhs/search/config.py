"""Typed getters of the search options (declared in config_declaration.yaml)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def enabled() -> bool:
    return tk.config["ckanext.hhs.search.enabled"]


def vector_field() -> str:
    return tk.config["ckanext.hhs.search.vector_field"]


def top_k() -> int:
    return tk.config["ckanext.hhs.search.top_k"]


def min_similarity() -> float:
    return float(tk.config["ckanext.hhs.search.min_similarity"])  # CKAN declares no float type


def weight() -> float:
    return float(tk.config["ckanext.hhs.search.weight"])


def glossary() -> bool:
    return tk.config["ckanext.hhs.search.glossary"]
