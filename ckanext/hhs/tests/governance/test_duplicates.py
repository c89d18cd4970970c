"""The duplicate scan on real CMS catalog records imported as a division's harvest, copies of some of them
published by other divisions: the signals found, same-division pairs left out, decisions remembered
across rescans, incremental rescans, the authoritative resolution and permissions."""

from __future__ import annotations

import copy
import json
import os

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.governance.duplicates import model as gm
from ckanext.hhs.governance.duplicates import scan as duplicates
from ckanext.hhs.governance.duplicates import seed as duplicates_seed
from ckanext.hhs.harvest import importer
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

CMS_JSON = os.path.join(os.path.dirname(__file__), "..", "..", "data", "demo", "cms-data.json")
# Indexes of the CMS records used: a handful is enough and keeps the embedding quick.
CMS_USED = range(6)


_MEMO: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _embed_once(monkeypatch):
    """The model is deterministic: each text is embedded once for the whole module, to save minutes.
    The scan's own counts (what it asked to embed) are unchanged by this."""
    import numpy as np

    real = duplicates._embed

    def memo(texts):
        missing = [t for t in texts if t not in _MEMO]
        if missing:
            _MEMO.update(zip(missing, real(missing), strict=True))
        return np.stack([_MEMO[t] for t in texts])

    monkeypatch.setattr(duplicates, "_embed", memo)


def act(action: str, user: dict | None, **data):
    return helpers.call_action(action, context={"user": user["name"] if user else "", "ignore_auth": False}, **data)


def cms_records() -> list[dict]:
    with open(CMS_JSON, encoding="utf-8") as f:
        records = json.load(f)["dataset"]
    return [records[i] for i in CMS_USED]


def import_records(division: str, records: list[dict], source: str) -> None:
    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    catalog = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": records}
    report = importer.import_catalog({"user": site}, catalog, division, source)
    assert not report.failed, report.failed


def dataset_id(identifier: str, division: str | None = None) -> str:
    q = (
        model.Session.query(model.PackageExtra.package_id)
        .filter(model.PackageExtra.key == "identifier", model.PackageExtra.value == identifier)
        .join(model.Package, model.Package.id == model.PackageExtra.package_id)
        .filter(model.Package.state == "active")
    )
    if division:
        q = q.filter(model.Package.owner_org == model.Group.get(division).id)
    return q.scalar()


@pytest.fixture
def catalog(board):
    """CMS's records imported as CMS's catalog; CDC republishes one with a slightly changed title (text
    only: its own identifier, landing page and files), FDA one under the same identifier, AHRQ one with
    the same landing page and another with one of the same files (text of their own), and CMS itself
    keeps a near copy of one of its own datasets (same division: never a pair)."""
    for name, code in (("cms", "009:38"), ("cdc", "009:20"), ("fda", "009:10"), ("ahrq", "009:15")):
        factories.Division(name=name, bureau_code=code)
    cms = cms_records()
    own_copy = copy.deepcopy(cms[3])
    own_copy.update(identifier="cms-own-copy", title=cms[3]["title"] + " (archive)", landingPage=None)
    own_copy.pop("landingPage")
    own_copy["distribution"] = []
    import_records("cms", [*cms, own_copy], "https://data.cms.gov/data.json")

    cdc_copy = copy.deepcopy(cms[0])
    cdc_copy.update(
        identifier="cdc-aco-participants",
        title="ACO Participants (Accountable Care Organizations), CDC copy",
        landingPage="https://www.cdc.gov/data/aco-participants",
        bureauCode=["009:20"],
    )
    cdc_copy.pop("describedBy", None)  # its own data dictionary, if any (a shared one is a signal)
    cdc_copy["distribution"] = [
        {"@type": "dcat:Distribution", "downloadURL": "https://www.cdc.gov/files/aco.csv", "mediaType": "text/csv"}
    ]
    import_records("cdc", [cdc_copy], "https://www.cdc.gov/data.json")

    fda_same_id = {
        **_unrelated("FDA device recalls", "Recalls of medical devices ordered by the FDA.", "009:10"),
        "identifier": cms[1]["identifier"],
    }
    import_records("fda", [fda_same_id], "https://www.fda.gov/data.json")

    ahrq_landing = {
        **_unrelated("AHRQ hospital survey", "Survey of patient safety culture in hospitals.", "009:15"),
        "landingPage": cms[2]["landingPage"].replace("https://", "http://www.") + "/",
    }
    ahrq_file = _unrelated("AHRQ nursing home survey", "Survey of patient safety culture in nursing homes.", "009:15")
    ahrq_file["distribution"] = [
        {"@type": "dcat:Distribution", "downloadURL": _download(cms[4]), "mediaType": "text/csv"}
    ]
    import_records("ahrq", [ahrq_landing, ahrq_file], "https://www.ahrq.gov/data.json")
    return {"cms": cms, "own_copy": own_copy}


def _unrelated(title: str, description: str, bureau: str) -> dict:
    slug = title.lower().replace(" ", "-")
    return {
        "@type": "dcat:Dataset",
        "title": title,
        "description": description,
        "identifier": f"https://example.gov/{slug}",
        "accessLevel": "public",
        "bureauCode": [bureau],
        "programCode": ["009:000"],
        "contactPoint": {"@type": "vcard:Contact", "fn": "Data team", "hasEmail": "mailto:data@hhs.gov"},
        "keyword": ["survey"],
        "modified": "2025-01-01",
        "publisher": {"@type": "org:Organization", "name": "HHS"},
        "license": "http://www.usa.gov/publicdomain/label/1.0/",
    }


def _download(record: dict) -> str:
    return next(d["downloadURL"] for d in record["distribution"] if d.get("downloadURL"))


def pairs_by_ids() -> dict[frozenset, gm.DuplicatePair]:
    return {frozenset((p.dataset_a, p.dataset_b)): p for p in model.Session.query(gm.DuplicatePair)}


class TestScan:
    def test_signals_across_divisions_on_cms_records(self, catalog):
        run = duplicates.scan()
        assert run.status == "finished"
        cms = catalog["cms"]
        pairs = pairs_by_ids()

        text = pairs[frozenset((dataset_id(cms[0]["identifier"]), dataset_id("cdc-aco-participants")))]
        assert set(text.reasons) == {"text"}
        assert text.reasons["text"] >= 0.9 and text.status == "open"

        same_id = [p for ids, p in pairs.items() if dataset_id(cms[1]["identifier"], "cms") in ids]
        assert [p.reasons.get("identifier") for p in same_id] == [cms[1]["identifier"].lower()]
        assert same_id[0].score == 1.0

        landing = pairs[
            frozenset((dataset_id(cms[2]["identifier"]), dataset_id("https://example.gov/ahrq-hospital-survey")))
        ]
        assert "landing_page" in landing.reasons and "text" not in landing.reasons

        files = pairs[
            frozenset((dataset_id(cms[4]["identifier"]), dataset_id("https://example.gov/ahrq-nursing-home-survey")))
        ]
        assert files.reasons["download_url"] == duplicates.normalise_url(_download(cms[4]))

    def test_same_division_pairs_are_not_reported(self, catalog):
        duplicates.scan()
        cms_ids = {dataset_id(r["identifier"], "cms") for r in catalog["cms"]} | {dataset_id("cms-own-copy")}
        orgs = {p.id: p.owner_org for p in model.Session.query(model.Package)}
        pairs = model.Session.query(gm.DuplicatePair).all()
        assert pairs
        assert all(orgs[p.dataset_a] != orgs[p.dataset_b] for p in pairs)
        assert not [p for p in pairs if {p.dataset_a, p.dataset_b} <= cms_ids]

    def test_rescan_without_changes_embeds_nothing_and_keeps_the_pairs(self, catalog):
        first = duplicates.scan()
        before = {(p.dataset_a, p.dataset_b, p.score) for p in model.Session.query(gm.DuplicatePair)}
        again = duplicates.scan()
        assert first.counts["embedded"] > 0
        assert again.counts["embedded"] == 0 and again.counts["changed"] == 0 and again.counts["new"] == 0
        assert {(p.dataset_a, p.dataset_b, p.score) for p in model.Session.query(gm.DuplicatePair)} == before

    def test_incremental_rescan_embeds_only_the_changed_dataset(self, catalog, board):
        duplicates.scan()
        cdc_copy = dataset_id("cdc-aco-participants")
        helpers.call_action("package_patch", id=cdc_copy, title="Hospice enrollments reported by CDC")
        run = duplicates.scan()
        assert run.counts["changed"] == 1
        assert run.counts["embedded"] == 1  # its new title; its description is the same
        row = model.Session.get(gm.DuplicateDataset, cdc_copy)
        assert row.title_hash == duplicates._hash("Hospice enrollments reported by CDC")

    def test_full_scan_embeds_everything_again(self, catalog):
        duplicates.scan()
        run = duplicates.scan(full=True)
        assert run.counts["changed"] == run.counts["datasets"]
        assert run.counts["embedded"] > 0

    def test_a_failed_scan_is_recorded_and_the_next_one_resumes(self, catalog, monkeypatch):
        real = duplicates._embed
        calls = []

        def failing_second_chunk(texts):
            calls.append(len(texts))
            if len(calls) == 2:
                raise RuntimeError("worker lost")
            return real(texts)

        monkeypatch.setattr(duplicates, "_embed", failing_second_chunk)
        with pytest.raises(RuntimeError), helpers.changed_config("ckanext.hhs.governance.duplicate_chunk", 4):
            duplicates.scan()
        failed = model.Session.query(gm.DuplicateRun).one()
        assert failed.status == "failed" and failed.stage == "embedding"
        assert "worker lost" not in failed.error and failed.id in failed.error  # neutral; the log has it
        kept = model.Session.query(gm.DuplicateDataset).count()
        assert kept == 4  # the first chunk's embeddings are kept
        monkeypatch.setattr(duplicates, "_embed", real)
        run = duplicates.scan()
        assert run.status == "finished"
        # Nothing embedded twice: the kept chunk's texts are reused.
        assert run.counts["changed"] == run.counts["datasets"]
        assert model.Session.query(gm.DuplicatePair).filter(gm.DuplicatePair.status == "open").count() >= 4

    def test_urls_are_normalised(self):
        assert duplicates.normalise_url("HTTP://www.CMS.gov:80/data/?b=2&a=1#top") == "cms.gov/data?a=1&b=2"
        assert duplicates.normalise_url("https://cms.gov/data?a=1&b=2") == "cms.gov/data?a=1&b=2"
        assert duplicates.normalise_url("https://cms.gov:8443/Data") == "cms.gov:8443/Data"
        assert duplicates.normalise_url("") == ""


class TestDecisions:
    def _text_pair(self, catalog) -> gm.DuplicatePair:
        duplicates.scan()
        ids = frozenset((dataset_id(catalog["cms"][0]["identifier"]), dataset_id("cdc-aco-participants")))
        return pairs_by_ids()[ids]

    def test_distinct_is_remembered_across_rescans(self, catalog, board):
        pair = self._text_pair(catalog)
        act("hhs_governance_duplicate_decide", board.editor, id=pair.id, decision="distinct", note="Different years")
        duplicates.scan()
        duplicates.scan(full=True)
        pair = model.Session.get(gm.DuplicatePair, pair.id)
        assert pair.status == "distinct" and pair.note == "Different years"
        assert model.User.get(pair.decided_by).name == board.editor["name"]

    def test_distinct_reopens_only_on_stronger_evidence(self, catalog, board):
        pair = self._text_pair(catalog)
        act("hhs_governance_duplicate_decide", board.editor, id=pair.id, decision="distinct")
        cdc_copy = dataset_id("cdc-aco-participants")
        # A change that adds no evidence (a keyword) keeps it closed ...
        helpers.call_action("package_patch", id=cdc_copy, tag_string="aco,medicare,cdc")
        duplicates.scan()
        assert model.Session.get(gm.DuplicatePair, pair.id).status == "distinct"
        # ... the same landing page as the CMS dataset is a new signal: the Board looks again.
        cms_url = model.Package.get(dataset_id(catalog["cms"][0]["identifier"])).url
        helpers.call_action("package_patch", id=cdc_copy, url=cms_url)
        run = duplicates.scan()
        pair = model.Session.get(gm.DuplicatePair, pair.id)
        assert pair.status == "open" and "landing_page" in pair.reasons and run.counts["reopened"] == 1

    def test_duplicate_sets_the_flag_and_the_link_and_keeps_the_source_record(self, catalog, board):
        pair = self._text_pair(catalog)
        cms_id = dataset_id(catalog["cms"][0]["identifier"])
        cdc_id = dataset_id("cdc-aco-participants")
        pod_before = model.Package.get(cdc_id).extras["pod_record"]
        hash_before = model.Package.get(cdc_id).extras["source_hash"]
        result = act(
            "hhs_governance_duplicate_decide", board.editor, id=pair.id, decision="duplicate", authoritative=cms_id
        )
        assert result["status"] == "duplicate" and result["authoritative"] == cms_id
        cms_ds = helpers.call_action("package_show", id=cms_id)
        cdc_ds = helpers.call_action("package_show", id=cdc_id)
        assert cms_ds["authoritative_source"] is True
        assert cdc_ds["authoritative_dataset"] == cms_id and cdc_ds["authoritative_source"] is False
        # Still the division's harvested record: its source record and hash are untouched.
        assert model.Package.get(cdc_id).extras["pod_record"] == pod_before
        assert model.Package.get(cdc_id).extras["source_hash"] == hash_before
        # The index has it too.
        found = helpers.call_action("package_search", fq=f"id:{cms_id}", include_private=True)["results"]
        assert found[0]["authoritative_source"] is True
        # The link itself is never indexed (it may name a private dataset: unindexed.py): package_show has it.
        copy_found = helpers.call_action("package_search", fq=f"id:{cdc_id}", include_private=True)["results"]
        assert "authoritative_dataset" not in copy_found[0]
        assert not helpers.call_action("package_search", fq=f"authoritative_dataset:{cms_id}")["count"]
        # The summary counts it.
        summary = act("hhs_governance_duplicate_summary", board.member)
        assert summary["duplicate"] == 1 and summary["last_scan_status"] == "finished"
        # Undone (distinct): the link goes.
        act("hhs_governance_duplicate_decide", board.editor, id=pair.id, decision="distinct")
        assert not helpers.call_action("package_show", id=cdc_id).get("authoritative_dataset")

    def test_a_later_import_of_the_source_keeps_the_boards_fields(self, catalog, board):
        pair = self._text_pair(catalog)
        cms_id = dataset_id(catalog["cms"][0]["identifier"])
        cdc_id = dataset_id("cdc-aco-participants")
        act("hhs_governance_duplicate_decide", board.editor, id=pair.id, decision="duplicate", authoritative=cms_id)
        changed = copy.deepcopy(catalog["cms"][0])
        changed["description"] += " Updated."
        import_records("cms", [changed, *catalog["cms"][1:], catalog["own_copy"]], "https://data.cms.gov/data.json")
        assert helpers.call_action("package_show", id=cms_id)["authoritative_source"] is True
        assert helpers.call_action("package_show", id=cdc_id)["authoritative_dataset"] == cms_id

    def test_authoritative_must_be_one_of_the_pair(self, catalog, board):
        pair = self._text_pair(catalog)
        other = dataset_id(catalog["cms"][5]["identifier"])
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_governance_duplicate_decide", board.editor, id=pair.id, decision="duplicate", authoritative=other)
        assert "authoritative" in e.value.error_dict
        with pytest.raises(tk.ValidationError):
            act("hhs_governance_duplicate_decide", board.editor, id=pair.id, decision="maybe")

    def test_authoritative_set_changes_nothing_else(self, catalog, board):
        cdc_id = dataset_id("cdc-aco-participants")
        before = helpers.call_action("package_show", id=cdc_id)
        act(
            "hhs_governance_authoritative_set",
            board.editor,
            id=cdc_id,
            authoritative=True,
            title="Hijacked",
            notes="Hijacked",
            owner_org="cms",
            private=True,
        )
        after = helpers.call_action("package_show", id=cdc_id)
        assert after["authoritative_source"] is True
        for key in ("title", "notes", "owner_org", "private", "name", "resources", "tags"):
            assert after[key] == before[key]


class TestPermissions:
    def test_board_members_see_pairs_others_do_not(self, catalog, board):
        duplicates.scan()
        private = dataset_id("cdc-aco-participants")
        helpers.call_action("package_patch", id=private, private=True)
        duplicates.scan()
        listed = act("hhs_governance_duplicate_list", board.member, status="open", limit=100)
        titles = {d["title"] for pair in listed["results"] for d in pair["datasets"]}
        assert "ACO Participants (Accountable Care Organizations), CDC copy" in titles  # private: seen by design
        pair_id = listed["results"][0]["id"]
        cdc_editor = ckan_factories.User()
        helpers.call_action("organization_member_create", id="cdc", username=cdc_editor["name"], role="editor")
        for user in (None, board.outsider, cdc_editor):
            for action, data in (
                ("hhs_governance_duplicate_list", {}),
                ("hhs_governance_duplicate_show", {"id": pair_id}),
                ("hhs_governance_duplicate_summary", {}),
            ):
                with pytest.raises(tk.NotAuthorized):
                    act(action, user, **data)

    def test_only_board_editors_decide_and_set_the_flag(self, catalog, board):
        duplicates.scan()
        pair_id = act("hhs_governance_duplicate_list", board.member)["results"][0]["id"]
        cdc_id = dataset_id("cdc-aco-participants")
        for user in (board.member, board.outsider, None):
            with pytest.raises(tk.NotAuthorized):
                act("hhs_governance_duplicate_decide", user, id=pair_id, decision="distinct")
            with pytest.raises(tk.NotAuthorized):
                act("hhs_governance_authoritative_set", user, id=cdc_id, authoritative=True)
            with pytest.raises(tk.NotAuthorized):
                act("hhs_governance_duplicate_scan", user)
        # A board editor who cannot edit CDC's datasets still sets the flag (the Board's remit) ...
        with pytest.raises(tk.NotAuthorized):
            helpers.call_auth("package_update", {"user": board.editor["name"]}, id=cdc_id)
        assert act("hhs_governance_authoritative_set", board.editor, id=cdc_id, authoritative=True)[
            "authoritative_source"
        ]
        # ... but a division editor cannot set it through the dataset form or API.
        cdc_editor = ckan_factories.User()
        helpers.call_action("organization_member_create", id="cdc", username=cdc_editor["name"], role="editor")
        with pytest.raises(tk.ValidationError):
            act(
                "package_patch",
                cdc_editor,
                id=cdc_id,
                authoritative_dataset=dataset_id(catalog["cms"][0]["identifier"]),
            )

    def test_list_filters_and_pages(self, catalog, board):
        duplicates.scan()
        everything = act("hhs_governance_duplicate_list", board.member, limit=100)
        assert everything["count"] >= 4
        first = act("hhs_governance_duplicate_list", board.member, limit=1)
        second = act("hhs_governance_duplicate_list", board.member, limit=1, offset=1)
        assert first["results"][0]["id"] != second["results"][0]["id"]
        fda = act("hhs_governance_duplicate_list", board.member, division="fda")
        assert fda["count"] == 1 and fda["results"][0]["reasons"].get("identifier")
        assert act("hhs_governance_duplicate_list", board.member, status="distinct")["count"] == 0
        with pytest.raises(tk.ValidationError):
            act("hhs_governance_duplicate_list", board.member, limit=1000)
        with pytest.raises(tk.ObjectNotFound):
            act("hhs_governance_duplicate_list", board.member, division="nowhere")


def test_demo_seed_creates_a_cross_division_duplicate_found_by_the_scan(catalog):
    lines = duplicates_seed.seed_demo()
    assert any("CDC copy" in line for line in lines)
    copy_id = model.Package.get(duplicates_seed.DEMO_COPY).id
    source_id = dataset_id(catalog["cms"][0]["identifier"], "cms")
    assert frozenset((copy_id, source_id)) in pairs_by_ids()
    # Seeding again changes nothing.
    duplicates_seed.seed_demo()
    assert model.Session.query(model.Package).filter_by(name=duplicates_seed.DEMO_COPY).count() == 1
