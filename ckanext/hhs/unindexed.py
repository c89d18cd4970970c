"""Dataset fields kept in the database only, never in the search index.

Search answers everyone from the index: ``fl`` returns any stored field (``data_dict`` and
``validated_data_dict`` included) and ``q``/``fq`` probe any indexed one (``authoritative_dataset:ab*``
told a private dataset's id one character at a time). A field that may name a private dataset is
therefore left out of the indexed document, and package_show puts it back from the database, for each
viewer only what they may see (the marketplace's component datasets, the Board's authoritative link)."""

from __future__ import annotations

import json
from typing import Any

import ckan.model as model


def without(pkg_dict: dict[str, Any], field: str) -> dict[str, Any]:
    """The dict without the field: as a key, as the index's ``extras_<field>``, in an extras list, and in
    the dicts stored inside it as JSON text."""
    pkg_dict.pop(field, None)
    pkg_dict.pop(f"extras_{field}", None)
    if isinstance(pkg_dict.get("extras"), list):
        pkg_dict["extras"] = [e for e in pkg_dict["extras"] if not (isinstance(e, dict) and e.get("key") == field)]
    for key in ("validated_data_dict", "data_dict"):
        if isinstance(pkg_dict.get(key), str):
            try:
                nested = json.loads(pkg_dict[key])
            except ValueError:
                continue
            if isinstance(nested, dict):
                pkg_dict[key] = json.dumps(without(nested, field))
    return pkg_dict


def stored(package_id: str, field: str) -> str | None:
    """The field's value as the database holds it (an active extra), or None."""
    return (
        model.Session.query(model.PackageExtra.value)
        .filter(
            model.PackageExtra.package_id == package_id,
            model.PackageExtra.key == field,
            model.PackageExtra.state == "active",
        )
        .scalar()
    )
