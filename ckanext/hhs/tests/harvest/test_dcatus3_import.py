"""DCAT-US 3.0 JSON in: the official Dataset definition decides, the record is kept and given back
as it came, the POD v1.1 record derived from it is valid, and what POD needed and the record lacked
is a finding. Records from the standard's own examples and from the hub's export of the CMS catalog."""

from __future__ import annotations

import glob
import json
import os

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.harvest.model import HarvestJob
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs import dcatus3, pod, vocab
from ckanext.hhs.harvest import importer, jobs
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import harvest_source

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
EXAMPLES = os.path.join(vocab.DATA, "dcat-us-3", "jsonschema", "examples")
DEFINITIONS = os.path.join(vocab.DATA, "dcat-us-3", "jsonschema", "definitions")


def _load(*parts: str):
    with open(os.path.join(EXAMPLES, *parts), encoding="utf-8") as f:
        return json.load(f)


def _good_datasets() -> list[dict]:
    """Every valid dataset the standard publishes: the good examples, those of the good catalog
    examples and the examples inside the Dataset definition itself."""
    found = [
        _load("Dataset", "good", os.path.basename(p))
        for p in sorted(glob.glob(os.path.join(EXAMPLES, "Dataset", "good", "*.json")))
    ]
    for path in sorted(glob.glob(os.path.join(EXAMPLES, "Catalog", "good", "*.json"))):
        with open(path, encoding="utf-8") as f:
            found += json.load(f)["dataset"]
    with open(os.path.join(DEFINITIONS, "Dataset.json"), encoding="utf-8") as f:
        found += json.load(f)["examples"]
    return found


def _ids(org_id: str) -> list[str]:
    """The division's active datasets, from the database (what the import wrote, not the index)."""
    rows = model.Session.query(model.Package.id).filter_by(owner_org=org_id, state="active")
    return [package_id for (package_id,) in rows]


def _catalog(*datasets: dict) -> dict:
    return {
        "@type": "Catalog",
        "conformsTo": {"@id": dcatus3.CONFORMS_TO, "@type": "Standard", "title": "DCAT-US 3.0"},
        "title": "A division's DCAT-US 3.0 catalog",
        "dataset": list(datasets),
    }


@pytest.mark.parametrize("record", _good_datasets(), ids=lambda r: r["title"][:40])
def test_an_official_good_example_derives_a_valid_pod_record(record):
    assert dcatus3.schema_errors(record, "dataset") == []
    derived, notes = dcatus3.to_pod_record(record, {"title": "NOAA", "bureau_code": "006:48"})
    assert pod.schema_errors("dataset.json", derived) == []
    assert derived["title"] == record["title"] and derived["description"] == record["description"]
    assert derived["identifier"] == dcatus3.record_identifier(record)
    assert all(n["rule"] == dcatus3.RULE_DERIVED and n["path"].startswith("$.") for n in notes)


def test_the_official_bad_examples_are_refused_naming_the_property():
    bad = _load("Dataset", "bad", "bad-accrual-periodicity.json")
    assert {path for path, _ in importer.record_errors(bad, importer.DCATUS3)} == {
        "$",
        "$.accrualPeriodicity",
        "$.publisher",
    }
    for name, path in (("invalid_issued_format.json", "$.issued"), ("invalid_language_format.json", "$.language")):
        catalog = _load("Catalog", "bad", name)
        assert dcatus3.is_catalog(catalog)
        assert [p for p, _ in dcatus3.schema_errors({**catalog, "dataset": []})] == [path]


def test_a_pod_catalog_is_not_taken_for_dcat_us_3():
    with open(CMS, encoding="utf-8") as f:
        cms = json.load(f)
    assert not dcatus3.is_catalog(cms) and importer.standard(cms) == importer.POD
    assert dcatus3.is_catalog(_load("Catalog", "good", "typical_example.json"))


def test_what_pod_needs_and_the_record_lacks_is_said():
    minimal = _load("Dataset", "good", "minimal_example.json")
    derived, notes = dcatus3.to_pod_record(minimal, {"title": "CMS", "acronym": "CMS", "bureau_code": "009:38"})
    assert derived["bureauCode"] == ["009:38"] and derived["programCode"] == ["009:000"]
    assert derived["keyword"] == ["CMS"] and derived["accessLevel"] == "public"
    assert {n["path"] for n in notes} == {"$.category", "$.keyword", "$.modified", "$.accessRights"}
    worded = {**minimal, "accessRights": "Available to approved researchers under a data use agreement"}
    derived, _notes = dcatus3.to_pod_record(worded)
    assert derived["accessLevel"] == "non-public" and derived["rights"].startswith("Available to approved")
    assert pod.schema_errors("dataset.json", derived) == []


def test_a_record_valid_in_dcat_us_3_that_pod_cannot_take_derives_a_valid_pod_record_and_says_so():
    """Found by test_dcatus3_roundtrip_property.py: DCAT-US 3.0 takes empty titles and descriptions, an
    empty list of contacts, `9637-15` as a year-month, any two characters as a language and any `R/P...`."""
    record = {
        "title": "",
        "description": "",
        "contactPoint": [],
        "identifier": "odd-1",
        "issued": "9637-15",
        "modified": "4487-60",
        "created": "2020-01",
        "language": ["en", "\u00c6K"],
        "accrualPeriodicity": "R/P\u00f9",
    }
    assert dcatus3.schema_errors(record, "dataset") == []
    division = {"title": "NOAA", "bureau_code": "006:48", "steward_name": "Steward", "steward_email": "s@noaa.gov"}
    derived, notes = dcatus3.to_pod_record(record, division)
    assert pod.schema_errors("dataset.json", derived) == []
    assert derived["title"] == derived["description"] == "odd-1"
    assert derived["contactPoint"] == {"@type": "vcard:Contact", "fn": "Steward", "hasEmail": "mailto:s@noaa.gov"}
    assert derived["modified"] == "2020-01" and derived["language"] == ["en"]
    assert "issued" not in derived and "accrualPeriodicity" not in derived
    assert {n["path"] for n in notes} >= {
        "$.title",
        "$.description",
        "$.contactPoint",
        "$.modified",
        "$.issued",
        "$.language",
        "$.accrualPeriodicity",
    }


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis")
class TestImport:
    def test_the_official_examples_import_kept_as_they_came_and_go_out_in_both_standards(
        self, app, sysadmin_context, tmp_path
    ):
        factories.Division(name="noaa", title="NOAA", acronym="NOAA", bureau_code="009:38")
        complete = _load("Dataset", "good", "complete_example.json")
        minimal = _load("Dataset", "good", "minimal_example.json")
        bad = _load("Dataset", "bad", "bad-accrual-periodicity.json")
        source = tmp_path / "catalog.json"
        source.write_text(json.dumps(_catalog(complete, minimal, bad)))

        report = jobs.import_catalog(sysadmin_context["user"], str(source), "noaa", "delete")
        assert sorted(report["created"]) == sorted(
            [dcatus3.record_identifier(complete), dcatus3.record_identifier(minimal)]
        )
        assert {f["path"] for f in report["failed"]} == {
            "dataset[2]",
            "dataset[2].accrualPeriodicity",
            "dataset[2].publisher",
        }
        datasets = {
            d["identifier"]: d
            for d in helpers.call_action("package_search", fq="organization:noaa", include_private=True)["results"]
        }
        kept = helpers.call_action("package_show", id=datasets[minimal["identifier"]]["id"])
        assert json.loads(kept[dcatus3.RECORD_FIELD]) == minimal
        assert {(f["path"], f["rule"]) for f in kept["hhs_findings"]} >= {("$.category", dcatus3.RULE_DERIVED)}

        # The public exports: the minimal example (no access rights: public) as it came, and its POD record.
        out = json.loads(app.get("/organization/noaa/dcat-us-3.json").get_data(as_text=True))
        assert dcatus3.schema_errors(out) == []
        assert out["dataset"] == [{"@type": "Dataset", **minimal}]
        datajson = json.loads(app.get("/organization/noaa/data.json").get_data(as_text=True))
        assert pod.schema_errors("catalog.json", datajson) == []
        [record] = datajson["dataset"]
        assert record["identifier"] == minimal["identifier"] and record["bureauCode"] == ["009:38"]
        # The complete example says its access rights in words: non-public, in the inventory only.
        complete_pkg = helpers.call_action("package_show", id=datasets[complete["identifier"]["notation"]]["id"])
        assert complete_pkg["access_level"] == "non-public"
        assert dcatus3.to_dataset(complete_pkg) == {"@type": "Dataset", **complete}

        again = jobs.import_catalog(sysadmin_context["user"], str(source), "noaa", "delete")
        assert sorted(again["unchanged"]) == sorted(report["created"]) and not again["updated"]

    def test_a_bad_data_service_is_refused_alone_and_the_datasets_go_in(self, sysadmin_context, tmp_path):
        """The official schema decides per record: a catalog's DataService that fails its definition
        is reported with its path and message; the catalog's datasets (and its good service) go in."""
        division = factories.Division(name="noaa", title="NOAA", bureau_code="009:38")
        with open(os.path.join(DEFINITIONS, "DataService.json"), encoding="utf-8") as f:
            good_service = json.load(f)["examples"][0]
        assert dcatus3.schema_errors(good_service, "dataservice") == []
        bad_service = {**good_service, "@id": "https://example.gov/services/broken", "endpointURL": "not a list"}
        del bad_service["contactPoint"], bad_service["identifier"]
        minimal = _load("Dataset", "good", "minimal_example.json")
        typical = _load("Catalog", "good", "typical_example.json")["dataset"][0]
        source = tmp_path / "catalog.json"
        source.write_text(json.dumps({**_catalog(minimal, typical), "service": [good_service, bad_service]}))

        report = jobs.import_catalog(sysadmin_context["user"], str(source), "noaa", "delete")
        assert report.get("error") is None
        assert sorted(report["created"]) == sorted([minimal["identifier"], typical["identifier"]])
        assert {(f["identifier"], f["path"]) for f in report["failed"]} == {
            ("https://example.gov/services/broken", "service[1]"),
            ("https://example.gov/services/broken", "service[1].endpointURL"),
        }
        messages = {f["path"]: f["message"] for f in report["failed"]}
        assert "'contactPoint' is a required property" in messages["service[1]"]
        assert "is not of type 'array'" in messages["service[1].endpointURL"]
        stored = [helpers.call_action("package_show", id=i) for i in _ids(division["id"])]
        assert sorted(json.loads(p[dcatus3.RECORD_FIELD])["identifier"] for p in stored) == sorted(report["created"])

    def test_the_catalogs_own_properties_still_refuse_it_whole(self, sysadmin_context, tmp_path):
        division = factories.Division(name="noaa", title="NOAA", bureau_code="009:38")
        source = tmp_path / "catalog.json"
        bad = _load("Catalog", "bad", "invalid_issued_format.json")
        source.write_text(json.dumps(bad))
        report = jobs.import_catalog(sysadmin_context["user"], str(source), "noaa", "delete")
        assert "fails the DCAT-US 3.0 Catalog definition at $.issued" in report["error"]
        assert _ids(division["id"]) == []

    def test_the_hubs_own_export_of_the_cms_catalog_round_trips(self, app, sysadmin_context, tmp_path):
        """CMS's POD catalog in, its DCAT-US 3.0 export into a second division, that division's export:
        the same datasets, and its /data.json a valid POD catalog of the same records."""
        factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", bureau_code="009:38")
        factories.Division(name="cms-mirror", title="CMS mirror", bureau_code="009:38")
        jobs.import_catalog(sysadmin_context["user"], CMS, "cms", "delete")
        first = json.loads(app.get("/organization/cms/dcat-us-3.json").get_data(as_text=True))
        source = tmp_path / "cms-dcat-us-3.json"
        source.write_text(json.dumps(first))

        report = jobs.import_catalog(sysadmin_context["user"], str(source), "cms-mirror", "delete")
        assert len(report["created"]) == 139 and not report["failed"]
        second = json.loads(app.get("/organization/cms-mirror/dcat-us-3.json").get_data(as_text=True))
        assert dcatus3.schema_errors(second) == []

        def by_identifier(catalog):
            return sorted(catalog["dataset"], key=lambda d: d["identifier"])

        assert by_identifier(second) == by_identifier(first)

        datajson = json.loads(app.get("/organization/cms-mirror/data.json").get_data(as_text=True))
        assert pod.schema_errors("catalog.json", datajson) == []
        with open(CMS, encoding="utf-8") as f:
            original = {r["identifier"]: r for r in json.load(f)["dataset"]}
        assert {r["identifier"] for r in datajson["dataset"]} == set(original)
        for record in datajson["dataset"]:
            source_record = original[record["identifier"]]
            for key in ("title", "description", "keyword", "bureauCode", "programCode", "accessLevel", "modified"):
                assert record[key] == source_record[key], (record["identifier"], key)
            downloads = {d.get("downloadURL") for d in record.get("distribution", [])}
            assert downloads == {d.get("downloadURL") for d in source_record.get("distribution", [])}

    def test_the_harvester_takes_a_dcat_us_3_catalog_and_reharvests_without_change(self, catalog_server):
        division = factories.Division(name="noaa", title="NOAA", bureau_code="009:38")
        minimal = _load("Dataset", "good", "minimal_example.json")
        typical = _load("Catalog", "good", "typical_example.json")
        url = catalog_server.serve("/catalog.json", json.dumps({**typical, "dataset": [*typical["dataset"], minimal]}))
        source = harvest_source(url, division, "noaa-dcat-us-3", "NOAA DCAT-US 3.0")

        def harvest():
            job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
            run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
            return helpers.call_action("harvest_job_show", id=job["id"])["stats"]

        assert harvest()["added"] == 2
        found = helpers.call_action("package_search", fq="organization:noaa")["results"]
        before = {d["id"]: d["metadata_modified"] for d in found}
        kept = {
            json.loads(helpers.call_action("package_show", id=i)[dcatus3.RECORD_FIELD])["identifier"] for i in before
        }
        assert kept == {minimal["identifier"], typical["dataset"][0]["identifier"]}
        stats = harvest()
        assert stats["not modified"] == 2 and stats["added"] == stats["updated"] == 0
        after = {
            d["id"]: d["metadata_modified"]
            for d in helpers.call_action("package_search", fq="organization:noaa")["results"]
        }
        assert after == before
