"""Glossary pages: browse, term page, propose form (CSRF), review queue, dataset search by term."""

from __future__ import annotations

import re
from unittest.mock import ANY

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import auth_headers, governance_board

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def board():
    for name in ("proposer", "reviewer"):
        ckan_factories.User(name=name)
    return governance_board("reviewer")


def test_propose_on_the_form_then_approve_in_the_review_queue(app, board):
    form = app.get("/glossary/new", headers=auth_headers("proposer"))
    assert form.status_code == 200
    assert 'name="label"' in form.get_data(as_text=True)

    response = app.post(
        "/glossary/new",
        headers=auth_headers("proposer"),
        follow_redirects=False,
        data={
            "label": "Encounter <b>visit</b>",
            "slug": "",  # the optional field, as a browser sends it left empty
            "definition": "A contact between a patient and a provider.",
            "synonyms": "visit, contact",
            "references": "USCDI | https://www.healthit.gov/\nhttps://www.cms.gov/glossary\n\n",
            "exact_matches__0__system": "LOINC",
            "exact_matches__0__code": "8302-2",
            "exact_matches__1__system": "",
            "exact_matches__1__code": "",
            "intent": "propose",  # one step: saved and sent for review
        },
    )
    assert response.status_code == 302
    term = helpers.call_action("hhs_glossary_term_show", id="encounter-b-visit-b")
    assert term["synonyms"] == ["visit", "contact"]
    assert term["status"] == "in_review"
    assert [(r["name"], r["url"]) for r in term["references"]] == [
        ("USCDI", "https://www.healthit.gov/"),
        ("https://www.cms.gov/glossary", "https://www.cms.gov/glossary"),
    ]
    assert [(c["system"], c["code"]) for c in term["exact_matches"]] == [("LOINC", "8302-2")]

    page = app.get("/glossary/encounter-b-visit-b", headers=auth_headers("proposer")).get_data(as_text=True)
    assert "Encounter &lt;b&gt;visit&lt;/b&gt;" in page  # escaped
    queue = app.get("/glossary/review", headers=auth_headers("reviewer")).get_data(as_text=True)
    assert "encounter-b-visit-b/approve" in queue
    assert app.get("/glossary/review", headers=auth_headers("proposer")).status_code == 403
    app.post("/glossary/encounter-b-visit-b/approve", headers=auth_headers("reviewer"), data={"message": "ok"})
    assert helpers.call_action("hhs_glossary_term_show", id="encounter-b-visit-b")["status"] == "approved"


def test_form_errors_name_the_field_all_at_once(app, board):
    response = app.post(
        "/glossary/new",
        headers=auth_headers("proposer"),
        data={"label": "X", "definition": "", "exact_matches__0__system": "LOINC", "intent": "propose"},
    )
    body = response.get_data(as_text=True)
    assert "Definition: Missing value" in body
    assert "Codes in standard systems:" in body and "code" in body
    assert helpers.call_action("hhs_glossary_term_list", context={"user": "proposer"})["count"] == 0


def test_forms_carry_the_csrf_token(app, board):
    helpers.call_action(
        "hhs_glossary_import",
        context={"user": ckan_factories.Sysadmin()["name"]},
        rows=[{"name": "npi", "displayName": "NPI", "description": "A provider's number.", "status": "in_review"}],
    )
    for url, user in (("/glossary/new", "proposer"), ("/glossary/npi", "reviewer"), ("/glossary/review", "reviewer")):
        page = app.get(url, headers=auth_headers(user)).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', page, flags=re.S)
        assert forms, url
        assert all('name="_csrf_token"' in f for f in forms), url


def test_browse_and_find_datasets_by_term(app, board):
    helpers.call_action(
        "hhs_glossary_import",
        context={"user": ckan_factories.Sysadmin()["name"]},
        rows=[
            {
                "name": "npi",
                "displayName": "National Provider Identifier",
                "description": "A provider's number.",
                "status": "approved",
            },
            {"name": "claim", "displayName": "Claim", "description": "A request for payment.", "status": "approved"},
        ],
    )
    dataset = factories.HhsDataset(title="Provider directory", glossary_terms=["npi"])
    factories.HhsDataset(title="Unrelated")
    index = app.get("/glossary?letter=N").get_data(as_text=True)
    assert "National Provider Identifier" in index and "Claim" not in index
    term_page = app.get("/glossary/npi").get_data(as_text=True)
    assert "Provider directory" in term_page
    search = app.get("/dataset/?glossary_term=npi").get_data(as_text=True)
    assert "Provider directory" in search and "Unrelated" not in search
    assert app.get("/api/2/util/hhs_glossary/autocomplete?incomplete=nati").json == {
        "ResultSet": {"Result": [{"Name": "npi", "Label": "National Provider Identifier", "Definition": ANY}]}
    }
    assert dataset["glossary_terms"] == ["npi"]


def test_edit_form_keeps_relation_types_and_takes_pickers_rows_and_lines(app, board):
    helpers.call_action(
        "hhs_glossary_import",
        context={"user": ckan_factories.Sysadmin()["name"]},
        rows=[
            {"name": "beneficiary", "displayName": "Beneficiary", "description": "Covered.", "status": "approved"},
            {"name": "enrollment", "displayName": "Enrollment", "description": "Coverage.", "status": "approved"},
        ],
    )
    app.post(
        "/glossary/new",
        headers=auth_headers("proposer"),
        data={"label": "Enrollee", "definition": "A person enrolled.", "intent": "draft"},
    )
    assert helpers.call_action("hhs_glossary_term_show", id="enrollee")["status"] == "draft"
    form = app.get("/glossary/enrollee/edit", headers=auth_headers("proposer")).get_data(as_text=True)
    assert 'id="field-related_terms"' in form and 'name="exact_matches__0__system"' in form
    app.post(
        "/glossary/enrollee/edit",
        headers=auth_headers("proposer"),
        data={
            "label": "Enrollee",
            "definition": "A person enrolled in a plan.",
            "parent": "beneficiary",
            "related_terms": ["enrollment"],
            "references": "https://www.cms.gov/glossary",
            "exact_matches__0__system": "LOINC",
            "exact_matches__0__code": "8302-2",
            "exact_matches__1__system": "",
            "steward": "",
        },
    )
    term = helpers.call_action("hhs_glossary_term_show", id="enrollee")
    assert term["definition"] == "A person enrolled in a plan."
    assert (term["parent"] or {}).get("slug") == "beneficiary"
    assert [(r["slug"], r["type"]) for r in term["related"]] == [("enrollment", "related")]
    assert [r["url"] for r in term["references"]] == ["https://www.cms.gov/glossary"]
    assert [(c["system"], c["code"]) for c in term["exact_matches"]] == [("LOINC", "8302-2")]
