"""Quality checks: suggestions on real catalog records, mojibake repairs, one-click accept (hub dataset
patched and in its activity stream; harvested dataset onto its source's fix list), who may see and decide."""

from __future__ import annotations

import csv
import json
import os

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import vocab
from ckanext.hhs.governance.quality import checks as quality
from ckanext.hhs.governance.quality import model as qm
from ckanext.hhs.governance.quality import seed as quality_seed
from ckanext.hhs.harvest import jobs as harvest_jobs
from ckanext.hhs.tests import factories

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
GLOSSARY = os.path.join(os.path.dirname(vocab.__file__), "glossary", "data", "hhs-glossary.csv")
MOJIBAKE = "Enrollment counts for this yearÃ¢â‚¬â„¢s open enrollment period, by state and plan type, for Medicare."
PLUGINS = (
    "hhs hhs_catalog hhs_harvest hhs_glossary hhs_governance scheming_datasets scheming_organizations "
    "dcat structured_data harvest"
)

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    # Storing each starter term's embedding takes seconds here; the check compares names, not meanings.
    pytest.mark.ckan_config("ckanext.hhs.glossary.similar_by_meaning", "false"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _ctx(user: dict | None) -> dict:
    return {"user": user["name"] if user else "", "ignore_auth": False}


def _seed_glossary() -> None:
    """The starter glossary's approved terms, through the glossary's own import action."""
    with open(GLOSSARY, encoding="utf-8") as f:
        rows = [
            {
                "name": r["name"],
                "displayName": r["displayName"],
                "description": r["description"],
                "abbreviation": r.get("abbreviation") or "",
                "synonyms": [s for s in (r.get("synonyms") or "").split(";") if s.strip()],
                "status": "approved",
            }
            for r in csv.DictReader(f)
            if (r.get("status") or "approved") == "approved"
        ]
    report = helpers.call_action("hhs_glossary_import", context=_ctx(ckan_factories.Sysadmin()), rows=rows)
    assert report["created"], report["failed"][:3]


@pytest.fixture
def cms(board):
    editor, outsider_editor = ckan_factories.User(), ckan_factories.User()
    org = factories.Division(
        name="cms",
        bureau_code="009:38",
        steward_name="CMS Data Stewardship",
        steward_email="datastewards@cms.hhs.gov",
        users=[{"name": editor["name"], "capacity": "editor"}],
    )
    other = factories.Division(
        name="cdc", bureau_code="009:20", users=[{"name": outsider_editor["name"], "capacity": "editor"}]
    )
    return {"org": org, "editor": editor, "other": other, "other_editor": outsider_editor, "board": board}


def _import_cms(tmp_path, count: int) -> list[dict]:
    """The first `count` records of CMS's real data.json, imported into cms as the importer does."""
    with open(CMS, encoding="utf-8") as f:
        catalog = json.load(f)
    catalog["dataset"] = catalog["dataset"][:count]
    path = tmp_path / "data.json"
    path.write_text(json.dumps(catalog))
    sysadmin = ckan_factories.Sysadmin()
    report = harvest_jobs.import_catalog(sysadmin["name"], str(path), "cms", "delete")
    assert report["summary"]["created"] == count
    return catalog["dataset"]


def _suggestions(package_id: str, user: dict, **filters) -> list[dict]:
    return helpers.call_action("hhs_governance_suggestion_list", context=_ctx(user), id=package_id, **filters)[
        "results"
    ]


class TestCheck:
    def test_suggestions_on_real_cms_records(self, cms, tmp_path):
        _seed_glossary()
        records = _import_cms(tmp_path, 12)
        run = helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["board"].editor), wait=True)
        assert run["status"] == "finished", run["error"]
        assert run["checked"] == 12 and run["failed"] == 0

        by_title = {r["title"]: r for r in records}
        rows = model.Session.query(qm.Suggestion).all()
        kinds = {s.kind for s in rows}
        assert {"glossary", "theme", "steward"} <= kinds
        # Each record names no steward: its division's steward is suggested.
        steward = next(s for s in rows if s.kind == "steward")
        assert steward.suggested == [{"name": "CMS Data Stewardship", "email": "datastewards@cms.hhs.gov"}]
        # "Medicare beneficiaries" in a description suggests the glossary term.
        pkg = model.Package.by_name(model.Package.get(steward.package_id).name)
        aco = next(t for t in by_title if "Aligned Beneficiaries" in t)
        aco_pkg = model.Session.query(model.Package).filter_by(title=aco).one()
        terms = {s.suggested for s in rows if s.kind == "glossary" and s.package_id == aco_pkg.id}
        assert "medicare-beneficiary" in terms or "beneficiary" in terms
        assert not {s.suggested for s in rows if s.kind == "glossary"} & quality.CATALOG_TERMS
        themes = {s.suggested for s in rows if s.kind == "theme"}
        assert themes <= set(vocab.HEALTH_THEMES) and themes
        # Harvested: each suggestion knows its source and the record's identifier there (for the fix list).
        assert pkg is not None and steward.source and steward.identifier in {r["identifier"] for r in records}

        # Idempotent and incremental: nothing changed, nothing checked, nothing doubled.
        again = helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["board"].editor), wait=True)
        assert again["status"] == "finished" and again["checked"] == 0
        assert model.Session.query(qm.Suggestion).count() == len(rows)
        forced = helpers.call_action(
            "hhs_governance_quality_check", context=_ctx(cms["board"].editor), wait=True, force=True
        )
        assert forced["checked"] == 12
        assert model.Session.query(qm.Suggestion).count() == len(rows)

        summary = helpers.call_action("hhs_governance_quality_summary", context=_ctx(cms["board"].member))
        assert summary["datasets_checked"] == 12
        assert summary["suggestions_open"] == len(rows)
        assert summary["by_division"]["cms"]["open"] == len(rows)
        assert summary["last_run_status"] == "finished"

    def test_mojibake_repaired_by_ftfy(self, cms):
        dataset = factories.HhsDataset(
            owner_org=cms["org"]["id"], title="Medicare Open Enrollment Counts", notes=MOJIBAKE
        )
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
        found = [s for s in _suggestions(dataset["id"], cms["editor"]) if s["kind"] == "encoding"]
        assert len(found) == 1
        assert found[0]["field"] == "notes" and found[0]["current"] == MOJIBAKE
        assert "this year\u2019s open enrollment" in found[0]["suggested"]
        assert "Ã" not in found[0]["suggested"]

    def test_a_failed_run_is_recorded(self, cms, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("the glossary is down")

        monkeypatch.setattr(quality.Glossary, "load", broken)
        run = helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["board"].editor), wait=True)
        # A neutral message naming the run (the exception is in the log only)
        assert run["status"] == "failed" and "glossary is down" not in run["error"] and run["id"] in run["error"]
        summary = helpers.call_action("hhs_governance_quality_summary", context=_ctx(cms["board"].member))
        assert summary["last_run_status"] == "failed"


class TestAccept:
    def test_accept_on_hub_dataset_patches_it_as_the_steward_with_activity(self, cms):
        dataset = factories.HhsDataset(
            owner_org=cms["org"]["id"], title="Medicare Open Enrollment Counts", notes=MOJIBAKE
        )
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
        repair = next(s for s in _suggestions(dataset["id"], cms["editor"]) if s["kind"] == "encoding")
        accepted = helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=repair["id"])
        assert accepted["status"] == "accepted" and accepted["outcome"] == "applied"
        shown = helpers.call_action("package_show", id=dataset["id"])
        assert shown["notes"] == repair["suggested"]
        # Recorded as the steward's change (package_patch as the caller, never ignore_auth).
        revision = model.Session.query(model.Package).get(dataset["id"])
        assert revision.metadata_modified.isoformat() > dataset["metadata_modified"]
        with pytest.raises(Exception, match="already decided"):
            helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=repair["id"])

    def test_accept_adds_a_health_theme(self, cms):
        dataset = factories.HhsDataset(
            owner_org=cms["org"]["id"],
            title="Hospital Readmissions by Provider",
            notes="Readmission rates of hospitals, a quality measure of patient safety, by provider and state.",
            tag_string="hospital,readmission,quality",
        )
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
        theme = next(s for s in _suggestions(dataset["id"], cms["editor"], kind="theme"))
        helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=theme["id"])
        assert theme["suggested"] in helpers.call_action("package_show", id=dataset["id"])["health_theme"]

    def test_accept_a_suggested_glossary_term(self, cms):
        _seed_glossary()
        dataset = factories.HhsDataset(
            owner_org=cms["org"]["id"],
            title="Part D Prescriber Counts",
            notes="Counts of Medicare beneficiaries who filled prescriptions, by prescriber and state.",
        )
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
        terms = {s["suggested"]: s for s in _suggestions(dataset["id"], cms["editor"], kind="glossary")}
        assert "medicare-beneficiary" in terms  # named in the plural
        helpers.call_action(
            "hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=terms["medicare-beneficiary"]["id"]
        )
        assert helpers.call_action("package_show", id=dataset["id"])["glossary_terms"] == ["medicare-beneficiary"]

    def test_accept_on_harvested_dataset_goes_onto_the_fix_list_not_the_dataset(self, cms, tmp_path, app):
        _import_cms(tmp_path, 3)
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["board"].editor), wait=True)
        steward = model.Session.query(qm.Suggestion).filter_by(kind="steward").first()
        before = helpers.call_action("package_show", id=steward.package_id)
        accepted = helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=steward.id)
        assert accepted["outcome"] == "fix_list"
        after = helpers.call_action("package_show", id=steward.package_id)
        assert after["metadata_modified"] == before["metadata_modified"]
        assert not after.get("data_steward")

        fixes = helpers.call_action("hhs_governance_fixlist_show", context=_ctx(cms["editor"]), division="cms")
        assert [r["identifier"] for r in fixes["rows"]] == [before["identifier"]]
        assert fixes["rows"][0]["field"] == "data_steward"
        assert "datastewards@cms.hhs.gov" in fixes["rows"][0]["suggested"]
        by_source = helpers.call_action(
            "hhs_governance_fixlist_show", context=_ctx(cms["editor"]), division="cms", source=before["source_catalog"]
        )
        assert len(by_source["rows"]) == 1

        token = helpers.call_action(
            "api_token_create", context=_ctx(cms["editor"]), user=cms["editor"]["name"], name="t"
        )
        headers = {"Authorization": token["token"]}
        body = app.get("/governance/quality/fixlist/cms.csv", headers=headers, status=200)
        lines = body.get_data(as_text=True).splitlines()
        assert lines[0] == "identifier,field,current,suggested,reason"
        assert before["identifier"] in lines[1]
        as_json = app.get("/governance/quality/fixlist/cms.json", headers=headers, status=200).json
        assert as_json["rows"][0]["identifier"] == before["identifier"]
        # Another division's editor does not get CMS's fix list.
        other = helpers.call_action(
            "api_token_create", context=_ctx(cms["other_editor"]), user=cms["other_editor"]["name"], name="t"
        )
        app.get("/governance/quality/fixlist/cms.csv", headers={"Authorization": other["token"]}, status=403)

    def test_dismissed_suggestion_is_not_made_again(self, cms):
        dataset = factories.HhsDataset(
            owner_org=cms["org"]["id"], title="Medicare Open Enrollment Counts", notes=MOJIBAKE
        )
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
        repair = next(s for s in _suggestions(dataset["id"], cms["editor"]) if s["kind"] == "encoding")
        helpers.call_action("hhs_governance_suggestion_dismiss", context=_ctx(cms["editor"]), id=repair["id"])
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
        assert not [s for s in _suggestions(dataset["id"], cms["editor"]) if s["kind"] == "encoding"]
        dismissed = _suggestions(dataset["id"], cms["editor"], status="dismissed")
        assert [s["id"] for s in dismissed] == [repair["id"]]


class TestPermissions:
    def test_other_divisions_cannot_list_or_decide(self, cms):
        import ckan.plugins.toolkit as tk

        dataset = factories.HhsDataset(owner_org=cms["org"]["id"], notes=MOJIBAKE)
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
        suggestion = _suggestions(dataset["id"], cms["editor"])[0]
        for user in (cms["other_editor"], cms["board"].outsider, None):
            with pytest.raises(tk.NotAuthorized):
                helpers.call_action("hhs_governance_suggestion_list", context=_ctx(user), id=dataset["id"])
            for verb in ("accept", "dismiss"):
                with pytest.raises(tk.NotAuthorized):
                    helpers.call_action(f"hhs_governance_suggestion_{verb}", context=_ctx(user), id=suggestion["id"])
            with pytest.raises(tk.NotAuthorized):
                helpers.call_action("hhs_governance_quality_check", context=_ctx(user), id=dataset["id"], wait=True)
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_governance_suggestion_list", context=_ctx(cms["editor"]))  # all: the Board's
        # Board members see it; a board member who is no editor cannot decide.
        assert _suggestions(dataset["id"], cms["board"].member)
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action(
                "hhs_governance_suggestion_dismiss", context=_ctx(cms["board"].member), id=suggestion["id"]
            )

    def test_private_datasets_suggestions_are_never_shown(self, cms, app):
        import ckan.plugins.toolkit as tk

        private = factories.HhsDataset(
            owner_org=cms["org"]["id"], private=True, title="Secret Thing Counts", notes=MOJIBAKE
        )
        helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["board"].editor), wait=True)
        assert _suggestions(private["id"], cms["editor"])
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_governance_suggestion_list", context=_ctx(cms["other_editor"]), id=private["id"])
        token = helpers.call_action(
            "api_token_create", context=_ctx(cms["other_editor"]), user=cms["other_editor"]["name"], name="t"
        )
        app.get("/governance/quality", headers={"Authorization": token["token"]}, status=403)
        app.get(f"/dataset/{private['name']}", headers={"Authorization": token["token"]}, status=404)
        # Through the API as well.
        response = app.post(
            "/api/3/action/hhs_governance_suggestion_list",
            json={"id": private["id"]},
            headers={"Authorization": token["token"]},
        )
        assert response.status_code == 403
        assert "Secret Thing" not in response.get_data(as_text=True)


class TestJobsAndDemo:
    def test_queued_check_runs_in_a_real_worker(self, cms):
        from ckan.lib import jobs as ckan_jobs

        dataset = factories.HhsDataset(owner_org=cms["org"]["id"], notes=MOJIBAKE)
        queued = helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["board"].editor))
        assert queued["status"] == "queued"
        ckan_jobs.Worker([ckan_jobs.DEFAULT_QUEUE_NAME]).work(burst=True)
        model.Session.remove()
        run = model.Session.get(qm.QualityRun, queued["id"])
        assert run.status == "finished" and run.checked == 1
        assert [s for s in _suggestions(dataset["id"], cms["editor"]) if s["kind"] == "encoding"]

    def test_cli_checks_and_says_so(self, cms, cli):
        from ckan.cli.cli import ckan as ckan_cli

        factories.HhsDataset(owner_org=cms["org"]["id"], notes=MOJIBAKE)
        result = cli.invoke(ckan_cli, ["hhs", "governance", "quality"])
        assert result.exit_code == 0, result.output
        assert "Quality check finished: 1 datasets checked, 0 failed." in result.output

    def test_seed_demo_shows_the_board_a_mojibake_repair(self, cms, tmp_path):
        _seed_glossary()
        _import_cms(tmp_path, 5)
        line = quality_seed.seed_demo()
        assert line.startswith("Quality check finished: 6 datasets checked")
        listed = helpers.call_action(
            "hhs_governance_suggestion_list", context=_ctx(cms["board"].member), division="cms", kind="encoding"
        )
        assert listed["count"] == 1
        assert "year\u2019s enrollment" in listed["results"][0]["suggested"]
        assert listed["results"][0]["name"] == quality_seed.MOJIBAKE_DEMO["name"]
        assert helpers.call_action("hhs_governance_suggestion_list", context=_ctx(cms["board"].member))["count"] > 10

    def test_division_page_links_its_fix_list_for_its_members(self, cms, app):
        def page(user):
            headers = {}
            if user:
                token = helpers.call_action("api_token_create", context=_ctx(user), user=user["name"], name="t")
                headers = {"Authorization": token["token"]}
            return app.get("/organization/cms", headers=headers).get_data(as_text=True)

        assert "/governance/quality/fixlist/cms.csv" in page(cms["editor"])
        assert "/governance/quality/fixlist/cms.csv" in page(cms["board"].member)
        assert "/governance/quality/fixlist/cms.csv" not in page(cms["other_editor"])
        assert "/governance/quality/fixlist/cms.csv" not in page(None)
