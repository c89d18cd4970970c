"""The validation of a dataset's tabular resources (CSV, TSV) against the Table Schema they declare:
schemas and data read only through the core's fetch guard (net.py) or the portal's storage, both
size-capped, and validated from memory by Frictionless (which never opens a URL itself) within one
deadline per dataset (bounds.py)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import uploader

from ckanext.hhs import config as core_config
from ckanext.hhs import net, values
from ckanext.hhs.context import site_context

from .. import config
from . import model as qm

log = logging.getLogger(__name__)

TABULAR_FORMATS = {"csv": "csv", "text/csv": "csv", "tsv": "tsv", "text/tab-separated-values": "tsv"}


def tabular_resources(pkg: dict[str, Any]) -> list[tuple[dict[str, Any], str, str]]:
    """(resource, format, schema URL) of each CSV/TSV resource that declares a Table Schema: its own
    schema_url, else a JSON schema the dataset says it conforms to."""
    declared = next(
        (u for u in pkg.get("conforms_to") or [] if isinstance(u, str) and u.lower().endswith(".json")), None
    )
    found = []
    for res in pkg.get("resources") or []:
        kind = TABULAR_FORMATS.get((res.get("format") or "").lower()) or TABULAR_FORMATS.get(
            (res.get("mimetype") or "").lower()
        )
        schema_url = res.get("schema_url") or declared
        if kind and schema_url and res.get("url"):
            found.append((res, kind, schema_url))
    return found


def validate_dataset(package_id: str) -> dict[str, Any]:
    """The job: validate each tabular resource of the dataset against its schema; store the results."""
    pkg = tk.get_action("package_show")(site_context(), {"id": package_id})
    # One deadline for all the dataset's tables: the check of a dataset is bounded, not each table.
    deadline = time.monotonic() + config.validation_timeout()
    results = {
        res["id"]: validate_resource(res, kind, schema_url, deadline)
        for res, kind, schema_url in tabular_resources(pkg)
    }
    row = model.Session.query(qm.QualityDataset).filter_by(package_id=package_id).with_for_update().first()
    if row is None:
        row = qm.QualityDataset(package_id=package_id, owner_org=pkg.get("owner_org"))
        model.Session.add(row)
    row.validation = results
    model.Session.commit()
    return results


_FIELD_KEYS = {
    "name", "type", "format", "constraints", "title", "description", "trueValues", "falseValues",
    "bareNumber", "groupChar", "decimalChar", "missingValues",
}  # fmt: skip
MAX_FIELDS = 1000


def validate_resource(res: dict[str, Any], kind: str, schema_url: str, deadline: float | None = None) -> dict[str, Any]:
    """Validate one resource: {status: valid | invalid | error, errors: [{row, field, message}], ...},
    an error when the validation passes the deadline (time.monotonic(); by default the configured
    validation_timeout from now)."""
    import frictionless as fl  # noqa: PLC0415 (only the validation job needs it)

    from . import bounds  # noqa: PLC0415 (it loads Frictionless and RE2)

    result: dict[str, Any] = {
        "name": res.get("name") or res.get("url", "")[:200],
        "schema_url": schema_url,
        "checked": values.now().isoformat(timespec="seconds"),
        "errors": [],
        "error_count": 0,
    }
    if deadline is None:
        deadline = time.monotonic() + config.validation_timeout()
    out_of_time = {
        **result,
        "status": "error",
        "message": f"Not validated: the check took longer than its time limit of {config.validation_timeout():g} s",
    }
    if time.monotonic() > deadline:
        return out_of_time
    try:
        descriptor = _table_schema(json.loads(net.fetch_bytes(schema_url)))
        patterns = bounds.take_patterns(descriptor["fields"])
        schema = fl.Schema.from_descriptor(descriptor)
    except net.FetchError as e:
        log.info("Schema %s of resource %s not read: %s", schema_url, res["id"], e.detail)
        return {**result, "status": "error", "message": f"The schema could not be read: {e.public}"}
    except (ValueError, fl.FrictionlessException) as e:
        return {**result, "status": "error", "message": f"The schema is not a Table Schema: {str(e)[:300]}"}
    try:
        data = _resource_bytes(res)
    except net.FetchError as e:
        log.info("Resource %s not read: %s", res["id"], e.detail)
        return {**result, "status": "error", "message": f"The data could not be read: {e.public}"}
    options: dict[str, Any] = {"format": "csv", "schema": schema}
    if kind == "tsv":
        options["dialect"] = fl.Dialect(controls=[fl.formats.CsvControl(delimiter="\t")])
    limit = config.validation_max_errors()
    try:
        report = fl.Resource(data, **options).validate(
            fl.Checklist(checks=[bounds.Bounds(patterns, deadline)]),
            limit_errors=limit,
            limit_rows=config.validation_max_rows(),
        )
    except fl.FrictionlessException as e:
        return {**result, "status": "error", "message": f"The data could not be parsed: {str(e)[:300]}"}
    except bounds.OutOfTime:
        log.warning("Validation of resource %s stopped at its time limit", res["id"])
        return out_of_time
    errors = [
        {"row": row, "field": field, "message": message}
        for row, field, message in report.flatten(["rowNumber", "fieldName", "message"])
    ]
    task = report.tasks[0] if report.tasks else None
    return {
        **result,
        "status": "valid" if report.valid else "invalid",
        "errors": errors[:limit],
        "error_count": len(errors),
        "capped": len(errors) >= limit,
        "rows": (task.stats.get("rows") if task else None),
    }


def _table_schema(descriptor: Any) -> dict[str, Any]:
    """Only what describes columns: no references Frictionless could follow (foreign keys, profiles)."""
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("fields"), list) or not descriptor["fields"]:
        raise ValueError("it has no list of fields")
    if len(descriptor["fields"]) > MAX_FIELDS:
        raise ValueError(f"it has more than {MAX_FIELDS} fields")
    fields = [{k: v for k, v in f.items() if k in _FIELD_KEYS} for f in descriptor["fields"] if isinstance(f, dict)]
    clean: dict[str, Any] = {"fields": fields}
    for key in ("missingValues", "primaryKey"):
        if key in descriptor:
            clean[key] = descriptor[key]
    return clean


def _resource_bytes(res: dict[str, Any]) -> bytes:
    """An upload from the portal's storage, anything else through the fetch guard, both size-capped."""
    if res.get("url_type") == "upload":
        path = uploader.get_resource_uploader(res).get_path(res["id"])
        limit = core_config.max_fetch_bytes()
        with open(path, "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise net.FetchError(f"{path} is larger than {limit} bytes", "The file is too large")
        return data
    return net.fetch_bytes(res["url"])
