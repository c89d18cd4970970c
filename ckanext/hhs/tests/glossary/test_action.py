"""Glossary actions: lifecycle, permissions, revisions, links to datasets, duplicates, import/export."""

from __future__ import annotations

import pytest
from rdflib import SKOS, Graph, URIRef

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.glossary import csv_io, skos
from ckanext.hhs.glossary import model as gm
from ckanext.hhs.glossary.cli import SEED
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import act, governance_board

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

BENEFICIARY = {
    "label": "Medicare beneficiary",
    "definition": "A person who has health insurance coverage through the Medicare program.",
    "explanation": "Someone who gets Medicare.",
    "synonyms": ["Medicare enrollee"],
    "references": [{"name": "CMS glossary", "url": "https://www.cms.gov/glossary"}],
    "exact_matches": [{"system": "SNOMED CT", "code": "116154003"}],
}


@pytest.fixture
def people():
    """A proposer, two board reviewers and an outsider."""
    users = {k: ckan_factories.User(name=k) for k in ("proposer", "reviewer", "reviewer2", "outsider")}
    governance_board("reviewer", "reviewer2")
    return users


def _sysadmin():
    return {"user": ckan_factories.Sysadmin()["name"]}


def approved(slug="medicare-beneficiary", **fields):
    act("hhs_glossary_term_create", "proposer", **{**BENEFICIARY, **fields, "slug": slug})
    act("hhs_glossary_term_propose", "proposer", id=slug)
    return act("hhs_glossary_term_approve", "reviewer", id=slug, message="Agreed by the board")


class TestLifecycle:
    def test_propose_review_approve_deprecate(self, people):
        term = act("hhs_glossary_term_create", "proposer", **BENEFICIARY)
        assert (term["slug"], term["status"], term["proposed_by"]) == ("medicare-beneficiary", "draft", "proposer")
        assert act("hhs_glossary_term_propose", "proposer", id=term["slug"])["status"] == "in_review"
        queue = act("hhs_glossary_review_queue", "reviewer")
        assert [t["slug"] for t in queue["terms"]] == ["medicare-beneficiary"]
        done = act("hhs_glossary_term_approve", "reviewer", id=term["slug"], message="ok")
        assert (done["status"], done["review_note"]) == ("approved", "ok")

        act("hhs_glossary_term_create", "proposer", label="Beneficiary", definition="One who benefits.")
        act("hhs_glossary_term_propose", "proposer", id="beneficiary")
        act("hhs_glossary_term_approve", "reviewer2", id="beneficiary")
        old = act("hhs_glossary_term_deprecate", "reviewer", id="beneficiary", replaced_by="medicare-beneficiary")
        assert old["status"] == "deprecated"
        assert old["replaced_by"]["slug"] == "medicare-beneficiary"
        actions = [r["action"] for r in act("hhs_glossary_revision_list", "proposer", id="beneficiary")]
        assert actions == ["deprecate", "approve", "propose", "create"]

    def test_reject_needs_a_reason_and_sends_back(self, people):
        act("hhs_glossary_term_create", "proposer", **BENEFICIARY)
        act("hhs_glossary_term_propose", "proposer", id="medicare-beneficiary")
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_glossary_term_reject", "reviewer", id="medicare-beneficiary")
        assert "message" in e.value.error_dict
        rejected = act(
            "hhs_glossary_term_reject", "reviewer", id="medicare-beneficiary", message="Duplicate of Enrollee"
        )
        assert rejected["status"] == "rejected"
        assert act("hhs_glossary_term_propose", "proposer", id="medicare-beneficiary")["status"] == "in_review"

    def test_wrong_transition_names_term_and_status(self, people):
        act("hhs_glossary_term_create", "proposer", **BENEFICIARY)
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_glossary_term_approve", "reviewer", id="medicare-beneficiary")
        assert e.value.error_dict["status"] == ['Term "medicare-beneficiary" is draft; it must be in review to approve']


class TestPermissions:
    def test_only_other_board_reviewers_approve(self, people):
        term = act("hhs_glossary_term_create", "reviewer", **BENEFICIARY)
        act("hhs_glossary_term_propose", "reviewer", id=term["slug"])
        with pytest.raises(tk.NotAuthorized, match="you wrote or last changed"):
            act("hhs_glossary_term_approve", "reviewer", id=term["slug"])
        with pytest.raises(tk.NotAuthorized, match="Data Governance Board"):
            act("hhs_glossary_term_approve", "outsider", id=term["slug"])
        with pytest.raises(tk.NotAuthorized):
            act("hhs_glossary_review_queue", "outsider")
        assert act("hhs_glossary_term_approve", "reviewer2", id=term["slug"])["status"] == "approved"

    def test_anonymous_users_read_approved_terms_only(self, people):
        approved()
        act("hhs_glossary_term_create", "proposer", label="Encounter", definition="A visit.")
        anonymous = {"user": "", "ignore_auth": False}
        listed = helpers.call_action("hhs_glossary_term_list", context=anonymous)
        assert [t["slug"] for t in listed["results"]] == ["medicare-beneficiary"]
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_glossary_term_show", context=anonymous, id="encounter")
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_glossary_term_create", context=anonymous, **BENEFICIARY)
        # A draft is its proposer's (and the board's) until it is sent for review.
        assert act("hhs_glossary_term_list", "outsider")["count"] == 1
        assert act("hhs_glossary_term_list", "proposer")["count"] == 2
        assert act("hhs_glossary_term_list", "reviewer")["count"] == 2
        with pytest.raises(tk.NotAuthorized):
            act("hhs_glossary_term_show", "outsider", id="encounter")
        act("hhs_glossary_term_propose", "proposer", id="encounter")
        assert act("hhs_glossary_term_show", "outsider", id="encounter")["status"] == "in_review"

    def test_duplicate_check_is_for_staff_and_names_only_terms_they_may_see(self, app, people):
        act("hhs_glossary_term_create", "proposer", **BENEFICIARY)
        check = {"label": "Medicare beneficiary", "definition": BENEFICIARY["definition"]}
        # CKAN 2.11 hands an anonymous API caller an AnonymousUser object, not an empty context.
        anonymous = {"user": "", "auth_user_obj": model.AnonymousUser(), "ignore_auth": False}
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_glossary_term_similar", context=anonymous, **check)
        response = app.post("/api/3/action/hhs_glossary_term_similar", json=check)
        assert response.status_code == 403
        assert "Medicare beneficiary" not in response.get_data(as_text=True)
        assert act("hhs_glossary_term_similar", "outsider", **check) == []
        assert [t["slug"] for t in act("hhs_glossary_term_similar", "proposer", **check)] == ["medicare-beneficiary"]
        assert [t["slug"] for t in act("hhs_glossary_term_similar", "reviewer", **check)] == ["medicare-beneficiary"]

    def test_a_draft_is_neither_shown_nor_confirmed_through_other_actions(self, app, people):
        approved()
        act(
            "hhs_glossary_term_create",
            "proposer",
            slug="secret-draft",
            label="Secret draft",
            definition="Not for others yet.",
            parent="medicare-beneficiary",
        )
        for user in ("outsider", ""):
            with pytest.raises((tk.NotAuthorized, tk.ObjectNotFound)):
                act("hhs_glossary_term_update", user, id="secret-draft", definition="Mine now.")
            # Naming the draft answers exactly as naming a term that does not exist.
            for action, field in (("hhs_glossary_term_list", "parent"), ("hhs_glossary_term_similar", "exclude")):
                if user == "" and action == "hhs_glossary_term_similar":
                    continue
                errors = []
                for ref in ("secret-draft", "no-such-term"):
                    with pytest.raises(tk.ValidationError) as e:
                        act(action, user, label="x", **{field: ref})
                    errors.append(e.value.error_dict[field][0].replace(ref, "REF"))
                assert errors[0] == errors[1]
            shown = act("hhs_glossary_term_show", user, id="medicare-beneficiary")
            assert shown["narrower"] == []
        assert [
            t["slug"] for t in act("hhs_glossary_term_show", "proposer", id="medicare-beneficiary")["narrower"]
        ] == ["secret-draft"]
        assert act("hhs_glossary_revision_list", "reviewer", id="secret-draft")[0]["pending"] is False
        page = app.get("/glossary/medicare-beneficiary").get_data(as_text=True)
        assert "Secret draft" not in page
        assert "secret-draft" not in app.get("/glossary.ttl").get_data(as_text=True)

    def test_hostile_input_gets_a_clear_error_naming_the_field(self, app, people):
        for data, field in (({"offset": 10**19}, "offset"), ({"letter": "\x00"}, "letter"), ({"q": "a\x00"}, "q")):
            with pytest.raises(tk.ValidationError) as e:
                act("hhs_glossary_term_list", "outsider", **data)
            assert field in e.value.error_dict
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_glossary_term_show", "outsider", id="\x00")
        assert "id" in e.value.error_dict
        assert app.post("/api/3/action/hhs_glossary_term_list", json={"offset": 10**19}).status_code == 409

    def test_a_reviewer_who_rewrote_a_proposal_may_not_approve_it(self, people):
        act("hhs_glossary_term_create", "proposer", **BENEFICIARY)
        act("hhs_glossary_term_propose", "proposer", id="medicare-beneficiary")
        act("hhs_glossary_term_update", "reviewer", id="medicare-beneficiary", definition="Whatever I like.")
        with pytest.raises(tk.NotAuthorized, match="you wrote or last changed"):
            act("hhs_glossary_term_approve", "reviewer", id="medicare-beneficiary")
        assert act("hhs_glossary_term_approve", "reviewer2", id="medicare-beneficiary")["status"] == "approved"

    def test_outsider_change_to_approved_term_waits_for_the_board(self, people):
        approved()
        result = act(
            "hhs_glossary_term_update",
            "outsider",
            id="medicare-beneficiary",
            definition="A person enrolled in Medicare Part A or Part B.",
            message="Say which parts",
        )
        assert result["pending_revision"] == 4
        assert result["definition"] == BENEFICIARY["definition"]  # not applied yet
        queue = act("hhs_glossary_review_queue", "reviewer")
        assert queue["changes"][0]["changes"]["definition"]["b"].startswith("A person enrolled")
        applied = act("hhs_glossary_term_approve", "reviewer", id="medicare-beneficiary", revision=4)
        assert applied["definition"] == "A person enrolled in Medicare Part A or Part B."
        compared = act("hhs_glossary_revision_compare", "outsider", id="medicare-beneficiary", a=3, b=5)
        assert set(compared["changes"]) == {"definition"}


class TestBadInput:
    def test_duplicate_slug(self, people):
        act("hhs_glossary_term_create", "proposer", **BENEFICIARY)
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_glossary_term_create", "outsider", **BENEFICIARY)
        assert e.value.error_dict["slug"] == ['A term named "medicare-beneficiary" already exists']

    def test_hierarchy_cycle_is_refused_and_nothing_is_written(self, people):
        act("hhs_glossary_term_create", "proposer", label="Provider", definition="Gives care.")
        act("hhs_glossary_term_create", "proposer", label="Physician", definition="A doctor.", parent="provider")
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_glossary_term_update", "proposer", id="provider", parent="physician", label="Care provider")
        assert "provider → physician → provider" in e.value.error_dict["parent"][0]
        assert act("hhs_glossary_term_show", "proposer", id="provider")["label"] == "Provider"

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("related", [{"term": "nowhere"}], '"nowhere" is not a glossary term'),
            ("related", [{"term": "x", "type": "cousin"}], "'cousin' is not a relation type"),
            ("references", [{"name": "x", "url": "javascript:alert(1)"}], "is not an http(s) URL"),
            ("exact_matches", [{"system": "LOINC"}], "'code': ['Missing value']"),
            ("slug", "Not A Slug", "lower-case letters"),
        ],
    )
    def test_field_errors_name_the_field(self, people, field, value, message):
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_glossary_term_create", "proposer", **{**BENEFICIARY, field: value})
        assert message in str(e.value.error_dict[field])

    def test_dataset_links_approved_terms_only(self, people):
        approved()
        act("hhs_glossary_term_create", "proposer", label="Encounter", definition="A visit.")
        with pytest.raises(tk.ValidationError) as e:
            factories.HhsDataset(glossary_terms=["medicare-beneficiary", "encounter"])
        # A draft is named to nobody but its proposer and the board: it answers like a missing term.
        assert '"encounter" is not a glossary term' in str(e.value.error_dict)
        with pytest.raises(tk.ValidationError, match="is not a glossary term"):
            factories.HhsDataset(glossary_terms=["no-such-term"])
        act("hhs_glossary_term_propose", "proposer", id="encounter")
        with pytest.raises(tk.ValidationError) as e:
            factories.HhsDataset(glossary_terms=["encounter"])
        assert 'Glossary term "encounter" is in review; only approved terms can be linked' in str(e.value.error_dict)


class TestLinkedData:
    def test_term_finds_datasets_the_viewer_may_see(self, people):
        approved()
        cms = factories.Division(name="cms")
        public = factories.HhsDataset(owner_org=cms["id"], glossary_terms=["medicare-beneficiary"])
        private = factories.HhsDataset(owner_org=cms["id"], glossary_terms=["medicare-beneficiary"], private=True)
        factories.HhsDataset(owner_org=cms["id"])
        helpers.call_action("organization_member_create", id=cms["id"], username="proposer", role="member")

        seen = act("hhs_glossary_term_datasets", "outsider", id="medicare-beneficiary")
        assert [d["id"] for d in seen["results"]] == [public["id"]]
        seen = act("hhs_glossary_term_datasets", "proposer", id="medicare-beneficiary")
        assert {d["id"] for d in seen["results"]} == {public["id"], private["id"]}
        found = helpers.call_action(
            "package_search", fq='glossary_term:"medicare-beneficiary"', **{"facet.field": ["vocab_glossary_terms"]}
        )
        assert [d["id"] for d in found["results"]] == [public["id"]]
        assert found["search_facets"]["vocab_glossary_terms"]["items"][0]["count"] == 1

    def test_columns_mapped_to_a_term_are_join_keys_across_divisions(self, people):
        approved()
        cms, cdc = factories.Division(name="cms"), factories.Division(name="cdc", bureau_code="009:20")
        claims = factories.HhsDataset(
            owner_org=cms["id"],
            resources=[
                {
                    "url": "https://data.cms.gov/claims.csv",
                    "name": "Claims",
                    "column_terms": [{"column": "bene_id", "term": "medicare-beneficiary"}],
                }
            ],
        )
        factories.HhsDataset(
            owner_org=cdc["id"],
            bureau_code=["009:20"],
            private=True,
            resources=[
                {
                    "url": "https://data.cdc.gov/x.csv",
                    "column_terms": [{"column": "mbr_id", "term": "medicare-beneficiary"}],
                }
            ],
        )
        columns = act("hhs_glossary_term_columns", "outsider", id="medicare-beneficiary")
        assert [(c["dataset"]["name"], c["column"]) for c in columns] == [(claims["name"], "bene_id")]
        columns = helpers.call_action("hhs_glossary_term_columns", context=_sysadmin(), id="medicare-beneficiary")
        assert sorted(c["column"] for c in columns) == ["bene_id", "mbr_id"]
        assert act("hhs_glossary_term_datasets", "outsider", id="medicare-beneficiary")["count"] == 1
        with pytest.raises(tk.ValidationError, match="is not a glossary term"):
            factories.HhsDataset(
                resources=[{"url": "https://x.gov/a.csv", "column_terms": [{"column": "a", "term": "nope"}]}]
            )


class TestSearchAndDuplicates:
    def test_autocomplete_matches_word_starts_of_approved_terms(self, people):
        approved()
        act("hhs_glossary_term_create", "proposer", label="Medicaid beneficiary", definition="Enrolled in Medicaid.")
        found = act("hhs_glossary_term_autocomplete", "outsider", q="enrol")
        assert [t["slug"] for t in found] == ["medicare-beneficiary"]  # by its synonym; the draft is left out
        assert [t["slug"] for t in act("hhs_glossary_term_autocomplete", "outsider", q="Medi")] == [
            "medicare-beneficiary"
        ]

    def test_proposal_lists_likely_duplicates(self, people):
        approved()
        by_name = act(
            "hhs_glossary_term_create",
            "outsider",
            label="Medicare Beneficiaries",
            definition="Anyone entitled to benefits.",
        )
        assert by_name["similar"][0]["slug"] == "medicare-beneficiary"
        by_synonym = act("hhs_glossary_term_similar", "outsider", label="medicare enrollee")
        assert by_synonym[0]["reason"] == "same name"
        by_definition = act(
            "hhs_glossary_term_similar",
            "outsider",
            label="Enrolled person",
            definition="A person with health insurance coverage through Medicare.",
        )
        assert by_definition[0]["slug"] == "medicare-beneficiary"
        assert act("hhs_glossary_term_similar", "outsider", label="Laboratory test") == []

    def test_a_definition_in_other_words_is_found_by_meaning(self, people, cli):
        approved(
            "date-of-birth",
            label="Date of birth",
            synonyms=["DOB"],
            definition="The calendar date on which a person was born.",
        )
        stored = gm.Term.by_slug_or_id("date-of-birth").definition_embedding
        assert stored and len(stored) == 384 * 4  # kept with the term when its definition is written
        reworded = {"label": "Birthday", "definition": "The day, month and year on which someone was born."}
        found = act("hhs_glossary_term_similar", "outsider", **reworded)
        assert [(f["slug"], f["reason"]) for f in found] == [("date-of-birth", "similar meaning")]
        # A term kept without its embedding (written while the comparison was off) is still compared.
        gm.Term.by_slug_or_id("date-of-birth").definition_embedding = None
        model.Session.commit()
        assert [f["slug"] for f in act("hhs_glossary_term_similar", "outsider", **reworded)] == ["date-of-birth"]
        with pytest.raises(tk.NotAuthorized):
            act("hhs_glossary_embed", "reviewer")
        result = cli.invoke(ckan_cli, ["hhs", "glossary", "embed"])
        assert result.exit_code == 0, result.output
        assert "Definitions embedded: 1" in result.output
        model.Session.expire_all()
        assert gm.Term.by_slug_or_id("date-of-birth").definition_embedding == stored

    @pytest.mark.ckan_config("ckanext.hhs.glossary.similar_by_meaning", "false")
    def test_names_and_words_alone_miss_a_definition_in_other_words(self, people):
        approved("date-of-birth", label="Date of birth", definition="The calendar date on which a person was born.")
        assert gm.Term.by_slug_or_id("date-of-birth").definition_embedding is None
        reworded = {"label": "Birthday", "definition": "The day, month and year on which someone was born."}
        assert act("hhs_glossary_term_similar", "outsider", **reworded) == []


class TestImportExport:
    def test_csv_import_applies_valid_rows_and_reports_the_rest(self, people):
        text = "\n".join(
            [
                "parent,name,displayName,description,synonyms,relatedTerms,references,tags,status",
                "provider,physician,Physician,A licensed doctor.,doctor,nurse|related,,,approved",
                ",provider,Provider,Gives care.,,,CMS glossary|https://www.cms.gov/glossary,,approved",
                ",nurse,Nurse,A licensed nurse.,,,,,approved",
                "nowhere,orphan,Orphan,Has an unknown parent.,,,,,approved",
                ",bad,Bad,Wrong status.,,,,,published",
                "loop-b,loop-a,A,x,,,,,approved",
                "loop-a,loop-b,B,x,,,,,approved",
            ]
        )
        report = helpers.call_action("hhs_glossary_import", context=_sysadmin(), rows=csv_io.read(text))
        assert sorted(report["created"]) == ["nurse", "physician", "provider"]
        failures = {f["term"]: (f["row"], sorted(f["errors"])) for f in report["failed"]}
        assert failures == {
            "orphan": (5, ["parent"]),
            "bad": (6, ["status"]),
            "loop-a": (7, ["parent"]),
            "loop-b": (8, ["parent"]),
        }
        physician = helpers.call_action("hhs_glossary_term_show", id="physician")
        assert physician["parent"]["slug"] == "provider"
        assert physician["related"][0]["slug"] == "nurse"

    def test_atomic_import_applies_nothing_when_a_row_fails(self, people):
        rows = csv_io.read("name,displayName,description\nok,OK,Fine.\nbad name,Bad,x\n")
        report = helpers.call_action("hhs_glossary_import", context=_sysadmin(), rows=rows, atomic=True)
        assert report["applied"] is False
        assert report["failed"][0]["term"] == "bad name"
        assert helpers.call_action("hhs_glossary_term_list")["count"] == 0

    def test_skos_export_is_valid_rdf_and_imports_back(self, people, app):
        approved()
        act(
            "hhs_glossary_term_create",
            "proposer",
            label="Part A enrollee",
            definition="Enrolled in Part A.",
            parent="medicare-beneficiary",
        )
        act("hhs_glossary_term_propose", "proposer", id="part-a-enrollee")
        act("hhs_glossary_term_approve", "reviewer", id="part-a-enrollee")
        turtle = app.get("/glossary.ttl").get_data(as_text=True)
        graph = Graph().parse(data=turtle, format="turtle")
        concept = skos.term_uri("medicare-beneficiary")
        assert str(graph.value(concept, SKOS.prefLabel)) == "Medicare beneficiary"
        assert str(graph.value(concept, SKOS.altLabel)) == "Medicare enrollee"
        assert (concept, SKOS.exactMatch, URIRef("http://snomed.info/id/116154003")) in graph
        assert (skos.term_uri("part-a-enrollee"), SKOS.broader, concept) in graph
        jsonld = app.get("/glossary/medicare-beneficiary.jsonld").get_data(as_text=True)
        assert len(Graph().parse(data=jsonld, format="json-ld")) > 5

        rows = skos.rows(turtle, "ttl")
        assert {r["name"]: r["parent"] for r in rows} == {
            "medicare-beneficiary": "",
            "part-a-enrollee": "medicare-beneficiary",
        }

    def test_starter_glossary_has_sixty_sourced_terms(self):
        helpers.call_action("hhs_divisions_seed", context=_sysadmin())  # the stewards
        with open(SEED, encoding="utf-8") as f:
            rows = csv_io.read(f.read())
        assert len(rows) >= 60
        assert all(r["references"] and r["references"][0].get("url", "").startswith("https://") for r in rows)
        helpers.call_action("hhs_glossary_import", context=_sysadmin(), rows=rows, atomic=True)
        listed = helpers.call_action("hhs_glossary_term_list", status="approved", limit=1000)
        assert listed["count"] == len(rows)
        again = helpers.call_action("hhs_glossary_import", context=_sysadmin(), rows=rows, atomic=True)
        assert (len(again["unchanged"]), again["created"], again["updated"]) == (len(rows), [], [])
        assert len(helpers.call_action("hhs_glossary_revision_list", id="beneficiary")) == 1
