"""ckanext-dcat's RDF harvester (`dcat_rdf`), given the same mapping as data.json records.

ckanext-dcat parses the source and writes each dataset itself; our hooks (plugin.py) shape what it
writes. The `hhs` RDF profile keeps each dataset's own triples (`rdf.RECORD_FIELD`); from them
`prepare` derives the POD v1.1 record, which the same gate as a data.json record decides on (the
official POD schema), and maps that record with `pod.to_dataset`, keeping the triples and the POD
record beside the fields. HHS rules beyond POD, and the record's violations of the DCAT-US 3.0 SHACL
shapes (`rdf.shape_findings`), become findings and the job's warnings, a value a CKAN
field refuses is left out of that field (kept in the record), and a record whose triples have not
changed since the last harvest is not written again ("not modified"). A source configured
``{"strict": true}`` refuses records breaking HHS rules, as for data.json.

ckanext-dcat calls package_create/package_update with a context of its own; `write_context` (a
``__before`` validator in the schema ckanext-dcat takes from our hook) gives that write the import's
context, and refuses a record the gate refused, so ckanext-dcat reports it as a validation error.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import re
from typing import Any
from xml.parsers import expat

import ckan.lib.plugins as lib_plugins
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.harvest.model import HarvestObjectError
from ckanext.hhs import pod, rdf, unindexed
from ckanext.hhs.logic import validators

from . import importer

log = logging.getLogger(__name__)

# Fields of the `hhs` profile's parse that POD has no property for: kept beside the POD mapping.
_PROFILE_ONLY = (
    "coding_system",
    "health_category",
    "health_theme",
    "population_coverage",
    "legal_basis",
    "personal_data",
    "number_of_records",
    "number_of_unique_individuals",
    "min_typical_age",
    "max_typical_age",
    "phi_classification",
    "sensitivity",
)

# The harvest write under way in this thread: {"id", "strict", "failures", "warnings"}.
_WRITE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("hhs_dcat_write", default=None)


# What a nesting scan skips in Turtle / N-Triples / N3: strings (long ones first), IRIs, comments.
_TURTLE_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'|<[^<>\s\"{}|^`]*>|#[^\n]*"
)
_XML_TAG = re.compile(r"<(/?)[A-Za-z_][^>]*?(/?)>")


def nesting(content: str) -> int:
    """How deep an RDF document nests (blank node brackets and collections in Turtle, elements in
    RDF/XML, objects and arrays in JSON-LD), read without parsing it: rdflib's parsers recurse, and a
    deep enough document would stop the whole harvest with a RecursionError."""
    text = content.lstrip()
    if text.startswith(("{", "[")):
        try:
            return pod.depth(json.loads(text))
        except (ValueError, RecursionError):
            return pod.MAX_DEPTH + 1
    if text.startswith("<?xml") or text.startswith("<rdf:RDF"):
        depth = deepest = 0
        for match in _XML_TAG.finditer(text):
            if match.group(1):
                depth -= 1
            elif not match.group(2):
                depth += 1
                deepest = max(deepest, depth)
        return deepest
    depth = deepest = 0
    for char in re.findall(r"[\[\]()]", _TURTLE_OPAQUE.sub("", text)):
        depth += 1 if char in "[(" else -1
        deepest = max(deepest, depth)
    return deepest


class _Refused(Exception):
    pass


class _RootReached(Exception):
    pass


def xml_entities(content: str) -> bool:
    """Whether an RDF/XML document declares XML entities (its DTD comes before the root element, so
    only that far is read). The parser would expand them: a 1 KB document of nested entities grew to
    3 MB and held the gather consumer for a minute, so entities are refused, as defusedxml does."""

    def refuse(*args: Any) -> None:
        raise _Refused

    def stop(*args: Any) -> None:
        raise _RootReached

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.StartElementHandler = stop
    try:
        parser.Parse(content.encode("utf-8"), True)
    except _Refused:
        return True
    except (_RootReached, expat.ExpatError):
        return False  # the root element came first; a malformed document is the RDF parser's to report
    return False


def remote_contexts(content: str) -> bool:
    """Whether a JSON-LD document names a remote @context: rdflib would fetch it itself, around the
    fetch guard (any URL, internal ones too)."""
    try:
        stack = [json.loads(content)]
    except (ValueError, RecursionError):
        return False
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            context = value.get("@context")
            contexts = context if isinstance(context, list) else [context]
            if any(isinstance(c, str) for c in contexts):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def held_by_another_division(harvest_object: Any, package_id: str | None) -> bool:
    """Whether the dataset a DCAT record matched belongs to a division other than its source's."""
    pkg = model.Package.get(package_id) if package_id else None
    source = model.Package.get(harvest_object.source.id) if harvest_object.source else None
    return pkg is not None and (source is None or pkg.owner_org != source.owner_org)


def harvest_write(package_id: str | None) -> bool:
    """Whether a package_update of `package_id` is the RDF harvest's own write."""
    state = _WRITE.get()
    return bool(state and package_id and state["id"] == package_id)


def finished() -> list[dict[str, str]]:
    """The warnings of the write just made, and the end of it."""
    state = _WRITE.get()
    _WRITE.set(None)
    return list(state["warnings"]) if state else []


def write_context(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
    state = _WRITE.get()
    if not state:
        return
    if state["failures"]:
        # Nothing of the record is written. Each failure is its own error on the harvest object, as for a
        # data.json record; ckanext-dcat adds its one summary line when it catches the ValidationError.
        model.Session.rollback()
        for failure in state["failures"]:
            model.Session.add(
                HarvestObjectError(
                    harvest_object_id=state["object_id"], stage="Validation", message=importer.failure_message(failure)
                )
            )
        raise tk.ValidationError(
            {"record": [f"{len(state['failures'])} error(s) against the POD v1.1 schema, each reported on its own"]}
        )
    if state.get("create"):
        # The record's division may hold its identifier already (an import or the data.json harvester
        # of the same catalog, maybe at this moment): one division + identifier is one dataset.
        org_id, identifier = state["create"]
        held = importer.lock_identifier(org_id, identifier)
        if held is not None:
            model.Session.rollback()
            message = (
                f"{identifier}: the division already has this identifier, in the dataset {held['name']} "
                "(brought by another source or an import): the record was not added again"
            )
            model.Session.add(HarvestObjectError(harvest_object_id=state["object_id"], stage="Import", message=message))
            raise tk.ValidationError({"identifier": [message]})
    context["hhs_import"] = True  # type: ignore[typeddict-unknown-key]
    context["hhs_lenient"] = not state["strict"]  # type: ignore[typeddict-unknown-key]


def with_write_context(schema: dict[str, Any]) -> dict[str, Any]:
    schema["__before"] = [write_context, *schema.get("__before", [])]
    return schema


def prepare(harvest_object: Any, dataset: dict[str, Any], strict: bool, update: bool) -> None:
    """Replace the dict ckanext-dcat is about to write with the record's mapping; on an update whose
    triples have not changed, empty it (ckanext-dcat then reports the object "not modified")."""
    text = dataset.pop(rdf.RECORD_FIELD, None)
    repaired = dataset.pop(rdf.RECORD_FIELD + "_repaired", None) or []
    too_large = dataset.pop(rdf.RECORD_FIELD + "_error", None)
    identifier = str(harvest_object.guid)
    state: dict[str, Any] = {
        "id": dataset["id"],
        "object_id": harvest_object.id,
        "strict": strict,
        "failures": [],
        "warnings": [],
    }
    _WRITE.set(state)
    record: dict[str, Any] = {}
    if too_large or not text:
        state["failures"] = [{"identifier": identifier, "path": "$", "message": too_large or "no record was parsed"}]
    else:
        record = rdf.to_pod_record(rdf.parse_record(text))
        state["failures"] = [
            {"identifier": identifier, "path": path, "message": message}
            for path, message in importer.record_errors(record)
        ]
    if state["failures"]:
        return
    digest = rdf.record_hash(text)
    if update and _unchanged(dataset["id"], digest):
        harvest_object.package_id = dataset["id"]
        dataset.clear()
        _WRITE.set(None)
        return
    state["warnings"] = [
        {
            "identifier": identifier,
            "path": f"$ ({predicate})",
            "message": "characters that cannot be stored (NUL, lone UTF-16 surrogates) replaced with U+FFFD",
            "rule": validators.RULE_TEXT_REPLACED,
        }
        for predicate in repaired
    ]
    pkg = pod.to_dataset(record)
    for key in _PROFILE_ONLY:
        if dataset.get(key) not in (None, "", []) and key not in pkg:
            pkg[key] = dataset[key]
    schema_fields = _schema_fields()
    pkg.update(
        id=dataset["id"],
        name=dataset.get("name") or "",
        owner_org=dataset.get("owner_org"),
        type="dataset",
        source_catalog=importer.source_key(harvest_object.source.url),
        source_hash=digest,
        extras=[e for e in dataset.get("extras") or [] if e.get("key") not in schema_fields],
        **{rdf.RECORD_FIELD: text},
    )
    if not update and (pkg["name"] in importer.RESERVED_NAMES or len(pkg["name"]) < 2):
        pkg["name"] = importer.unique_name(pkg.get("title") or identifier, set())
    findings = [] if strict else importer.record_findings(record, pkg)
    if not strict:
        _leave_out_refused(pkg, findings, update)
    # What the record breaks of the DCAT-US 3.0 shapes refuses nothing, strict or not: the triples
    # are given back as they came, so the finding goes back to the division with them.
    findings += _shape_findings(text, identifier)
    if findings:
        pkg["hhs_findings"] = json.dumps([{k: f[k] for k in ("path", "rule", "message")} for f in findings])
    state["warnings"] += [
        {"identifier": identifier, "path": f["path"], "message": f["message"], "rule": f["rule"]} for f in findings
    ]
    if not update and pkg.get("owner_org") and pkg.get("identifier"):
        state["create"] = (pkg["owner_org"], pkg["identifier"])
    dataset.clear()
    dataset.update(pkg)


def _shape_findings(text: str, identifier: str) -> list[dict[str, str]]:
    try:
        return [{"field": "", **f} for f in rdf.shape_findings(text)]
    except Exception:  # a fault of the checker must not cost the record
        log.exception("SHACL check of %s failed; the record is kept without shape findings", identifier)
        return []


def _unchanged(package_id: str, digest: str) -> bool:
    # Read from the table: a Package loaded in this session still lists the extras an update deleted
    # (a hub edit drops the hash and the triples), and the edited dataset would stay "not modified".
    return unindexed.stored(package_id, "source_hash") == digest and bool(
        unindexed.stored(package_id, rdf.RECORD_FIELD)
    )


def _leave_out_refused(pkg: dict[str, Any], findings: list[dict[str, str]], update: bool) -> None:
    """Check the mapped dict as the write will, and leave the values CKAN refuses out of their fields
    (as the data.json import does on its second attempt); what is still refused then is reported by
    the write itself."""
    plugin = lib_plugins.lookup_package_plugin("dataset")
    action = "package_update" if update else "package_create"
    schema = plugin.update_package_schema() if update else plugin.create_package_schema()
    context: Context = {
        "model": model,
        "session": model.Session,
        "user": "",
        "hhs_import": True,  # type: ignore[typeddict-unknown-key]
        "hhs_lenient": True,  # type: ignore[typeddict-unknown-key]
    }
    if update:
        context["package"] = model.Package.get(pkg["id"])
    _data, errors = lib_plugins.plugin_validate(plugin, context, copy.deepcopy(pkg), schema, action)
    if errors:
        importer.leave_out(pkg, importer.flatten_errors(errors), findings)


def _schema_fields() -> set[str]:
    schema = tk.h.scheming_get_dataset_schema("dataset") or {}
    return {f["field_name"] for f in schema.get("dataset_fields", [])}
