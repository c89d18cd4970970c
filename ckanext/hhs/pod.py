"""The one mapping between Project Open Data v1.1 records and HHS datasets.

`to_dataset` is used by imports and the harvester, `to_pod` by the /data.json export, so a record
imported and exported again comes back the same: the source record is kept whole beside the CKAN
fields (`pod_record`) and is what the export gives back, while the CKAN fields (tags, resource
formats, dates) are the ones normalised for search and display. Datasets authored in the hub have
no source record and are exported from their fields.
"""

from __future__ import annotations

import functools
import hashlib
import json
import mimetypes
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

import fastjsonschema
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from . import vocab

# POD key -> HHS dataset field, for values copied as they are.
_SCALARS = {
    "title": "title",
    "description": "notes",
    "identifier": "identifier",
    "accessLevel": "access_level",
    "rights": "access_rights",
    "modified": "modified",
    "issued": "issued",
    "accrualPeriodicity": "frequency",
    "temporal": "temporal",
    "spatial": "spatial",
    "landingPage": "url",
    "isPartOf": "is_part_of",
    "systemOfRecords": "system_of_records",
    "primaryITInvestmentUII": "primary_it_investment_uii",
    "license": "license_id",
}
_LISTS = {
    "bureauCode": "bureau_code",
    "programCode": "program_code",
    "theme": "theme",
    "language": "language",
    "references": "is_referenced_by",
}
# POD distribution key -> resource field; other keys are kept as resource extras `pod_<key>`.
_DISTRIBUTION = {
    "title": "name",
    "description": "description",
    "format": "format",
    "mediaType": "mimetype",
    "describedBy": "schema_url",
    "conformsTo": "conforms_to",
    "describedByType": "described_by_type",
}
# Raise when to_pod's output changes: catalog ETags include it, so clients fetch again.
MAPPING_VERSION = "3"
_TAG_INVALID = re.compile(r"[^\w \-.]+")
MAX_TAG = 100
# CKAN limits: a dataset holds at most MAX_TAGS tags (the HHS list cap) and Solr refuses a string
# term over 32766 bytes, so the title (also indexed as a string for sorting) is shortened for CKAN.
MAX_TAGS = 200
MAX_TITLE = 2000
# The field that keeps the source record exactly as it was given.
RECORD_FIELD = "pod_record"
# Limits of what an import reads: deeper JSON is refused with the whole catalog.
MAX_DEPTH = 32
REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def record_hash(record: dict[str, Any]) -> str:
    """A stable hash of a POD record's content, to tell changed records from unchanged ones."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def clean_text(value: Any, path: str = "$") -> tuple[Any, list[str]]:
    """`value` with the characters PostgreSQL and UTF-8 cannot store (NUL, lone UTF-16 surrogates)
    replaced by U+FFFD, in keys and values at any depth, and the JSON path of each value changed."""
    # The common case, a clean record, in one pass of C code: encoding fails on a lone surrogate,
    # and json.dumps writes NUL as an escape.
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
        if "\\u0000" not in text:
            return value, []
    except UnicodeEncodeError:
        pass
    fixed: list[str] = []

    def clean(v: Any, where: str) -> Any:
        if isinstance(v, str):
            if _UNSTORABLE.search(v):
                fixed.append(where)
                return _UNSTORABLE.sub(REPLACEMENT, v)
            return v
        if isinstance(v, list):
            return [clean(item, f"{where}[{i}]") for i, item in enumerate(v)]
        if isinstance(v, dict):
            out = {}
            for key, item in v.items():
                safe_key = _UNSTORABLE.sub(REPLACEMENT, key) if isinstance(key, str) else key
                if safe_key != key:  # a property name: the path names it as it is now
                    fixed.append(f"{where}.{safe_key}")
                out[safe_key] = clean(item, f"{where}.{safe_key}")
            return out
        return v

    return clean(value, path), fixed


def depth(value: Any) -> int:
    """How deep a JSON value nests (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d + 1)
            stack.extend((item, d + 1) for item in v if isinstance(item, (dict, list)))
    return deepest


def tag_name(keyword: str) -> str:
    """CKAN tags allow letters, digits, space, - _ and .; POD keywords allow anything."""
    name = _TAG_INVALID.sub(" ", keyword.replace("&", " and "))
    return re.sub(r"\s+", " ", name).strip()[:MAX_TAG]


def to_dataset(record: dict[str, Any]) -> dict[str, Any]:
    """Map a POD v1.1 dataset record to an HHS dataset dict (without owner_org, id or name)."""
    pkg: dict[str, Any] = {}
    for key, field in _SCALARS.items():
        if record.get(key) not in (None, ""):
            pkg[field] = record[key]
    for key, field in _LISTS.items():
        if record.get(key):
            pkg[field] = list(record[key])
    if "dataQuality" in record:
        pkg["data_quality"] = bool(record["dataQuality"])
    if record.get("conformsTo"):
        pkg["conforms_to"] = [record["conformsTo"]]
    if record.get("describedBy"):
        dictionary = {"url": record["describedBy"]}
        if record.get("describedByType"):
            dictionary["format"] = record["describedByType"]
        pkg["data_dictionary"] = [dictionary]

    contact = record.get("contactPoint") or {}
    if contact:
        pkg["contact"] = [
            {"name": contact.get("fn", ""), "email": (contact.get("hasEmail") or "").removeprefix("mailto:")}
        ]
    publisher = record.get("publisher") or {}
    if publisher.get("name"):
        pkg["publisher"] = [{"name": publisher["name"]}]

    keywords = [k for k in record.get("keyword") or [] if isinstance(k, str)]
    tags = list(dict.fromkeys(t for t in (tag_name(k) for k in keywords) if len(t) >= 2))[:MAX_TAGS]
    pkg["tags"] = [{"name": t} for t in tags]
    if tags != keywords:
        pkg["source_keywords"] = keywords
    if len(pkg.get("title") or "") > MAX_TITLE:
        pkg["title"] = pkg["title"][: MAX_TITLE - 1] + "\u2026"

    pkg["resources"] = [_to_resource(d) for d in record.get("distribution") or [] if isinstance(d, dict)]
    pkg[RECORD_FIELD] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return pkg


def source_record(pkg: dict[str, Any]) -> dict[str, Any] | None:
    """The source record an import kept on the dataset, if any."""
    kept = pkg.get(RECORD_FIELD)
    if isinstance(kept, str) and kept:
        try:
            kept = json.loads(kept)
        except ValueError:
            return None
    return kept if isinstance(kept, dict) else None


_FIELD_KEYS = {
    **{field: key for key, field in {**_SCALARS, **_LISTS}.items()},
    "tag_string": "keyword",
    "tags": "keyword",
    "contact": "contactPoint",
    "publisher": "publisher",
    "conforms_to": "conformsTo",
    "data_dictionary": "describedBy",
    "data_quality": "dataQuality",
}
_RESOURCE_KEYS = {
    **{field: key for key, field in _DISTRIBUTION.items()},
    "url": "downloadURL",
    "access_url": "accessURL",
}
_RESOURCE_FIELD = re.compile(r"^resources\[(\d+)\]\.?(\w*)")


def pod_path(field: str) -> str:
    """The JSON path in a POD record of what lands in an HHS dataset field (``resources[2].format``
    -> ``$.distribution[2].format``), so a finding points the division at its own record."""
    match = _RESOURCE_FIELD.match(field)
    if match:
        index, name = match.groups()
        key = _RESOURCE_KEYS.get(name) or name.removeprefix("pod_")
        return f"$.distribution[{index}]" + (f".{key}" if key else "")
    top = field.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]
    return f"$.{_FIELD_KEYS.get(top, top)}"


def _to_resource(dist: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if dist.get("downloadURL"):
        res["url"] = dist["downloadURL"]
        res["resource_kind"] = "file"
        if dist.get("accessURL"):
            res["access_url"] = dist["accessURL"]
    elif dist.get("accessURL"):
        res["url"] = dist["accessURL"]
        res["access_url"] = dist["accessURL"]
        res["resource_kind"] = "api"
    for key, value in dist.items():
        if key in ("downloadURL", "accessURL", "@type"):
            continue
        if key in _DISTRIBUTION:
            res[_DISTRIBUTION[key]] = value
        elif isinstance(value, (str, int, float, bool)):
            # Objects and lists (extension properties) stay in the kept record only: CKAN's resource
            # extras take scalars (a list there reads as sub-records to its validation).
            res[f"pod_{key}"] = value
    return res


def to_pod(pkg: dict[str, Any], division_title: str | None = None) -> dict[str, Any]:
    """Map an HHS dataset dict (package_show output) to a POD v1.1 dataset record.

    An imported or harvested dataset gives back its source record as it came (with `@type` added
    where the source left it out); a dataset authored in the hub is mapped from its fields."""
    kept = source_record(pkg)
    if kept is not None:
        return {"@type": "dcat:Dataset", **kept}
    record: dict[str, Any] = {"@type": "dcat:Dataset"}
    record["title"] = pkg.get("title") or pkg.get("name")
    record["description"] = pkg.get("notes") or ""
    tags = [t["name"] for t in pkg.get("tags") or []]
    source_keywords = pkg.get("source_keywords") or []
    unchanged = sorted(dict.fromkeys(t for t in map(tag_name, source_keywords) if len(t) >= 2)) == sorted(tags)
    record["keyword"] = source_keywords if source_keywords and unchanged else tags
    record["modified"] = pkg.get("modified") or (pkg.get("metadata_modified") or "")[:10]
    publisher_name = ((pkg.get("publisher") or [{}])[0] or {}).get("name") or division_title
    record["publisher"] = {"@type": "org:Organization", "name": publisher_name or ""}
    contact = (pkg.get("contact") or [{}])[0] or {}
    record["contactPoint"] = {
        "@type": "vcard:Contact",
        "fn": contact.get("name", ""),
        "hasEmail": f"mailto:{contact['email']}" if contact.get("email") else "",
    }
    record["identifier"] = pkg.get("identifier") or pkg.get("id")
    for key, field in _SCALARS.items():
        if key not in record and pkg.get(field) not in (None, ""):
            record[key] = pkg[field]
    # POD's license is a URL: a register id (the form's choice) goes out as its entry's URL; a URL
    # the register does not know, as given; an entry without a URL (restricted) says nothing here.
    if record.get("license"):
        entry = vocab.license_entry(record["license"])
        url = (entry.url if entry is not None else "") or ""
        if entry is not None and not str(record["license"]).startswith(("http://", "https://")):
            record.pop("license")
            if url:
                record["license"] = url
    for key, field in _LISTS.items():
        if pkg.get(field):
            record[key] = list(pkg[field])
    if pkg.get("data_quality") is not None and pkg.get("data_quality") != "":
        record["dataQuality"] = bool(pkg["data_quality"])
    if pkg.get("conforms_to"):
        record["conformsTo"] = pkg["conforms_to"][0]
    dictionary = (pkg.get("data_dictionary") or [{}])[0] or {}
    if dictionary.get("url"):
        record["describedBy"] = dictionary["url"]
        if dictionary.get("format"):
            record["describedByType"] = dictionary["format"]
    distributions = [_to_distribution(r, pkg.get("name") or pkg.get("id") or "") for r in pkg.get("resources") or []]
    if distributions:
        record["distribution"] = distributions
    return record


# Where a link can be opened by a person or a program anywhere: what a distribution's URL must be.
WEB_SCHEMES = ("http", "https", "ftp")
# Formats people type, and their IANA media types (POD requires mediaType beside a downloadURL);
# anything else is looked up by Python's mimetypes, from the format as an extension or the URL's path.
_MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "geojson": "application/geo+json",
    "json-ld": "application/ld+json",
    "jsonld": "application/ld+json",
    "xml": "application/xml",
    "rdf": "application/rdf+xml",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "pdf": "application/pdf",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "parquet": "application/vnd.apache.parquet",
    "txt": "text/plain",
    "text": "text/plain",
    "html": "text/html",
    "sas": "application/x-sas",
    "sas7bdat": "application/x-sas-data",
    "tsv": "text/tab-separated-values",
}
_MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")


def media_type(fmt: str | None, url: str | None) -> str | None:
    """The IANA media type of a download, from its format (``CSV``, ``text/csv``) or its URL's extension."""
    fmt = (fmt or "").strip()
    if _MEDIA_TYPE.match(fmt):
        return fmt.lower()
    known = _MEDIA_TYPES.get(fmt.lower().lstrip("."))
    if known:
        return known
    for guess in (mimetypes.guess_type(f"x.{fmt}")[0] if fmt else None, _url_media_type(url)):
        if guess:
            return guess
    return None


def _url_media_type(url: str | None) -> str | None:
    path = urllib.parse.urlsplit(url or "").path
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    return _MEDIA_TYPES.get(extension) or (mimetypes.guess_type(path)[0] if extension else None)


def is_web_url(url: Any) -> bool:
    return isinstance(url, str) and urllib.parse.urlsplit(url.strip()).scheme.lower() in WEB_SCHEMES


def resource_page(dataset: str, resource_id: str) -> str:
    """The resource's page on the hub: what a person opens for a table or service that is no file."""
    import ckan.plugins.toolkit as tk

    site = (tk.config.get("ckan.site_url") or "").rstrip("/")
    return f"{site}/dataset/{urllib.parse.quote(dataset)}/resource/{urllib.parse.quote(resource_id)}"


def _to_distribution(res: dict[str, Any], dataset: str = "") -> dict[str, Any]:
    """A hub-authored resource as a POD distribution. Only a web link to a file is a downloadURL (with
    its media type); an API is its accessURL; a lakehouse table, or a link that is no web URL (s3://,
    a server path), goes out as the resource's page on the hub, never as the path."""
    dist: dict[str, Any] = {"@type": "dcat:Distribution"}
    url = (res.get("url") or "").strip()
    kind = res.get("resource_kind")
    page = resource_page(dataset, res["id"]) if dataset and res.get("id") else None
    if kind == "lakehouse" or (url and not is_web_url(url)):
        if page:
            dist["accessURL"] = page
    elif kind in ("api", "documentation") or (res.get("access_url") and res.get("access_url") == url):
        dist["accessURL"] = url
    elif url:
        dist["downloadURL"] = url
        if is_web_url(res.get("access_url")):
            dist["accessURL"] = res["access_url"]
    for key, field in _DISTRIBUTION.items():
        if res.get(field) not in (None, ""):
            dist[key] = res[field]
    for field, value in res.items():
        if field.startswith("pod_") and value not in (None, ""):
            dist[field.removeprefix("pod_")] = value
    if not _MEDIA_TYPE.match(str(dist.get("mediaType") or "")):
        dist.pop("mediaType", None)
        guessed = media_type(res.get("format"), dist.get("downloadURL"))
        if guessed:
            dist["mediaType"] = guessed
        elif "downloadURL" in dist:
            dist["mediaType"] = "application/octet-stream"  # a file of a type nobody named
    if not is_web_url(dist.get("describedBy")):
        dist.pop("describedBy", None)
    return dist


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    """The official POD v1.1 JSON Schemas by file name (catalog.json, dataset.json, ...)."""
    folder = os.path.join(vocab.DATA, "pod-v1.1")
    schemas = {}
    for filename in os.listdir(folder):
        with open(os.path.join(folder, filename), encoding="utf-8") as f:
            schemas[filename] = json.load(f)
    return schemas


@functools.cache
def _validator(name: str) -> jsonschema.Draft4Validator:
    """The POD schema `name` for jsonschema, its references resolved locally."""
    registry = Registry().with_resources(
        (schema["id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in _schemas().values()
    )
    return jsonschema.Draft4Validator(_schemas()[name], registry=registry)


@functools.cache
def _fast_validator(name: str) -> Callable[[Any], Any]:
    """The same schema compiled by fastjsonschema, about 10 times faster (0.2 ms a CMS record): valid
    documents, most of them, pass without jsonschema, which then explains the invalid ones. References
    resolve to the local files (never fetched); formats are not checked, as jsonschema does not."""
    by_id = {schema["id"].rstrip("#"): schema for schema in _schemas().values()}
    return fastjsonschema.compile(
        _schemas()[name], handlers={"https": lambda uri: by_id[uri.rstrip("#")]}, use_formats=False
    )


def schema_errors(name: str, document: Any) -> list[tuple[str, str]]:
    """(JSON path, message) for each way `document` fails the POD v1.1 schema `name`."""
    try:
        _fast_validator(name)(document)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    errors = [_deepest(e) for e in _validator(name).iter_errors(document)]
    errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
    return [(_json_path(e.absolute_path), e.message) for e in errors]


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For "not valid under any of the given schemas" (POD's anyOf), the error that says what is wrong."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _json_path(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
