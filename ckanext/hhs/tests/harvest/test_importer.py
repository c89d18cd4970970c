"""Catalog import: nothing lost, nothing doubled, bad records reported, the POD round trip."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ckan.tests import helpers

from ckanext.hhs import pod, vocab
from ckanext.hhs.harvest import jobs
from ckanext.hhs.tests import factories

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")


@pytest.fixture
def cms_catalog():
    with open(CMS, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def division():
    return factories.Division(name="cms", bureau_code="009:38")


def _write(tmp_path, catalog, name="data.json"):
    path = tmp_path / name
    path.write_text(json.dumps(catalog))
    return str(path)


def _import(sysadmin_context, path, withdraw="delete"):
    """The import job as the worker runs it, in this process (tests of the action run a real worker)."""
    return jobs.import_catalog(sysadmin_context["user"], path, "cms", withdraw)


def _comparable(record):
    """POD records compare by content; the order of keys and of list items that are sets does not matter."""
    record = copy.deepcopy(record)
    record["keyword"] = sorted(record.get("keyword", []))
    return record


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestImport:
    def test_cms_catalog_imports_whole_and_round_trips(self, sysadmin_context, division, cms_catalog):
        report = _import(sysadmin_context, CMS)
        assert report["summary"] == {
            "created": 139,
            "updated": 0,
            "unchanged": 0,
            "withdrawn": 0,
            "failed": 0,
            "warnings": 0,
        }
        assert helpers.call_action("package_search", fq="organization:cms")["count"] == 139

        by_identifier = {r["identifier"]: r for r in cms_catalog["dataset"]}
        search = helpers.call_action("package_search", fq="organization:cms", rows=1000)
        for pkg in search["results"]:
            exported = pod.to_pod(helpers.call_action("package_show", id=pkg["id"]))
            assert _comparable(exported) == _comparable(by_identifier[pkg["identifier"]])
            assert pod.schema_errors("dataset.json", exported) == []

    def test_a_new_dataset_is_indexed_once_whole(self, tmp_path, monkeypatch, sysadmin_context, division, cms_catalog):
        from ckan.lib.search.index import PackageSearchIndex

        indexed = []
        index_package = PackageSearchIndex.index_package

        def counting(self, pkg_dict, *args, **kwargs):
            indexed.append(pkg_dict["id"])
            return index_package(self, pkg_dict, *args, **kwargs)

        monkeypatch.setattr(PackageSearchIndex, "index_package", counting)
        cms_catalog["dataset"] = cms_catalog["dataset"][:3]
        _import(sysadmin_context, _write(tmp_path, cms_catalog))
        assert len(indexed) == len(set(indexed)) == 3
        for record in cms_catalog["dataset"]:
            found = helpers.call_action("package_search", fq=f'identifier:"{record["identifier"]}"')["results"]
            assert [d["num_resources"] for d in found] == [len(record.get("distribution", []))]
            assert found[0]["organization"]["name"] == "cms"
            assert {t["name"] for t in found[0]["tags"]} == {pod.tag_name(k) for k in record["keyword"]} - {""}

    def test_reimport_without_change_changes_nothing(self, sysadmin_context, division):
        _import(sysadmin_context, CMS)
        ids = {d["id"] for d in helpers.call_action("package_search", rows=1000)["results"]}
        again = _import(sysadmin_context, CMS)
        assert again["summary"] == {
            "created": 0,
            "updated": 0,
            "unchanged": 139,
            "withdrawn": 0,
            "failed": 0,
            "warnings": 0,
        }
        assert {d["id"] for d in helpers.call_action("package_search", rows=1000)["results"]} == ids

    def test_changed_record_updates_in_place_and_removed_one_is_withdrawn(
        self, tmp_path, sysadmin_context, division, cms_catalog
    ):
        cms_catalog["dataset"] = cms_catalog["dataset"][:3]
        path = _write(tmp_path, cms_catalog)
        _import(sysadmin_context, path)
        first = cms_catalog["dataset"][0]
        before = helpers.call_action("package_search", fq=f'identifier:"{first["identifier"]}"')["results"][0]

        first["title"] = "A new title"
        gone = cms_catalog["dataset"].pop()
        _write(tmp_path, cms_catalog)
        report = _import(sysadmin_context, path)
        assert report["summary"] == {
            "created": 0,
            "updated": 1,
            "unchanged": 1,
            "withdrawn": 1,
            "failed": 0,
            "warnings": 0,
        }
        after = helpers.call_action("package_show", id=before["id"])
        assert (after["name"], after["title"]) == (before["name"], "A new title")
        assert helpers.call_action("package_search", fq=f'identifier:"{gone["identifier"]}"')["count"] == 0

    def test_withdrawn_record_can_be_kept_marked(self, tmp_path, sysadmin_context, division, cms_catalog):
        cms_catalog["dataset"] = cms_catalog["dataset"][:2]
        path = _write(tmp_path, cms_catalog)
        _import(sysadmin_context, path)
        gone = cms_catalog["dataset"].pop()
        _write(tmp_path, cms_catalog)
        assert _import(sysadmin_context, path, withdraw="keep")["withdrawn"] == [gone["identifier"]]
        kept = helpers.call_action("package_search", fq=f'identifier:"{gone["identifier"]}"')["results"][0]
        assert kept["source_withdrawn"] is True
        # A second run does not withdraw it again; its return updates it in place.
        assert _import(sysadmin_context, path, withdraw="keep")["summary"]["withdrawn"] == 0
        cms_catalog["dataset"].append(gone)
        _write(tmp_path, cms_catalog)
        assert _import(sysadmin_context, path)["updated"] == [gone["identifier"]]
        assert helpers.call_action("package_show", id=kept["id"]).get("source_withdrawn") in (None, False)

    def test_bad_and_duplicate_records_are_reported_and_the_rest_go_through(
        self, tmp_path, sysadmin_context, division, cms_catalog
    ):
        records = cms_catalog["dataset"][:4]
        bad_schema = copy.deepcopy(records[1])
        del bad_schema["bureauCode"]
        bad_hhs = copy.deepcopy(records[2])
        bad_hhs["accrualPeriodicity"] = "R/P1Y"
        bad_hhs["bureauCode"] = ["009:99"]
        oversized = copy.deepcopy(records[3])
        oversized["keyword"] = [f"keyword {n}" for n in range(5000)]
        duplicate = copy.deepcopy(records[0])
        cms_catalog["dataset"] = [records[0], bad_schema, bad_hhs, oversized, duplicate]
        report = _import(sysadmin_context, _write(tmp_path, cms_catalog))

        # POD decides acceptance: records that break only HHS rules are kept, with warnings.
        assert report["created"] == [records[0]["identifier"], records[2]["identifier"], records[3]["identifier"]]
        failures = {(f["identifier"], f["path"]): f["message"] for f in report["failed"]}
        assert set(failures) == {
            (records[1]["identifier"], "dataset[1]"),
            (records[0]["identifier"], "dataset[4].identifier"),
        }
        assert "'bureauCode' is a required property" in failures[(records[1]["identifier"], "dataset[1]")]
        assert "appears more than once" in failures[(records[0]["identifier"], "dataset[4].identifier")]
        warnings = {(w["identifier"], w["path"]): w["message"] for w in report["warnings"]}
        assert "not on the OMB bureau code list" in warnings[(records[2]["identifier"], "dataset[2].bureauCode")]
        assert "first 200 keywords" in warnings[(records[3]["identifier"], "dataset[3].keyword")]
        assert report["summary"]["warnings"] == len(report["warnings"]) == 2
        assert helpers.call_action("package_search")["count"] == 3

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("<html>not json</html>", "is not JSON"),
            (json.dumps({"datasets": []}), "no 'dataset' array"),
            (json.dumps({"dataset": [], "conformsTo": "https://example.com/other"}), "catalog schema"),
        ],
    )
    def test_a_source_that_is_not_a_pod_catalog_fails_with_the_reason(
        self, tmp_path, sysadmin_context, division, content, message
    ):
        path = tmp_path / "data.json"
        path.write_text(content)
        assert message in _import(sysadmin_context, str(path))["error"]


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("title"),
        lambda d: d.update(modified="yesterday"),
        lambda d: d.update(bureauCode=["9:38"]),
        lambda d: d.update(accessLevel="secret"),
        lambda d: d["distribution"][0].update(mediaType="csv"),
        lambda d: d.update(keyword="one string"),
        lambda d: d.update(contactPoint={"fn": "No email"}),
        lambda d: d.update(accrualPeriodicity="weekly"),
        lambda d: d.update(publisher={"title": "No name"}),
        lambda d: d.update(issued="2020-13-45"),
    ],
)
def test_fast_schema_check_agrees_with_jsonschema(cms_catalog, change):
    """Records the fast (fastjsonschema) check passes are exactly those jsonschema finds valid."""
    for record in cms_catalog["dataset"]:
        assert pod.schema_errors("dataset.json", record) == []
        assert pod._validator("dataset.json").is_valid(record)
        broken = copy.deepcopy(record)
        change(broken)
        assert pod.schema_errors("dataset.json", broken) != []
        with pytest.raises(pod.fastjsonschema.JsonSchemaException):
            pod._fast_validator("dataset.json")(broken)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_the_cli_lists_failures_and_warnings_by_record(cli, tmp_path, division, cms_catalog):
    from ckan.cli.cli import ckan as ckan_cli

    kept, bad = copy.deepcopy(cms_catalog["dataset"][:2])
    kept.update(accessLevel="non-public")
    kept.pop("rights", None)  # POD allows it; the hub's rule wants rights on non-public data
    del bad["title"]
    result = cli.invoke(
        ckan_cli,
        ["hhs", "import-catalog", _write(tmp_path, {**cms_catalog, "dataset": [kept, bad]}), "--division", "cms"],
    )
    assert result.exit_code == 0, result.output
    assert f"{bad['identifier']}: dataset[1]: 'title' is a required property" in result.output
    assert kept["identifier"] in result.output and "1 created" in result.output and "1 warnings" in result.output


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_name_taken_during_the_write_gets_the_next_free_one(sysadmin_context, division, cms_catalog):
    """Two imports into one division at once: the other one takes this record's URL name between
    unique_name and the write. The record is written under the next free name, not failed."""
    from ckanext.hhs.harvest import importer

    record = cms_catalog["dataset"][0]
    (step,) = importer.plan({"dataset": [record]}, division["id"], "race-test").steps
    name = importer.unique_name(record["title"], set())
    other: list[dict] = []

    def the_other_import_writes_first(_package_id):
        if not other:
            other.append(factories.HhsDataset(owner_org=division["id"], name=name))

    outcome, package_id = importer.apply(
        sysadmin_context, division["id"], step, "race-test", before_write=the_other_import_writes_first
    )
    written = helpers.call_action("package_show", id=package_id)
    assert outcome == "created" and written["name"] == f"{name}-2"
    assert written["identifier"] == record["identifier"] and other[0]["name"] == name
