"""Import a Project Open Data v1.1 catalog into one division, losing nothing.

A new record creates one dataset; a changed one (by content hash) updates the same dataset in place;
an unchanged one is skipped; one gone from the source is withdrawn; a repeated identifier is reported,
not doubled. A record that fails the POD schema or the HHS schema is reported with its identifier,
path and message, and the others still go through. Used by `ckan hhs import-catalog` and the
`hhs_datajson` harvester.
"""
from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import aliased

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.munge import munge_title_to_name
from ckan.types import Context

from ckanext.hhs import net, pod
from ckanext.hhs.context import fresh

MAX_RECORD_BYTES = 1_000_000


class CatalogError(Exception):
    """The catalog as a whole cannot be imported (not JSON, not a POD catalog, unreachable)."""


@dataclasses.dataclass
class Report:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    withdrawn: list[str] = dataclasses.field(default_factory=list)
    failed: list[dict[str, str]] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {k: len(v) for k, v in dataclasses.asdict(self).items()}

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "summary": self.summary()}


def source_key(source: str) -> str:
    """How a source is recorded on its datasets: the URL, or the absolute path of a file."""
    return source if source.startswith(("http://", "https://")) else os.path.abspath(source)


def load_catalog(source: str) -> dict[str, Any]:
    """Read a catalog from a path or an http(s) URL and check it is a POD v1.1 catalog."""
    if source.startswith(("http://", "https://")):
        try:
            raw = net.fetch_bytes(source)
        except net.FetchError as e:
            raise CatalogError(str(e)) from e
    else:
        try:
            with open(os.path.abspath(source), "rb") as f:
                raw = f.read()
        except OSError as e:
            raise CatalogError(f"Cannot read {source}: {e.strerror}") from e
    try:
        catalog = json.loads(raw)
    except ValueError as e:
        raise CatalogError(f"{source} is not JSON: {e}") from e
    if not isinstance(catalog, dict) or not isinstance(catalog.get("dataset"), list):
        raise CatalogError(f"{source} is not a Project Open Data catalog: no 'dataset' array")
    # The catalog's own keys must be right; record errors are reported per record below.
    errors = pod.schema_errors("catalog.json", {**catalog, "dataset": []})
    if errors:
        path, message = errors[0]
        raise CatalogError(f"{source} fails the POD v1.1 catalog schema at {path}: {message}")
    return catalog


def record_errors(record: Any) -> list[tuple[str, str]]:
    """(path, message) for each way the record fails the POD v1.1 dataset schema."""
    if not isinstance(record, dict):
        return [("$", "a dataset record must be a JSON object")]
    size = len(json.dumps(record))
    if size > MAX_RECORD_BYTES:
        return [("$", f"record is {size} bytes; the limit is {MAX_RECORD_BYTES}")]
    return pod.schema_errors("dataset.json", record)[:10]


def _existing(org_id: str) -> dict[str, dict[str, Any]]:
    """identifier -> {id, name, hash, source, withdrawn} of the division's active datasets.

    A record is matched by identifier within its division, whatever source brought it, so two
    sources (or a path and a URL of the same catalog) never double a dataset."""
    ident, src, digest, gone = (aliased(model.PackageExtra) for _ in range(4))
    rows = (
        model.Session.query(model.Package.id, model.Package.name, ident.value, digest.value, src.value, gone.value)
        .join(ident, (ident.package_id == model.Package.id) & (ident.key == "identifier"))
        .outerjoin(src, (src.package_id == model.Package.id) & (src.key == "source_catalog"))
        .outerjoin(digest, (digest.package_id == model.Package.id) & (digest.key == "source_hash"))
        .outerjoin(gone, (gone.package_id == model.Package.id) & (gone.key == "source_withdrawn"))
        .filter(model.Package.owner_org == org_id, model.Package.state == "active")
    )
    return {
        identifier: {"id": pid, "name": name, "hash": h or "", "source": s or "", "withdrawn": tk.asbool(w or False)}
        for pid, name, identifier, h, s, w in rows
    }


def _unique_name(title: str, taken: set[str]) -> str:
    base = munge_title_to_name(title)[:90].strip("-") or "dataset"
    name, n = base, 1
    while name in taken or model.Package.get(name) is not None:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def import_catalog(
    context: Context,
    catalog: dict[str, Any],
    division: str,
    source: str,
    withdraw: str = "delete",
    progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> Report:
    """Bring one division's datasets in step with `catalog`; `source` names it for next time.

    `force` updates unchanged records too (after the schema or the mapping changed)."""
    source = source_key(source)
    org = tk.get_action("organization_show")(fresh(context), {"id": division, "include_datasets": False})
    existing = _existing(org["id"])
    report = Report()
    seen: set[str] = set()
    taken: set[str] = set()
    for index, record in enumerate(catalog["dataset"]):
        identifier = record.get("identifier") if isinstance(record, dict) else None
        label = str(identifier or f"dataset[{index}]")
        problems = record_errors(record)
        if not problems and identifier in seen:
            problems = [("$.identifier", f"identifier {identifier!r} appears more than once in the source; "
                                         "only the first record was imported")]
        if problems:
            report.failed.extend(
                {"identifier": label, "path": f"dataset[{index}]{p[1:]}", "message": m} for p, m in problems
            )
            if identifier:
                seen.add(identifier)
            _tick(progress)
            continue
        seen.add(identifier)
        digest = pod.record_hash(record)
        current = existing.get(identifier)
        if current and current["hash"] == digest and not current["withdrawn"] and not force:
            report.unchanged.append(identifier)
            _tick(progress)
            continue
        pkg = pod.to_dataset(record)
        pkg.update(owner_org=org["id"], source_catalog=source, source_hash=digest)
        try:
            if current:
                pkg.update(id=current["id"], name=current["name"])
                tk.get_action("package_update")(fresh(context), pkg)
                report.updated.append(identifier)
            else:
                pkg["name"] = _unique_name(pkg.get("title") or identifier, taken)
                tk.get_action("package_create")(fresh(context), pkg)
                report.created.append(identifier)
        except tk.ValidationError as e:
            model.Session.rollback()
            report.failed.extend(
                {"identifier": label, "path": f"dataset[{index}].{field}", "message": "; ".join(map(str, msgs))}
                for field, msgs in _flatten_errors(e.error_dict)
            )
        _tick(progress)

    for identifier, current in existing.items():
        # Only what this source brought is withdrawn; datasets made by hand stay.
        if identifier in seen or current["withdrawn"] or current["source"] != source:
            continue
        if withdraw == "delete":
            tk.get_action("package_delete")(fresh(context), {"id": current["id"]})
        else:
            # Kept, marked; an empty hash makes the record update in place if it comes back.
            tk.get_action("package_patch")(
                fresh(context), {"id": current["id"], "source_withdrawn": True, "source_hash": ""}
            )
        report.withdrawn.append(identifier)
    return report


def _tick(progress: Callable[[int], None] | None) -> None:
    if progress:
        progress(1)


def _flatten_errors(errors: Any, prefix: str = "") -> list[tuple[str, list[Any]]]:
    out: list[tuple[str, list[Any]]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            out.extend(_flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list) and errors and all(isinstance(v, str) for v in errors):
        out.append((prefix, errors))
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            if value:
                out.extend(_flatten_errors(value, f"{prefix}[{i}]"))
    return out
