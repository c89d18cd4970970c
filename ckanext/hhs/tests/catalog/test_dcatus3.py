"""DCAT-US 3.0 JSON out: valid against the official Catalog.json, the same listing rules as /data.json."""

from __future__ import annotations

import gzip
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import dcatus3, pod, vocab
from ckanext.hhs.harvest import jobs
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.harvest.test_roundtrip_property import RECORDS
from ckanext.hhs.tests.helpers import auth_headers

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
EXAMPLE = os.path.join(vocab.DATA, "dcat-us-3", "jsonschema", "examples", "Dataset", "good", "complete_example.json")
PROPERTY_EXAMPLES = int(os.environ.get("HHS_PROPERTY_EXAMPLES", "200"))


def _catalog(response):
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis")
class TestExport:
    def test_the_cms_catalog_exports_valid_with_its_publisher_hierarchy(self, app, sysadmin_context):
        factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", acronym="CMS")
        jobs.import_catalog(sysadmin_context["user"], CMS, "cms", "delete")
        division = _catalog(app.get("/organization/cms/dcat-us-3.json"))
        assert dcatus3.schema_errors(division) == []
        assert len(division["dataset"]) == 139
        assert division["publisher"]["subOrganizationOf"][0]["name"] == dcatus3.HHS["name"]
        with open(CMS, encoding="utf-8") as f:
            source = {r["identifier"]: r for r in json.load(f)["dataset"]}
        for dataset in division["dataset"]:
            record = source[dataset["identifier"]]
            assert dataset["title"] == record["title"]
            assert dataset["publisher"]["name"] == record["publisher"]["name"]
            assert len(dataset.get("distribution", [])) == len(record.get("distribution", []))
            assert dataset["@id"].startswith("http")
        assert dcatus3.schema_errors(_catalog(app.get("/dcat-us-3.json"))) == []

    def test_a_hub_dataset_puts_its_fields_where_the_standard_has_them(self, app):
        division = factories.Division(name="cdc", bureau_code="009:20", title="CDC")
        factories.HhsDataset(
            owner_org=division["id"],
            identifier="cdc-flu",
            bureau_code=["009:20"],
            language=["en-US"],
            frequency="R/P1W",
            temporal="2020-01-01/2024-12-31",
            health_theme=["infectious-disease"],
            coding_system=["ICD-10-CM"],
            population_coverage=["US residents"],
            resources=[
                {"url": "https://data.cdc.gov/flu.csv", "format": "CSV", "mimetype": "text/csv"},
                {"url": "https://data.cdc.gov/api/flu", "resource_kind": "api", "format": "API"},
            ],
        )
        catalog = _catalog(app.get("/organization/cdc/dcat-us-3.json"))
        assert dcatus3.schema_errors(catalog) == []
        [dataset] = catalog["dataset"]
        assert dataset["identifier"] == "cdc-flu"
        # Dublin Core's term for POD's R/P1W: what the standard's JSON-LD context reads as the RDF's IRI.
        assert dataset["language"] == ["en"] and dataset["accrualPeriodicity"] == "weekly"
        assert dataset["temporal"] == [{"@type": "PeriodOfTime", "startDate": "2020-01-01", "endDate": "2024-12-31"}]
        labels = {(c["inScheme"]["title"], c["prefLabel"]) for c in dataset["category"]}
        assert ("OMB bureau codes (OMB Circular A-11, Appendix C)", "009:20") in labels
        assert ("HealthDCAT-AP health themes", "infectious-disease") in labels
        assert {"@type": "Standard", "title": "ICD-10-CM"} in dataset["conformsTo"]
        assert dataset["scopeNote"] == "Population covered: US residents"
        csv, api = dataset["distribution"]
        assert csv["mediaType"] == "text/csv" and "accessService" not in csv
        assert api["accessService"][0]["endpointURL"] == ["https://data.cdc.gov/api/flu"]

    def test_listing_rules_gzip_and_etag_are_those_of_data_json(self, app):
        cms = factories.Division(name="cms")
        factories.HhsDataset(owner_org=cms["id"], title="Public")
        factories.HhsDataset(owner_org=cms["id"], title="Private", private=True)
        factories.HhsDataset(owner_org=cms["id"], title="Internal", access_level="non-public", access_rights="No.")
        plain = app.get("/dcat-us-3.json")
        assert [d["title"] for d in _catalog(plain)["dataset"]] == ["Public"]
        assert app.get("/dcat-us-3.json", headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
        packed = app.get("/dcat-us-3.json", headers={"Accept-Encoding": "gzip"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(packed.get_data())) == _catalog(plain)

        assert app.get("/inventory/dcat-us-3.json").status_code == 403
        member = ckan_factories.User()
        helpers.call_action("organization_member_create", id="cms", username=member["name"], role="member")
        inventory = app.get("/inventory/dcat-us-3.json", headers=auth_headers(member["name"]))
        assert {d["title"] for d in _catalog(inventory)["dataset"]} == {"Public", "Private", "Internal"}
        assert "private" in inventory.headers["Cache-Control"]
        assert dcatus3.schema_errors(_catalog(inventory)) == []


def test_the_official_example_is_a_valid_dataset_and_the_schema_catches_a_broken_one():
    """The registry resolves the official definitions: the standard's own example passes, a dataset
    without its mandatory properties and with a malformed date does not."""
    with open(EXAMPLE, encoding="utf-8") as f:
        example = json.load(f)
    assert dcatus3.schema_errors(example, "dataset") == []
    broken = {k: v for k, v in example.items() if k != "contactPoint"} | {"modified": "last Tuesday"}
    paths = {path for path, _message in dcatus3.schema_errors(broken, "dataset")}
    assert paths == {"$", "$.modified"}


def test_a_kept_dcat_us_3_record_goes_out_as_it_came():
    """The export half of a DCAT-US 3.0 import: the official example, kept with a dataset (as a
    DCAT-US 3.0 import will keep it, like pod_record), is what the export gives back, valid."""
    with open(EXAMPLE, encoding="utf-8") as f:
        example = json.load(f)
    pkg = {"id": "x", "title": "Edited in the hub", dcatus3.RECORD_FIELD: json.dumps(example)}
    out = dcatus3.to_dataset(pkg, "Division", "https://hub.example.gov/dataset/x")
    assert out == example
    assert dcatus3.schema_errors(out, "dataset") == []


@settings(
    max_examples=PROPERTY_EXAMPLES,
    derandomize=not os.environ.get("HHS_PROPERTY_RANDOM"),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(RECORDS)
def test_any_pod_valid_record_imported_comes_out_valid_dcat_us_3(record):
    # What an import stores (`pod.to_dataset` keeps the record) is what the export maps.
    cleaned = pod.clean_text(record)[0]  # as stored: NUL and lone surrogates replaced (README)
    dataset = dcatus3.to_dataset(pod.to_dataset(cleaned), "Division", "https://hub.example.gov/dataset/x")
    assert dcatus3.schema_errors(dataset, "dataset") == []
    assert dataset["title"] == cleaned["title"] and dataset["identifier"] == cleaned["identifier"]
