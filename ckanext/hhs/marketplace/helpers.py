"""Template helpers of the marketplace."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from . import config

__all__ = [
    "hhs_marketplace_dataset_label",
    "hhs_marketplace_default_days",
    "hhs_marketplace_facet_url",
    "hhs_marketplace_glossary_url",
    "hhs_marketplace_grants",
    "hhs_marketplace_label",
    "hhs_marketplace_status_label",
]

_STATUS = {
    "draft": "Draft",
    "active": "Active",
    "deprecated": "Deprecated",
    "retired": "Retired",
    "submitted": "Submitted",
    "info_requested": "Information requested",
    "awaiting_second": "Awaiting second approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
    "open": "Open",
    "closed": "Closed",
}


def hhs_marketplace_status_label(status: str | None) -> str:
    return tk._(_STATUS.get(status or "draft", status or ""))


def hhs_marketplace_label(field: str, value: Any) -> str:
    """The label the data-product schema gives a choice value (the value itself if it has none)."""
    if field == "product_status":
        return hhs_marketplace_status_label(value)
    if field == "organization":
        org = model.Group.get(value)
        return org.title if org is not None and org.title else str(value)
    if field == "vocab_glossary_terms":
        return _term_label(value)
    if field.startswith("vocab_"):
        return tk.h.hhs_facet_label(field, {"name": value})
    schema = tk.h.scheming_get_dataset_schema("data-product") or {}
    for f in schema.get("dataset_fields", []):
        if f["field_name"] == field and f.get("choices"):
            for choice in f["choices"]:
                if choice["value"] == value:
                    return tk._(choice["label"])
    return str(value or "")


def _term_label(slug: str) -> str:
    try:
        return tk.get_action("hhs_glossary_term_show")({"ignore_auth": True}, {"id": slug})["label"]
    except (KeyError, tk.ObjectNotFound):  # the glossary is off, or the term is gone
        return slug


def hhs_marketplace_facet_url(key: str, value: str) -> str:
    """The marketplace search with one more facet value selected."""
    args = tk.request.args.to_dict(flat=False)
    args.pop("page", None)
    values = args.setdefault(key, [])
    if value not in values:
        values.append(value)
    return tk.h.url_for("hhs_marketplace.index", **args)


def hhs_marketplace_glossary_url(slug: str) -> str | None:
    if not p.plugin_loaded("hhs_glossary"):
        return None
    return tk.h.url_for("hhs_glossary.read", slug=slug)


def hhs_marketplace_default_days() -> int:
    return config.max_access_days()


def hhs_marketplace_grants(dataset: str | None = None, product: str | None = None) -> list[dict[str, Any]]:
    """The logged-in user's live grants on a dataset or from a product (hhs_marketplace_grant_list)."""
    # An anonymous visitor is a flask-login AnonymousUser here, with no name.
    if not getattr(tk.current_user, "is_authenticated", False):
        return []
    data = {k: v for k, v in (("dataset", dataset), ("product", product)) if v}
    return tk.get_action("hhs_marketplace_grant_list")({"user": tk.current_user.name, "ignore_auth": False}, data)


def hhs_marketplace_dataset_label(field_name: str, value: str | None) -> str:
    """The label the dataset schema gives a choice value (access level, PHI class), else the value."""
    schema = tk.h.scheming_get_dataset_schema("dataset") or {}
    for field in schema.get("dataset_fields", []):
        if field["field_name"] == field_name:
            return tk.h.scheming_choices_label(tk.h.scheming_field_choices(field), value) or str(value or "")
    return str(value or "")
