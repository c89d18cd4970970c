"""Template helpers of the core plugin; the `*_choices` ones feed scheming's `choices_helper`."""

from __future__ import annotations

from typing import Any

import ckan.model as model

from . import completeness, vocab

__all__ = [
    "hhs_access_level_choices",
    "hhs_bureau_code_choices",
    "hhs_coding_system_choices",
    "hhs_completeness",
    "hhs_division_choices",
    "hhs_division_kind_choices",
    "hhs_health_theme_choices",
    "hhs_legal_basis_choices",
    "hhs_phi_class_choices",
    "hhs_resource_kind_choices",
    "hhs_sensitivity_choices",
    "hhs_table_format_choices",
]


def hhs_access_level_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.ACCESS_LEVELS)


def hhs_phi_class_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.PHI_CLASSES)


def hhs_sensitivity_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.SENSITIVITY)


def hhs_coding_system_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.coding_systems())


def hhs_legal_basis_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.LEGAL_BASES)


def hhs_health_theme_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.HEALTH_THEMES)


def hhs_resource_kind_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.RESOURCE_KINDS)


def hhs_table_format_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.TABLE_FORMATS)


def hhs_division_kind_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.DIVISION_KINDS)


def hhs_bureau_code_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return [{"value": b.code, "label": f"{b.code} {b.name}"} for b in vocab.hhs_bureaus()]


def hhs_division_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    # organization_list caps all_fields at 25 rows; divisions are more.
    rows = (
        model.Session.query(model.Group.name, model.Group.title)
        .filter(model.Group.is_organization, model.Group.state == "active")
        .order_by(model.Group.title)
    )
    return [{"value": "", "label": ""}] + [{"value": name, "label": title} for name, title in rows]


def hhs_completeness(pkg_dict: dict[str, Any]) -> completeness.Score:
    return completeness.score(pkg_dict)
