"""The HHS catalog as Project Open Data v1.1 `data.json`, streamed in constant memory.

Datasets are read from the search index in pages of BATCH (keyset paging on the dataset id, so a
change during the read neither skips nor repeats a record), mapped by the shared POD mapping
(`ckanext.hhs.pod.to_pod`) and written out as they are read.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import get_permission_labels
from ckan.types import Context

from ckanext.dcat.logic import DATASETS_PER_PAGE
from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.utils import catalog_uri, dataset_uri
from ckanext.hhs import dcatus3, pod

# Memory follows the page, not the catalog: with CMS-sized datasets (29 distributions each) a request
# peaks at about 32 MB above the idle process with 100 a page, 139 MB with 500 (benchmarks/catalog.py).
BATCH = 100
CATALOG_HEAD = {
    "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
    "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
    "@type": "dcat:Catalog",
    "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
}
# What a public listing may hold (POD): public and restricted-public records, not withdrawn ones.
PUBLIC = '+access_level:("public" OR "restricted public")'
LISTED = "+dataset_type:dataset -source_withdrawn:true"


def scope(division_id: str | None = None, inventory: bool = False) -> str:
    """The Solr filter of one listing: the public catalog, or the internal inventory; one division or all."""
    parts = [LISTED] if inventory else [LISTED, PUBLIC]
    if division_id:
        parts.append(f'+owner_org:"{division_id}"')
    return " ".join(parts)


def _context(user: str | None) -> Context:
    # The public listing searches as an anonymous user, whoever asks. The inventory searches as its
    # caller (who passed hhs_inventory_show): every dataset that is not CKAN-private, whatever its
    # access level, plus the private ones CKAN lets that person see, never those of other divisions.
    # Not with ignore_auth: package_search then drops the permission labels and shows every dataset.
    return {"user": user or ""}


def _search(user: str | None, fq: str, **params: Any) -> dict[str, Any]:
    return tk.get_action("package_search")(_context(user), {"fq": fq, "include_private": bool(user), **params})


def stamp(fq: str, user: str | None = None) -> tuple[str, str | None]:
    """(ETag, last modified) of a listing: they change whenever a listed dataset is added, changed or removed."""
    newest = _search(user, fq, rows=1, sort="metadata_modified desc", fl="id,metadata_modified")
    modified = newest["results"][0]["metadata_modified"] if newest["results"] else None
    key = f"{pod.MAPPING_VERSION}|{fq}|{user or ''}|{newest['count']}|{modified}"
    return hashlib.sha256(key.encode()).hexdigest()[:32], modified


def packages(fq: str, user: str | None = None) -> Iterator[dict[str, Any]]:
    """Every listed dataset, a page at a time: the public listing, or `user`'s inventory."""
    last = ""
    while True:
        page_fq = f'{fq} +id:{{"{last}" TO *]' if last else fq
        page = _search(user, page_fq, rows=BATCH, sort="id asc")["results"]
        yield from page
        if len(page) < BATCH:
            return
        last = page[-1]["id"]


def records(fq: str, user: str | None = None) -> Iterator[dict[str, Any]]:
    """Every listed dataset as a POD record."""
    for pkg in packages(fq, user):
        yield pod.to_pod(pkg, (pkg.get("organization") or {}).get("title"))


def dcatus3_datasets(fq: str, user: str | None = None) -> Iterator[dict[str, Any]]:
    """Every listed dataset as a DCAT-US 3.0 Dataset, named by the URI the RDF export gives it."""
    for pkg in packages(fq, user):
        yield dcatus3.to_dataset(pkg, (pkg.get("organization") or {}).get("title"), dataset_uri(pkg))


def spec(kind: str, division_id: str | None = None, user: str | None = None, **more: Any) -> dict[str, Any]:
    """What one stored export is (`copies`): its kind, its division, the inventory's caller, more options."""
    return {"kind": kind, "division": division_id, "user": user, **more}


def spec_fq(spec: dict[str, Any]) -> str:
    return scope(spec["division"], inventory=spec["user"] is not None)


def spec_stamp(spec: dict[str, Any]) -> tuple[str, str | None]:
    tag, modified = stamp(spec_fq(spec), spec["user"])
    if spec["kind"] == "dcatus3":
        tag = hashlib.sha256(f"{tag}|{dcatus3.MAPPING_VERSION}".encode()).hexdigest()[:32]
    if spec["user"] is not None:
        # What the caller may see, not only what the listing holds: a member moved from one division
        # to another may see as many datasets, as recently changed, yet not the same ones.
        user = model.User.get(spec["user"])
        labels = sorted(get_permission_labels().get_user_dataset_labels(user)) if user else []
        tag = hashlib.sha256(f"{tag}|{labels}".encode()).hexdigest()[:32]
    return tag, modified


def document(spec: dict[str, Any]) -> Iterable[str]:
    """The text of the export `spec`, in pieces."""
    if spec["kind"] == "datajson":
        return stream(records(spec_fq(spec), spec["user"]))
    if spec["kind"] == "dcatus3":
        return stream(dcatus3_datasets(spec_fq(spec), spec["user"]), _dcatus3_head(spec))
    if spec["kind"] == "rdf":
        return [rdf_page(spec)]
    raise ValueError(f"unknown export kind {spec['kind']}")


def rdf_page(spec: dict[str, Any]) -> str:
    """One page of the DCAT-US 3 RDF catalog, as ckanext-dcat's `dcat_catalog_show` gives it (its
    paging, its profiles), built without a request: that action reads its paging links from the
    request, and the rebuild job has none. ckanext-dcat builds each page's graph in memory."""
    per_page = int(tk.config.get("ckanext.dcat.datasets_per_page") or DATASETS_PER_PAGE)
    page = spec["args"]["page"]
    query = _search(None, spec_fq(spec), rows=per_page, start=per_page * (page - 1), sort="metadata_modified desc")
    count = query["count"]
    path = f"/catalog.{spec['format']}"
    if spec["division"]:
        path = f"/organization/{model.Group.get(spec['division']).name}{path}"

    def url(number: int) -> str:
        return f"{catalog_uri()}{path}?page={number}"

    paging: dict[str, Any] = {}
    if count:
        last = math.ceil(count / per_page)
        paging = {"count": count, "items_per_page": per_page, "current": url(page), "first": url(1), "last": url(last)}
        if page > 1:
            paging["previous"] = url(page - 1 if (page - 1) * per_page + len(query["results"]) <= count else last)
        if page * per_page < count:
            paging["next"] = url(page + 1)
    return RDFSerializer().serialize_catalog({}, query["results"], _format=spec["format"], pagination_info=paging)


def _dcatus3_head(spec: dict[str, Any]) -> dict[str, Any]:
    site = tk.config.get("ckan.site_title") or "HHS Data Hub"
    if spec["division"]:
        division = tk.get_action("organization_show")({"user": ""}, {"id": spec["division"], "include_datasets": False})
        return dcatus3.catalog_head(f"{site}: {division['title']}", division)
    return dcatus3.catalog_head(f"{site} inventory" if spec["user"] is not None else site)


def stream(datasets: Iterable[dict[str, Any]], head: dict[str, Any] | None = None) -> Iterator[str]:
    """The catalog document in pieces: the head, then each record as it comes."""
    yield json.dumps(head or CATALOG_HEAD, ensure_ascii=False)[:-1] + ', "dataset": ['
    separator = ""
    for record in datasets:
        yield separator + json.dumps(record, ensure_ascii=False)
        separator = ","
    yield "]}"
