"""Hub edits of a harvested or imported dataset.

A division's catalog is the truth for its records, but some fields are the hub's alone: the Board's
authoritative-source flag, glossary links, data stewards, sensitivity, the marketplace listing title,
the URL name, CKAN's private
flag and the column-to-term mappings of resources. An update that changes only those keeps the source
record (POD record, RDF triples, findings, hash). An update that changes anything else makes the hub
copy the truth: the kept record is dropped and the hash cleared (hhs_source_only), so the dataset is
exported from its fields until the next import or harvest brings the division's record back.

Whether an update changes a source field is decided before writing, on validated data: the stored
dataset and the update are both run through the dataset schema (leniently, as an import writes) and
their source fields compared.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import ckan.lib.plugins as lib_plugins
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import pod, rdf
from ckanext.hhs.context import db_key

HUB_ONLY = {
    "authoritative_source",
    "authoritative_dataset",
    "glossary_terms",
    "data_steward",
    "sensitivity",
    "listing_title",
    "name",
    "private",
}
RESOURCE_HUB_ONLY = {"column_terms"}
# Written by imports and harvests only; an update that keeps the record keeps them as stored.
KEPT = (
    "pod_record",
    rdf.RECORD_FIELD,
    "dcatus3_record",
    "hhs_findings",
    "source_hash",
    "source_keywords",
    "source_catalog",
)


def keep_source_context(context: Context, data_dict: DataDict) -> tuple[Context, DataDict] | None:
    """For an update of a dataset with a kept record: the context and data to write it with (that keep
    the record when only hub-only fields change). None for any other update."""
    if context.get("hhs_import") or context.get("hhs_keep_source"):
        return None
    package = model.Package.get(db_key(data_dict.get("id") or data_dict.get("name")))
    if package is None or package.type != "dataset" or not package.extras.get(pod.RECORD_FIELD):
        return None
    current = _writable(
        tk.get_action("package_show")(
            {"model": model, "session": model.Session, "ignore_auth": True, "for_update": True}, {"id": package.id}
        )
    )
    merged = {**_writable(data_dict), **_kept(package)}
    if "resources" not in data_dict:
        current = {k: v for k, v in current.items() if k != "resources"}
    before = _source_view(_validated(current, package))
    after = _source_view(_validated(merged, package))
    if before is None or after is None or before != after:
        # The hub copy becomes the truth: written as it is, hhs_source_only drops the kept record.
        return context, _writable(data_dict)
    ctx: Context = {**context, "hhs_keep_source": True, "hhs_lenient": True}  # type: ignore[typeddict-unknown-key]
    return ctx, merged


def _kept(package: model.Package) -> dict[str, Any]:
    """What imports wrote, as the database holds it: package_show gives some of it per viewer (a catalog
    file's server path is a sysadmin's; others read its name, which written back would replace it)."""
    kept: dict[str, Any] = {}
    for key in KEPT:
        value = package.extras.get(key)
        if value not in (None, ""):
            kept[key] = json.loads(value) if key == "source_keywords" else value
    return kept


def _writable(data: DataDict) -> DataDict:
    """package_show gives the findings as a list (package_patch passes them on); they are stored as text."""
    if isinstance(data.get("hhs_findings"), list):
        return {**data, "hhs_findings": json.dumps(data["hhs_findings"])}
    return data


def _validated(data: dict[str, Any], package: Any) -> dict[str, Any] | None:
    plugin = lib_plugins.lookup_package_plugin("dataset")
    context: Context = {
        "model": model,
        "session": model.Session,
        "user": "",
        "package": package,
        "hhs_keep_source": True,  # type: ignore[typeddict-unknown-key]
        "hhs_lenient": True,  # type: ignore[typeddict-unknown-key]
    }
    # Hub-only fields are not compared, and their own checks (the Board's flag, approved glossary
    # terms) are the real write's business.
    data = {k: v for k, v in copy.deepcopy(data).items() if k not in HUB_ONLY or k == "name"}
    data["type"] = package.type
    validated, errors = lib_plugins.plugin_validate(
        plugin, context, data, plugin.update_package_schema(), "package_update"
    )
    return None if errors else validated


def _source_view(validated: dict[str, Any] | None) -> dict[str, Any] | None:
    """The source fields of a validated dataset, empty values left out."""
    if validated is None:
        return None
    flat = {**validated, **{e["key"]: e["value"] for e in validated.get("extras") or [] if "key" in e}}
    skip = HUB_ONLY | set(KEPT) | {"extras", "id", "type", "resources", "tags", "tag_string", "state", "revision_id"}
    view = {k: v for k, v in flat.items() if k not in skip and _filled(v)}
    # A set: the edit form sends tag_string and CKAN's view adds the same tags as `tags`; stored once.
    view["tags"] = sorted({t.get("name") for t in validated.get("tags") or []})
    if "resources" in validated:
        view["resources"] = [
            {
                k: v
                for k, v in res.items()
                if k not in RESOURCE_HUB_ONLY and k not in ("id", "package_id", "position") and _filled(v)
            }
            for res in validated["resources"]
        ]
    return view


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {}, tk.missing)
