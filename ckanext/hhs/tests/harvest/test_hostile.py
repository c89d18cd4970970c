"""Hostile catalogs never crash an import: through the job, the action API (a real worker) and a harvest job."""

from __future__ import annotations

import json
import os

import pytest

import ckan.lib.jobs as ckan_jobs
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.harvest.model import HarvestJob
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs import pod
from ckanext.hhs.harvest import harvester, importer, jobs
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests.helpers import auth_headers, harvest_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
CORPUS = os.path.join(os.path.dirname(__file__), "..", "data", "corpus")
HEAD = (
    '{"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@type": "dcat:Catalog", '
    '"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", '
    '"describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json", "dataset": [%s]}'
)


def _record(identifier, **changes):
    record = {
        "title": f"Record {identifier}",
        "description": "A record of a hostile catalog.",
        "keyword": ["hostile"],
        "modified": "2024-01-01",
        "publisher": {"name": "CMS"},
        "contactPoint": {"fn": "Team", "hasEmail": "mailto:team@cms.hhs.gov"},
        "identifier": identifier,
        "accessLevel": "public",
        "bureauCode": ["009:38"],
        "programCode": ["009:000"],
    }
    record.update(changes)
    return record


def _catalog(*records: str | dict) -> str:
    """Catalog text; records given as text keep escapes json.dumps would not write (lone surrogates)."""
    return HEAD % ", ".join(r if isinstance(r, str) else json.dumps(r) for r in records)


# A NUL in the title, a lone surrogate escape in a keyword and in an extension property's name,
# bytes that are not UTF-8 in the description: all POD-valid once read.
NUL = _record("nul", title="Claims\u0000 2024")
SURROGATE = (
    json.dumps(_record("surrogate", keyword=["SURROGATE"], **{"x-note": "n"}))
    .replace('"SURROGATE"', '"lone \\ud800 half"')
    .replace('"x-note"', '"x-\\udc00"')
)
GOOD = _record("good")


@pytest.fixture
def sysadmin():
    return ckan_factories.Sysadmin()


def _write(tmp_path, text: str | bytes, name="data.json"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return str(path)


def _show(identifier):
    found = helpers.call_action("package_search", fq=f'identifier:"{identifier}"')["results"]
    assert len(found) == 1, identifier
    return helpers.call_action("package_show", id=found[0]["id"])


class TestJob:
    def test_unstorable_characters_are_replaced_and_reported_by_path(self, tmp_path, sysadmin, division):
        not_utf8 = (
            json.dumps(_record("latin1", description="caf\u00e9"), ensure_ascii=False)
            .encode()
            .replace(b"caf\xc3\xa9", b"caf\xe9")
        )
        text = _catalog(NUL, SURROGATE, GOOD).encode("utf-8")
        path = _write(tmp_path, text[:-2] + b", " + not_utf8 + b"]}")
        report = jobs.import_catalog(sysadmin["name"], path, "cms", "delete")

        assert report["failed"] == []
        assert sorted(report["created"]) == ["good", "latin1", "nul", "surrogate"]
        paths = {(w["identifier"], w["path"]) for w in report["warnings"] if "U+FFFD" in w["message"]}
        assert paths == {
            ("nul", "dataset[0].title"),
            ("surrogate", "dataset[1].keyword[0]"),
            ("surrogate", "dataset[1].x-\ufffd"),
            ("latin1", "dataset[3].description"),
        }
        assert pod.to_pod(_show("nul"))["title"] == "Claims\ufffd 2024"
        surrogate = pod.to_pod(_show("surrogate"))
        assert surrogate["keyword"] == ["lone \ufffd half"] and surrogate["x-\ufffd"] == "n"
        assert pod.to_pod(_show("latin1"))["description"] == "caf\ufffd"

    def test_depth_and_size_limits_fail_the_catalog_with_a_clear_error(self, tmp_path, monkeypatch, sysadmin, division):
        # One record nested too deep is that record's failure; the others go through (#23).
        deep = _record("deep", **{"x-deep": json.loads("[" * 40 + "]" * 40)})
        report = jobs.import_catalog(sysadmin["name"], _write(tmp_path, _catalog(deep, GOOD)), "cms", "delete")
        assert report["created"] == ["good"]
        assert [(f["identifier"], f["message"]) for f in report["failed"]] == [
            ("deep", "the record nests deeper than 32 levels, the limit for a record")
        ]
        very_deep = _catalog(GOOD)[:-2] + ", " + "[" * 200_000 + "]" * 200_000 + "]}"
        report = jobs.import_catalog(sysadmin["name"], _write(tmp_path, very_deep, "deeper.json"), "cms", "delete")
        assert "too deeply" in report["error"] or "deeper than" in report["error"]
        monkeypatch.setitem(tk.config, "ckanext.hhs.max_fetch_bytes", 500)
        report = jobs.import_catalog(
            sysadmin["name"], _write(tmp_path, _catalog(GOOD, GOOD), "big.json"), "cms", "delete"
        )
        assert "the limit for a catalog" in report["error"]
        # Only the first import wrote: the refused catalogs changed nothing.
        assert [d["identifier"] for d in helpers.call_action("package_search")["results"]] == ["good"]
        # A record over the record size limit fails alone.
        monkeypatch.setitem(tk.config, "ckanext.hhs.max_fetch_bytes", 10_000_000)
        huge = _record("huge", description="x" * (importer.MAX_RECORD_BYTES + 1))
        report = jobs.import_catalog(
            sysadmin["name"], _write(tmp_path, _catalog(huge, GOOD), "huge.json"), "cms", "delete"
        )
        assert report["unchanged"] == ["good"]  # written by the first import
        assert "the limit is" in report["failed"][0]["message"]

    def test_one_records_failure_rolls_back_that_record_only(self, tmp_path, monkeypatch, sysadmin, division):
        import ckan.model as model

        commit = importer._commit_indexing_once

        def failing(package_id):
            # The dataset's rows are written in the session (not committed) when the failure comes.
            if model.Package.get(package_id).extras.get("identifier") == "boom":
                raise RuntimeError("the database went away")
            commit(package_id)

        monkeypatch.setattr(importer, "_commit_indexing_once", failing)
        path = _write(tmp_path, _catalog(_record("first"), _record("boom"), _record("last")))
        report = jobs.import_catalog(sysadmin["name"], path, "cms", "delete")
        assert sorted(report["created"]) == ["first", "last"]
        assert report["failed"] == [
            {
                "identifier": "boom",
                "path": "dataset[1]",
                "message": "the record could not be stored (RuntimeError); nothing of it was written",
            }
        ]
        assert helpers.call_action("package_search")["count"] == 2
        assert model.Session.query(model.Package).filter(model.Package.title == "Record boom").count() == 0

    def test_a_nul_in_the_source_path_is_a_clear_error(self, sysadmin, division):
        report = jobs.import_catalog(sysadmin["name"], "/tmp/data\x00.json", "cms", "delete")
        assert "Cannot read" in report["error"]


class TestActionApi:
    def _import(self, app, sysadmin, source):
        ckan_jobs.get_queue().empty()
        response = app.post(
            "/api/3/action/hhs_catalog_import",
            json={"source": source, "division": "cms"},
            headers=auth_headers(sysadmin["name"]),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        job_id = response.json["result"]["job_id"]
        ckan_jobs.Worker([ckan_jobs.DEFAULT_QUEUE_NAME]).work(burst=True)
        response = app.get(
            "/api/3/action/hhs_catalog_import_status",
            query_string={"id": job_id},
            headers=auth_headers(sysadmin["name"]),
        )
        assert response.status_code == 200
        return response.json["result"]

    def test_hostile_catalogs_give_a_report_or_a_clear_error_never_a_500(self, app, tmp_path, sysadmin, division):
        status = self._import(app, sysadmin, _write(tmp_path, _catalog(NUL, SURROGATE, GOOD)))
        assert status["status"] == "finished"
        assert status["report"]["summary"]["created"] == 3
        assert status["report"]["summary"]["warnings"] >= 3

        deep = _catalog(_record("deep", **{"x": json.loads("[" * 40 + "]" * 40)}))
        status = self._import(app, sysadmin, _write(tmp_path, deep, "deep.json"))
        assert status["status"] == "finished"
        assert "deeper than 32 levels" in status["report"]["failed"][0]["message"]

        # a NUL in the path is refused at the API's door, naming the field (PostgreSQL and paths cannot hold it)
        response = app.post(
            "/api/3/action/hhs_catalog_import",
            json={"source": "/tmp/nul\x00.json", "division": "cms"},
            headers=auth_headers(sysadmin["name"]),
            status=409,
        )
        assert "source" in response.json["error"]


class TestHarvest:
    def _harvest(self, url, division, config=None):
        source = harvest_source(url, division, "cms-catalog", "CMS catalog", config=config)
        job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
        run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
        job = helpers.call_action("harvest_job_show", id=job["id"])
        assert job["status"] == "Finished"
        return job, helpers.call_action("harvest_job_report", id=job["id"])

    def test_hostile_text_is_repaired_and_warned_not_errored(self, app, catalog_server, division):
        with open(os.path.join(CORPUS, "hhs-rules.json"), encoding="utf-8") as f:
            rules = json.load(f)["dataset"]
        url = catalog_server.serve(
            "/data.json", _catalog(NUL, SURROGATE, GOOD, rules[0]).encode("utf-8", "surrogatepass")
        )
        job, report = self._harvest(url, division)
        assert job["stats"]["added"] == 4 and job["stats"]["errored"] == 0
        assert report["object_errors"] == {}
        warnings = harvester.job_warnings(job["id"])
        assert set(warnings["records"]) == {"nul", "surrogate", rules[0]["identifier"]}
        assert warnings["count"] == sum(len(w) for w in warnings["records"].values()) >= 4
        assert {w["path"] for w in warnings["records"]["nul"]} == {"dataset[0].title"}
        assert [w["rule"] for w in warnings["records"][rules[0]["identifier"]]] == ["Rights missing on non-public data"]
        assert pod.to_pod(_show("nul"))["title"] == "Claims\ufffd 2024"
        # The job page lists them apart from the errors, for the source's editors.
        admin = ckan_factories.Sysadmin()
        page = app.get(f"/harvest/cms-catalog/job/{job['id']}", headers=auth_headers(admin["name"])).get_data(
            as_text=True
        )
        assert "No errors for this job" in page
        assert f"{warnings['count']} warnings" in page and "Rights missing on non-public data" in page

    def test_a_too_deep_record_fails_with_the_reason(self, catalog_server, division):
        url = catalog_server.serve("/data.json", _catalog(_record("deep", x=json.loads("[" * 40 + "]" * 40)), GOOD))
        job, report = self._harvest(url, division)
        assert job["stats"]["added"] == 1 and job["stats"]["errored"] == 1
        errors = [e["message"] for o in report["object_errors"].values() for e in o["errors"]]
        assert any("deeper than 32 levels" in m for m in errors), errors

    def test_a_strict_source_refuses_records_breaking_hhs_rules(self, catalog_server, division):
        with open(os.path.join(CORPUS, "hhs-rules.json"), encoding="utf-8") as f:
            rules = json.load(f)
        url = catalog_server.serve("/data.json", json.dumps(rules))
        job, report = self._harvest(url, division, config={"strict": True})
        errored = {o["guid"] for o in report["object_errors"].values()}
        assert {"IHS-NPIRS-2022", "SAMHSA-TEDS-A-RESTRICTED", "CDC-WONDER-TEST"} <= errored
        messages = " ".join(e["message"] for o in report["object_errors"].values() for e in o["errors"])
        assert "Rights are required" in messages


def test_strict_is_a_checked_source_option():
    assert HhsHarvestPlugin().validate_config(json.dumps({"strict": True, "withdraw": "keep"}))
    with pytest.raises(ValueError, match="strict"):
        HhsHarvestPlugin().validate_config(json.dumps({"strict": "yes"}))
