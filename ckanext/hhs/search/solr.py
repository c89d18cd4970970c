"""The Solr side of search by meaning: the vector field in schema.xml, and whether the live core has it.

CKAN's cores use the classic schema.xml (ClassicIndexSchemaFactory): no Schema API writes, so the
field is added to the file before the core loads (`ckan hhs search solr-schema PATH`, run by the
project's Solr set-up) and the core reloaded.
"""

from __future__ import annotations

import logging
import re
import time

import pysolr

from ckan.lib.search.common import make_connection

from ckanext.hhs.embedding import DIMENSIONS

from . import config

log = logging.getLogger(__name__)

FIELD_TYPE = "hhs_knn_vector"
_TYPE_XML = (
    f'    <fieldType name="{FIELD_TYPE}" class="solr.DenseVectorField" vectorDimension="{DIMENSIONS}"'
    ' similarityFunction="cosine" knnAlgorithm="hnsw"/>\n'
)
_CHECK_SECONDS = 60  # a core reloaded with the field is noticed within a minute
_checked: dict[str, tuple[float, bool]] = {}


def add_vector_field(schema_xml: str, field: str) -> str:
    """schema.xml with the vector field type and `field` added; unchanged if both are there."""
    if f'name="{FIELD_TYPE}"' not in schema_xml:
        schema_xml = _insert_before(schema_xml, "</types>", _TYPE_XML)
    if not re.search(rf'<field\s+name="{re.escape(field)}"', schema_xml):
        line = f'    <field name="{field}" type="{FIELD_TYPE}" indexed="true" stored="false"/>\n'
        schema_xml = _insert_before(schema_xml, "</fields>", line)
    return schema_xml


def _insert_before(text: str, closing: str, addition: str) -> str:
    at = text.find(closing)
    if at < 0:
        raise ValueError(f"schema.xml has no {closing}")
    return text[:at] + addition + text[at:]


def vector_field_present() -> bool | None:
    """Whether the core behind solr_url has the vector field: True, False, or None when Solr did not
    answer (not remembered: asked again next time). A known answer is kept a minute per process."""
    field = config.vector_field()
    now = time.monotonic()
    known = _checked.get(field)
    if known and now - known[0] < _CHECK_SECONDS:
        return known[1]
    try:
        # Read-only Schema API calls work on a classic schema too.
        make_connection()._send_request("get", f"schema/fields/{field}")
        present = True
    except pysolr.SolrError as e:
        if "404" not in str(e) and "undefined field" not in str(e).lower():
            log.warning("Solr did not say whether it has the vector field %r: %s", field, e)
            return None
        present = False
        log.warning(
            "Search by meaning is off: the Solr core has no field %r (run `ckan hhs search solr-schema` on its "
            "schema.xml and reload the core); search is keyword-only.",
            field,
        )
    _checked[field] = (now, present)
    return present


def forget() -> None:
    """Ask Solr again next time (after a schema change, and in tests)."""
    _checked.clear()


def _main(argv: list[str]) -> None:
    """`python -m ckanext.hhs.search.solr SCHEMA_XML FIELD`: for set-up scripts that run before CKAN has an ini."""
    path, field = argv
    with open(path, encoding="utf-8") as f:
        before = f.read()
    after = add_vector_field(before, field)
    if after != before:
        with open(path, "w", encoding="utf-8") as f:
            f.write(after)


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
