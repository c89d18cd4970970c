"""Property: any record valid against the official DCAT-US 3.0 `Dataset` definition, imported into a
division and exported again as DCAT-US 3.0 JSON, comes back valid and as it went in.

Records are generated from the official definitions shipped in the package (`dcatus3.FOLDER`): the
`Dataset` definition with its `$ref`s resolved from the other definitions through the registry the
import gate validates with, every optional property, nested classes (distributions, data services,
organizations, concepts, periods of time, ...), extension properties, and text beyond the Basic
Multilingual Plane. Each generated record is checked by the official definition before use.

Importing one record at a time would cost most of a second each (a catalog file, the job, a
dataset written and indexed), so the examples go through in chunks: Hypothesis generates
PROPERTY_EXAMPLES records (derandomized: the same ones each run), each chunk of CHUNK records is one
DCAT-US 3.0 catalog imported by the real import job (`jobs.import_catalog`, as `hhs_catalog_import`
runs it) into a division of its own, and the staff inventory's `/inventory/dcat-us-3.json` (the real
export, through the app) must hold every record, valid against the official `Catalog` definition and
equal to the record under the allowed differences of docs/catalog.md ("DCAT-US 3.0 JSON in"):
`"@type": "Dataset"` added where the record left it out, and text that cannot be stored (NUL, lone
surrogates) replaced with U+FFFD. The POD v1.1 record each one gives in `/inventory/data.json` must
be valid too (a harvested dataset of either standard is in both exports).

A longer, random run: `HHS_PROPERTY_EXAMPLES=2000 HHS_PROPERTY_RANDOM=1 pytest --ckan-ini=test.ini
-k dcatus3_roundtrip`. A record found failing is kept below as an @example regression.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from ckan.tests import factories as ckan_factories

from ckanext.hhs import dcatus3, pod
from ckanext.hhs.harvest import jobs
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import auth_headers
from ckanext.hhs.tests.schema_strategies import SchemaStrategies

PROPERTY_EXAMPLES = int(os.environ.get("HHS_PROPERTY_EXAMPLES", "200"))
RANDOM = bool(os.environ.get("HHS_PROPERTY_RANDOM"))
CHUNK = 50
DATASET = dcatus3.DEFINITIONS + "dataset"
# How deep classes nest in a generated record (Dataset > Distribution > DataService > Organization),
# and how often one class may appear in its own chain (an Organization subOrganizationOf another).
MAX_DEPTH = 4
MAX_REPEAT = 2
# At most this many of an object's optional properties at each depth: a Dataset has 56.
OPTIONAL = (14, 6, 4, 3, 2)
DCATUS3 = SchemaStrategies(
    dcatus3._registry().contents,
    max_repeat=MAX_REPEAT,
    max_depth=MAX_DEPTH,
    max_items=3,
    optional=OPTIONAL,
    extensions=(2, 2, 0),  # on the record and the classes it holds
)
RECORDS = DCATUS3.definition(DATASET).filter(lambda r: not dcatus3.schema_errors(r, "dataset"))


def _record(**changes: Any) -> dict[str, Any]:
    record = {
        "title": "Regression",
        "description": "d",
        "contactPoint": [{"fn": "F", "hasEmail": "mailto:a@b.co"}],
        "identifier": "regression",
    }
    record.update(changes)
    return record


def expected(record: dict[str, Any]) -> dict[str, Any]:
    """What the export must give back for `record` (docs/catalog.md's allowed differences applied)."""
    cleaned, _ = pod.clean_text(record)
    return {"@type": "Dataset", **cleaned}


def generated() -> list[dict[str, Any]]:
    """PROPERTY_EXAMPLES records from the official definition (and the regressions), each valid."""
    records: list[dict[str, Any]] = []

    @settings(
        max_examples=PROPERTY_EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(record=RECORDS)
    # Shapes nobody generates by chance, kept as regressions.
    @example(record=_record(identifier={"notation": "n-1", "@type": "Identifier"}, title="new\x00"))
    @example(record=_record(identifier=None, contactPoint={"fn": "single Kind", "hasEmail": "mailto:x@y.gov"}))
    @example(record=_record(keyword=["\U0001f600", "\u00e9t\u00e9"], accrualPeriodicity="R/P10Y", language="en"))
    # Found by this property: valid DCAT-US 3.0 the hub refused (empty title and description, no
    # contact) or derived invalid POD records from (month 15, a language that is no BCP 47 tag).
    @example(
        record=_record(
            title="",
            description="",
            contactPoint=[],
            issued="9637-15",
            modified="4487-60",
            language=["en", "\u00c6K"],
            accrualPeriodicity="R/P\u00f9",
        )
    )
    def collect(record: dict[str, Any]) -> None:
        assert dcatus3.schema_errors(record, "dataset") == []
        records.append(record)

    collect()
    return records


def _chunks(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Records in catalogs of at most CHUNK; a record whose identifier a catalog already holds goes
    to a later one (within one catalog a repeated identifier is refused, as it should be)."""
    chunks: list[tuple[list[dict[str, Any]], set[str]]] = []
    for record in records:
        identifier = dcatus3.record_identifier(pod.clean_text(record)[0])
        home = next((c for c in chunks if len(c[0]) < CHUNK and identifier not in c[1]), None)
        if home is None:
            home = ([], set())
            chunks.append(home)
        home[0].append(record)
        home[1].add(identifier)
    return [chunk for chunk, _ in chunks]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# A proof suite like test_roundtrip_property (conftest.SLOW_MODULES): in CI, not in `make check`.
@pytest.mark.slow
# Hypothesis warns that the repr of a strategy built from 26 definitions is large; it is never shown.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis")
def test_any_valid_dcat_us_3_record_imported_and_exported_comes_back_valid_and_equal(app, tmp_path):
    records = generated()
    assert len(records) >= PROPERTY_EXAMPLES
    sysadmin = ckan_factories.Sysadmin()
    for number, chunk in enumerate(_chunks(records)):
        factories.Division(name=f"division-{number}", bureau_code="009:38")
        source = tmp_path / f"catalog-{number}.json"
        # ensure_ascii keeps lone surrogates as \\u escapes, as a catalog on the wire has them.
        source.write_text(json.dumps({**_catalog_head(), "dataset": chunk}))
        report = jobs.import_catalog(sysadmin["name"], str(source), f"division-{number}", "keep")
        assert report.get("error") is None, report
        assert report["failed"] == [], report["failed"][:5]
        assert len(report["created"]) == len(chunk)

    auth = auth_headers(sysadmin["name"])
    response = app.get("/inventory/dcat-us-3.json", headers=auth)
    assert response.status_code == 200
    exported = json.loads(response.get_data(as_text=True))
    assert dcatus3.schema_errors(exported) == []

    want = sorted(_canonical(expected(r)) for r in records)
    got = sorted(_canonical(d) for d in exported["dataset"])
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    assert not missing and not extra, (missing[:2], extra[:2])
    assert got == want  # the same records, each as often as it went in

    response = app.get("/inventory/data.json", headers=auth)
    datajson = json.loads(response.get_data(as_text=True))
    assert len(datajson["dataset"]) == len(records)
    assert pod.schema_errors("catalog.json", datajson) == []


def _catalog_head() -> dict[str, Any]:
    return {
        "@type": "Catalog",
        "conformsTo": {"@id": dcatus3.CONFORMS_TO, "@type": "Standard", "title": "DCAT-US 3.0"},
        "title": "Generated DCAT-US 3.0 catalog",
    }
