"""Import a Project Open Data v1.1 catalog into one division, losing nothing.

A new record creates one dataset; a changed one (by content hash) updates the same dataset in place;
an unchanged one is skipped; one gone from the source is withdrawn; a repeated identifier is reported,
not doubled. Used by `ckan hhs import-catalog`, the `hhs_catalog_import` job and the `hhs_datajson`
harvester.

Two gates: a record that fails the official POD v1.1 schema is reported (identifier, path, message)
and the others still go through. A POD-valid record is kept: what the HHS rules beyond POD say about
it becomes findings stored with the dataset and counted as warnings (unless the source is strict,
when they refuse the record as they refuse a dataset authored in the hub). Each record is written in
its own transaction; whatever happens to one, the others and the report are still written.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.munge import munge_title_to_name
from ckan.types import Context

from ckanext.hhs import config, dcatus3, net, pod
from ckanext.hhs.context import fresh
from ckanext.hhs.logic import validators

log = logging.getLogger(__name__)

MAX_RECORD_BYTES = 1_000_000
# The standards a catalog may follow (`standard`): each record is checked and kept in its own.
POD = "pod"
DCATUS3 = "dcatus3"
# Names CKAN keeps for its own pages (ckan.logic.validators.name_validator) or ours.
RESERVED_NAMES = {"new", "edit", "search", "history", "changes", "activity", "groups", "resource", "collaborators"}
# Fields an import may leave empty when CKAN cannot hold a value; the record keeps it all the same.
_ESSENTIAL = {"title", "notes", "name", "owner_org", "access_level", "identifier", "id"}


class CatalogError(Exception):
    """The catalog as a whole cannot be imported (not JSON, not a POD catalog, unreachable).

    `str()` is the detail for logs and sysadmins; `public` says no more than a caller may know."""

    def __init__(self, detail: str, public: str | None = None):
        super().__init__(detail)
        self.public = public or detail


@dataclasses.dataclass
class Report:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    withdrawn: list[str] = dataclasses.field(default_factory=list)
    failed: list[dict[str, str]] = dataclasses.field(default_factory=list)
    # Kept records that break HHS rules beyond POD, or whose text had to be repaired.
    warnings: list[dict[str, str]] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {k: len(v) for k, v in dataclasses.asdict(self).items()}

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "summary": self.summary()}


def source_key(source: str) -> str:
    """How a source is recorded on its datasets: the URL, or the absolute path of a file."""
    return source if source.startswith(("http://", "https://")) else os.path.abspath(source)


def source_label(source: str) -> str:
    """A source as shown to anyone but sysadmins: a URL as it is, a file on the server by its name only
    (its path says where the portal's code and data live)."""
    if not source or source.startswith(("http://", "https://")):
        return source
    return tk._("{name} (file)").format(name=os.path.basename(source) or "?")


def hide_source_path(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The dict with `source_catalog` shown as `source_label` wherever it is: the key, the index's
    ``extras_source_catalog``, an extras list, and the JSON text of a search result's stored dicts."""
    for key in ("source_catalog", "extras_source_catalog"):
        if isinstance(pkg_dict.get(key), str):
            pkg_dict[key] = source_label(pkg_dict[key])
    for extra in pkg_dict.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key") == "source_catalog" and isinstance(extra.get("value"), str):
            extra["value"] = source_label(extra["value"])
    for key in ("validated_data_dict", "data_dict"):
        if isinstance(pkg_dict.get(key), str) and "source_catalog" in pkg_dict[key]:
            try:
                nested = json.loads(pkg_dict[key])
            except ValueError:
                continue
            if isinstance(nested, dict):
                pkg_dict[key] = json.dumps(hide_source_path(nested))
    return pkg_dict


def load_catalog(source: str, allow_path: bool = False) -> dict[str, Any]:
    """Read a catalog from an http(s) URL (through the fetch guard), or from a path on the server
    when `allow_path` (the sysadmin's CLI and imports), and check it is a POD v1.1 catalog."""
    if source.startswith(("http://", "https://")):
        try:
            raw = net.fetch_bytes(source)
        except net.FetchError as e:
            raise CatalogError(e.detail, e.public) from e
    elif not allow_path:
        raise CatalogError(f"Only http(s) URLs can be harvested, not {source[:200]!r}")
    else:
        try:
            with open(os.path.abspath(source), "rb") as f:
                raw = f.read(config.max_fetch_bytes() + 1)
        except OSError as e:
            raise CatalogError(f"Cannot read {source}: {e.strerror}") from e
        except ValueError as e:  # a NUL in the path
            raise CatalogError(f"Cannot read {source!r}: {e}") from e
        if len(raw) > config.max_fetch_bytes():
            raise CatalogError(f"{source} is larger than {config.max_fetch_bytes()} bytes, the limit for a catalog")
    try:
        try:
            catalog = json.loads(raw)
        except UnicodeDecodeError:
            # Bytes that are not UTF-8 become lone surrogates here, which plan() replaces with U+FFFD
            # and reports by JSON path, as it does the escapes of lone surrogates.
            catalog = json.loads(raw.decode("utf-8", "surrogateescape"))
    except ValueError as e:
        raise CatalogError(f"{source} is not JSON: {e}") from e
    except RecursionError as e:
        raise CatalogError(f"{source} nests its JSON too deeply to be a catalog") from e
    if not isinstance(catalog, dict) or not isinstance(catalog.get("dataset"), list):
        raise CatalogError(f"{source} is neither a POD v1.1 nor a DCAT-US 3.0 catalog: no 'dataset' array")
    # The lists of records (datasets; a DCAT-US 3.0 catalog's data services, catalog records and
    # related catalogs too) are checked, repaired and refused one record at a time in plan().
    lists = ["dataset"]
    if dcatus3.is_catalog(catalog):
        lists += [key for key in dcatus3.RECORD_LISTS if isinstance(catalog.get(key), list)]
    own = {k: v for k, v in catalog.items() if k not in lists}
    # The catalog's own keys as a whole.
    if pod.depth(own) > pod.MAX_DEPTH:
        raise CatalogError(f"{source} nests its JSON deeper than {pod.MAX_DEPTH} levels, the limit for a catalog")
    head, _fixed = pod.clean_text(own)
    catalog = {**head, **{key: catalog[key] for key in lists}}
    # The catalog's own keys must be right; record errors are reported per record below.
    if dcatus3.is_catalog(catalog):
        errors = dcatus3.schema_errors({**head, "dataset": []}, "catalog")
        if errors:
            path, message = errors[0]
            raise CatalogError(f"{source} fails the DCAT-US 3.0 Catalog definition at {path}: {message}")
        return catalog
    errors = pod.schema_errors("catalog.json", {**catalog, "dataset": []})
    if errors:
        path, message = errors[0]
        raise CatalogError(f"{source} fails the POD v1.1 catalog schema at {path}: {message}")
    return catalog


def standard(catalog: dict[str, Any]) -> str:
    """Which standard a loaded catalog follows: POD v1.1, or DCAT-US 3.0 (told from the document)."""
    return DCATUS3 if dcatus3.is_catalog(catalog) else POD


def record_errors(record: Any, kind: str = POD, definition: str = "dataset") -> list[tuple[str, str]]:
    """(path, message) for each way the record fails the POD v1.1 dataset schema, or for a DCAT-US 3.0
    record the official `definition` (dataset, dataservice, ...)."""
    if not isinstance(record, dict):
        return [("$", f"a {definition} record must be a JSON object")]
    size = len(json.dumps(record))
    if size > MAX_RECORD_BYTES:
        return [("$", f"record is {size} bytes; the limit is {MAX_RECORD_BYTES}")]
    if kind == DCATUS3:
        return dcatus3.schema_errors(record, definition)[:10]
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


def unique_name(title: str, taken: set[str]) -> str:
    """A URL name for a new dataset from its title: never one CKAN reserves, never one in use."""
    base = munge_title_to_name(title)[:90].strip("-_")
    if len(base) < 2:
        base = f"dataset-{base}".strip("-")
    if base in RESERVED_NAMES:
        base = f"{base}-dataset"
    name, n = base, 1
    while name in taken or _in_use(name):
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def _in_use(name: str) -> bool:
    """Whether a dataset of any state has this name or id: what `model.Package.get(name)` finds, in one
    query (it asks by id, then by name: two round trips per new dataset)."""
    found = model.Session.query(model.Package.id).filter(sa.or_(model.Package.id == name, model.Package.name == name))
    return found.first() is not None


@dataclasses.dataclass
class Step:
    """What one source record asks of its division: create, update, unchanged or failed."""

    kind: str
    identifier: str
    record: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    failures: list[dict[str, str]] = dataclasses.field(default_factory=list)
    # {identifier, path, message, rule}: text repaired in plan(), HHS findings added by apply().
    warnings: list[dict[str, str]] = dataclasses.field(default_factory=list)
    index: int = 0
    # The standard of `record`: a DCAT-US 3.0 record is kept as it came and its POD record derived.
    standard: str = POD
    # The catalog's list the record is in: `dataset`, or a DCAT-US 3.0 catalog's `service`, ... (checked only).
    part: str = "dataset"


@dataclasses.dataclass
class Plan:
    steps: list[Step]
    withdraw: dict[str, dict[str, Any]]  # identifier -> existing dataset gone from the source


def plan(catalog: dict[str, Any], org_id: str, source: str, force: bool = False) -> Plan:
    """Compare `catalog` with the division's datasets, reading nothing but the database once.

    `force` updates unchanged records too (after the schema or the mapping changed)."""
    existing = _existing(org_id)
    followed = standard(catalog)
    steps: list[Step] = []
    seen: set[str] = set()
    for index, raw in enumerate(catalog["dataset"]):
        if pod.depth(raw) > pod.MAX_DEPTH:  # before anything walks it (clean_text and the schema recurse)
            steps.append(_too_deep(raw, index))
            seen.add(steps[-1].identifier)  # its dataset, if any, is not withdrawn for it
            continue
        record, repaired = pod.clean_text(raw, f"dataset[{index}]")
        identifier = record.get("identifier") if isinstance(record, dict) else None
        if followed == DCATUS3 and isinstance(record, dict):
            identifier = dcatus3.record_identifier(record)
        label = str(identifier or f"dataset[{index}]")
        warnings = [
            {
                "identifier": label,
                "path": path,
                "message": "characters that cannot be stored (NUL, lone UTF-16 surrogates) replaced with U+FFFD",
                "rule": validators.RULE_TEXT_REPLACED,
            }
            for path in repaired
        ]
        problems = record_errors(record, followed)
        if not problems and identifier in seen:
            problems = [
                (
                    "$.identifier",
                    f"identifier {identifier!r} appears more than once in the source; "
                    "only the first record was imported",
                )
            ]
        if isinstance(identifier, str):
            seen.add(identifier)
        if problems:
            failures = [{"identifier": label, "path": f"dataset[{index}]{p[1:]}", "message": m} for p, m in problems]
            steps.append(Step("failed", label, failures=failures, index=index))
            continue
        current = existing.get(identifier)
        unchanged = current and current["hash"] == pod.record_hash(record) and not current["withdrawn"]
        step_kind = "unchanged" if unchanged and not force else "update" if current else "create"
        steps.append(Step(step_kind, identifier, record, current, warnings=warnings, index=index, standard=followed))
    if followed == DCATUS3:
        steps += _other_records(catalog)
    # Only what this source brought is withdrawn; datasets made by hand or by other sources stay.
    gone = {i: c for i, c in existing.items() if i not in seen and not c["withdrawn"] and c["source"] == source}
    return Plan(steps, gone)


def _other_records(catalog: dict[str, Any]) -> list[Step]:
    """A DCAT-US 3.0 catalog's data services, catalog records and related catalogs, each checked
    alone by its own official definition: a refused one is a failed step naming its path, and
    refuses nothing else. The hub keeps none of them as a dataset (a data service is kept where a
    dataset's distribution names it as its accessService)."""
    steps = []
    for part, definition in dcatus3.RECORD_LISTS.items():
        items = catalog.get(part)
        for index, raw in enumerate(items if isinstance(items, list) else []):
            where = f"{part}[{index}]"
            label = dcatus3.record_label(raw) or where
            if pod.depth(raw) > pod.MAX_DEPTH:
                problems = [("$", f"the record nests deeper than {pod.MAX_DEPTH} levels, the limit for a record")]
            else:
                problems = record_errors(pod.clean_text(raw, where)[0], DCATUS3, definition)
            if problems:
                failures = [{"identifier": label, "path": f"{where}{p[1:]}", "message": m} for p, m in problems]
                steps.append(Step("failed", label, failures=failures, index=index, standard=DCATUS3, part=part))
    return steps


def _too_deep(raw: Any, index: int) -> Step:
    identifier = raw.get("identifier") if isinstance(raw, dict) else None
    label = identifier if isinstance(identifier, str) else f"dataset[{index}]"
    message = f"the record nests deeper than {pod.MAX_DEPTH} levels, the limit for a record"
    return Step(
        "failed", label, failures=[{"identifier": label, "path": f"dataset[{index}]", "message": message}], index=index
    )


def record_findings(record: dict[str, Any], pkg: dict[str, Any]) -> list[dict[str, str]]:
    """The HHS findings of a POD record mapped to `pkg`, each with the record's JSON path."""
    keywords = record.get("keyword") if pkg.get("source_keywords") is not None else None
    return [
        {"path": pod.pod_path(f["field"]), "field": f["field"], "rule": f["rule"], "message": f["message"]}
        for f in validators.findings(pkg, keywords)
    ]


def apply(
    context: Context,
    org_id: str,
    step: Step,
    source: str,
    taken: set[str] | None = None,
    new_id: str | None = None,
    strict: bool = False,
    before_write: Callable[[str], None] | None = None,
) -> tuple[str, str]:
    """Create or update the dataset of one planned record; returns (``created`` or ``updated``, its id).

    The record passed the POD schema. Unless `strict`, what the HHS rules beyond POD say about it is
    stored with the dataset as findings (and added to ``step.warnings``), and a value a CKAN field
    refuses is left out of that field (the kept source record still has it). `before_write` runs
    before each attempt (a refused attempt rolls the session back), given the id written. Raises
    RecordError naming each field refused; nothing of the record is written then.

    Two writers of one division and identifier (an import and a harvest of one catalog at once) meet
    at a lock: the second finds the dataset the first created and updates it, never a second one."""
    assert step.record is not None
    pkg, findings = _mapped(step, org_id, strict)
    pkg.update(owner_org=org_id, source_catalog=source, source_hash=pod.record_hash(step.record))
    ctx: Context = {**fresh(context), "return_id_only": True, "hhs_import": True, "hhs_lenient": not strict}
    taken = taken if taken is not None else set()
    if step.current:
        pkg.update(id=step.current["id"], name=step.current["name"])
    else:
        pkg["name"] = unique_name(pkg.get("title") or step.identifier, taken)
        if new_id:
            pkg["id"] = new_id
    renamed = left_out = False  # each retry at most once
    while True:
        if not step.current and (found := lock_identifier(org_id, step.identifier)):
            # Another writer created it since plan() read the division: this record updates that one.
            step.current = found
            pkg.update(id=found["id"], name=found["name"])
        if findings:
            pkg["hhs_findings"] = json.dumps([{k: f[k] for k in ("path", "rule", "message")} for f in findings])
        if before_write:
            before_write(pkg.get("id") or "")
        try:
            result = _write(ctx, pkg, update=bool(step.current))
        except (tk.ValidationError, sa.exc.IntegrityError) as e:
            model.Session.rollback()
            if not step.current and not renamed and _name_taken(e):
                # Another import (or a user) took the name between unique_name and the write: next free one.
                pkg["name"], renamed = unique_name(pkg.get("title") or step.identifier, taken), True
                continue
            if isinstance(e, sa.exc.IntegrityError):
                raise
            refused = flatten_errors(e.error_dict)
            if strict or left_out or not leave_out(pkg, refused, findings):
                raise RecordError(
                    [
                        {"identifier": step.identifier, "path": field, "message": "; ".join(map(str, msgs))}
                        for field, msgs in refused
                    ]
                ) from e
            left_out = True
            continue
        step.warnings.extend(
            {
                "identifier": step.identifier,
                "path": f"dataset[{step.index}]{f['path'][1:]}",
                "message": f["message"],
                "rule": f["rule"],
            }
            for f in findings
        )
        return result


def _mapped(step: Step, org_id: str, strict: bool) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The dataset of a planned record and its findings (none of the HHS rules' when `strict`).

    A DCAT-US 3.0 record is kept as it came beside the POD record derived from it; what the
    derivation had to supply is a finding whatever the source's strictness (it refuses nothing)."""
    assert step.record is not None
    if step.standard != DCATUS3:
        pkg = pod.to_dataset(step.record)
        return pkg, [] if strict else record_findings(step.record, pkg)
    division = tk.get_action("organization_show")({"ignore_auth": True}, {"id": org_id, "include_datasets": False})
    record, derived = dcatus3.to_pod_record(step.record, division)
    pkg = pod.to_dataset(record)
    pkg[dcatus3.RECORD_FIELD] = json.dumps(step.record, ensure_ascii=False, separators=(",", ":"))
    findings = [] if strict else record_findings(record, pkg)
    return pkg, [{"field": "", **note} for note in derived] + [
        {**f, "path": dcatus3.record_path(f["path"])} for f in findings
    ]


# pg_advisory_xact_lock's first key: this lock's namespace ("HHS1"), the second is the identifier's hash.
_IDENTIFIER_LOCK = 0x48485331


def lock_identifier(org_id: str, identifier: str) -> dict[str, Any] | None:
    """Lock one division + identifier until the transaction ends, and return the division's active
    dataset of that identifier, if one exists now ({id, name}).

    Every writer of harvested or imported records takes this lock before it looks, so of two writers
    of the same record the second sees what the first committed (PostgreSQL's READ COMMITTED reads
    what was committed before each statement)."""
    model.Session.execute(
        sa.text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
        {"space": _IDENTIFIER_LOCK, "key": f"{org_id}\x1f{identifier}"},
    )
    ident = aliased(model.PackageExtra)
    row = (
        model.Session.query(model.Package.id, model.Package.name)
        .join(ident, (ident.package_id == model.Package.id) & (ident.key == "identifier"))
        .filter(model.Package.owner_org == org_id, model.Package.state == "active", ident.value == identifier)
        .first()
    )
    return {"id": row[0], "name": row[1]} if row else None


def _name_taken(error: Exception) -> bool:
    """The write failed only because the dataset's URL name is in use (CKAN's check, or the database's
    unique key when two writers passed that check at once)."""
    if isinstance(error, sa.exc.IntegrityError):
        return getattr(getattr(error.orig, "diag", None), "constraint_name", None) == "package_name_key"
    assert isinstance(error, tk.ValidationError)
    return set(error.error_dict) == {"name"}


def _write(ctx: Context, pkg: dict[str, Any], update: bool) -> tuple[str, str]:
    if update:
        return "updated", tk.get_action("package_update")(dict(ctx), pkg)
    package_id = tk.get_action("package_create")({**ctx, "defer_commit": True}, pkg)
    _commit_indexing_once(package_id)
    return "created", package_id


def leave_out(pkg: dict[str, Any], refused: list[tuple[str, list[Any]]], findings: list[dict[str, str]]) -> bool:
    """Leave the values CKAN refused out of their fields (the kept record still has them), each
    said as a finding; False when a refused field is one the dataset cannot do without."""
    for field, msgs in refused:
        match = re.match(r"^resources\[(\d+)\]\.(\w+)", field)
        top = field.split(".")[0].split("[")[0]
        if match:
            index, name = int(match.group(1)), match.group(2)
            resources = pkg.get("resources") or []
            if index >= len(resources) or name not in resources[index] or name == "url":
                return False
            resources[index].pop(name)
        elif top in _ESSENTIAL or top not in pkg:
            return False
        else:
            pkg.pop(top)
        message = "; ".join(map(str, msgs)) + " (kept in the source record, left out of the hub's field)"
        findings.append(
            {"path": pod.pod_path(field), "field": field, "rule": validators.RULE_FIELD, "message": message}
        )
    return True


# The rows a new dataset brings with it, each of which names the dataset as its related package.
_OWN_ROWS = (model.Resource, model.PackageTag, model.PackageExtra, model.Member)


def _commit_indexing_once(package_id: str) -> None:
    """Commit a dataset just created so that it is indexed once, not twice.

    In CKAN 2.11 the commit that creates a dataset indexes it as "new", then again as "changed",
    because each of its new resources, tags, extras and its membership names it as a related package
    (ckan/model/modification.py does not leave out packages that are new): about a quarter of the cost
    of each new dataset of a harvest (measured on CMS records). Leaving the dataset's own rows out of
    the commit's change list keeps the one "new" notice for the dataset, which indexes it whole."""
    session = model.Session()  # the scoped session's own Session, which holds the change list
    session.flush()
    changes = getattr(session, "_object_cache", None)
    if changes:

        def own(obj: Any) -> bool:
            return isinstance(obj, _OWN_ROWS) and package_id in (
                getattr(obj, "package_id", None),
                getattr(obj, "table_id", None),
            )

        for kind in ("new", "changed"):
            changes[kind] = {obj for obj in changes[kind] if not own(obj)}
    model.repo.commit()


def withdraw_dataset(context: Context, current: dict[str, Any], mode: str) -> None:
    """Delete a dataset gone from its source, or keep it marked withdrawn."""
    if mode == "delete":
        tk.get_action("package_delete")(fresh(context), {"id": current["id"]})
    else:
        # An empty hash makes the record update in place if it comes back. The source record and
        # its findings stay (hhs_import), and so do values only the lenient import let in.
        tk.get_action("package_patch")(
            {**fresh(context), "hhs_import": True, "hhs_lenient": True},
            {"id": current["id"], "source_withdrawn": True, "source_hash": ""},
        )


class RecordError(Exception):
    def __init__(self, failures: list[dict[str, str]]):
        super().__init__("; ".join(f"{f['path']}: {f['message']}" for f in failures))
        self.failures = failures


def import_catalog(
    context: Context,
    catalog: dict[str, Any],
    division: str,
    source: str,
    withdraw: str = "delete",
    progress: Callable[[int], None] | None = None,
    force: bool = False,
    strict: bool = False,
) -> Report:
    """Bring one division's datasets in step with `catalog`; `source` names it for next time.

    `strict` refuses records that break HHS rules beyond POD instead of keeping them with findings."""
    source = source_key(source)
    org = tk.get_action("organization_show")(fresh(context), {"id": division, "include_datasets": False})
    todo = plan(catalog, org["id"], source, force)
    report = Report()
    taken: set[str] = set()
    for step in todo.steps:
        if step.kind == "failed":
            report.failed.extend(step.failures)
        elif step.kind == "unchanged":
            report.unchanged.append(step.identifier)
        else:
            try:
                getattr(report, apply(context, org["id"], step, source, taken, strict=strict)[0]).append(
                    step.identifier
                )
            except RecordError as e:
                report.failed.extend({**f, "path": f"dataset[{step.index}].{f['path']}"} for f in e.failures)
            except Exception as e:  # one record's failure must not stop the others, nor the report
                report.failed.append(record_failed(step, e))
            report.warnings.extend(step.warnings)
        if progress and step.part == "dataset":
            progress(1)
    for identifier, current in todo.withdraw.items():
        try:
            withdraw_dataset(context, current, withdraw)
            report.withdrawn.append(identifier)
        except Exception as e:
            model.Session.rollback()
            log.exception("Withdrawing %s failed", identifier)
            report.failed.append({"identifier": identifier, "path": "$", "message": f"could not be withdrawn: {e}"})
    return report


def record_failed(step: Step, error: Exception) -> dict[str, str]:
    """Roll back what one record wrote after an unexpected error, and say so for the report."""
    model.Session.rollback()
    log.exception("Import of record %s failed", step.identifier)
    return {
        "identifier": step.identifier,
        "path": f"dataset[{step.index}]",
        "message": f"the record could not be stored ({type(error).__name__}); nothing of it was written",
    }


def failure_message(failure: dict[str, str]) -> str:
    """One record failure as a harvest error line: identifier, path, message."""
    return f"{failure['identifier']}: {failure['path']}: {failure['message']}"


def flatten_errors(errors: Any, prefix: str = "") -> list[tuple[str, list[Any]]]:
    out: list[tuple[str, list[Any]]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            out.extend(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list) and errors and all(isinstance(v, str) for v in errors):
        out.append((prefix, errors))
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            if value:
                out.extend(flatten_errors(value, f"{prefix}[{i}]"))
    return out
