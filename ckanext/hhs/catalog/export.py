"""The HHS catalog as Project Open Data v1.1 `data.json`, streamed in constant memory.

Datasets are read from the search index in pages of BATCH (keyset paging on the dataset id, so a
change during the read neither skips nor repeats a record), mapped by the shared POD mapping
(`ckanext.hhs.pod.to_pod`) and written out as they are read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.hhs import pod

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


def records(fq: str, user: str | None = None) -> Iterator[dict[str, Any]]:
    """Every listed dataset as a POD record, a page at a time: the public listing, or `user`'s inventory."""
    last = ""
    while True:
        page_fq = f'{fq} +id:{{"{last}" TO *]' if last else fq
        page = _search(user, page_fq, rows=BATCH, sort="id asc")["results"]
        for pkg in page:
            yield pod.to_pod(pkg, (pkg.get("organization") or {}).get("title"))
        if len(page) < BATCH:
            return
        last = page[-1]["id"]


def stream(datasets: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The catalog document in pieces: the head, then each record as it comes."""
    yield json.dumps(CATALOG_HEAD)[:-1] + ', "dataset": ['
    separator = ""
    for record in datasets:
        yield separator + json.dumps(record, ensure_ascii=False)
        separator = ","
    yield "]}"
