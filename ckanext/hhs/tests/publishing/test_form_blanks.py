"""Every stage of the dataset and resource forms, empty or half-filled, answers with field errors, never
HTTP 500 (issue #24: a blank contact email made "Next: Add Data" fail in navl's unflatten)."""

from __future__ import annotations

import pytest

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.publishing.forms import editor_client, submit

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

# Half-filled first stages: what a person stops at (no contact, a contact without email, ...).
FILLED = {
    "title": "Inpatient stays",
    "name": "inpatient-stays",
    "notes": "Hospital stays of Medicare beneficiaries.",
    "tag_string": "medicare",
    "bureau_code": "009:38",
    "program_code": "009:000",
    "access_level": "public",
    "contact-0-name": "Data Team",
    "contact-0-email": "data@cms.hhs.gov",
}
HALVES = {
    "everything empty": {},
    "contact email blank": {**FILLED, "contact-0-email": ""},
    "contact blank": {**FILLED, "contact-0-name": "", "contact-0-email": ""},
    "contact name only": {"contact-0-name": "Data Team"},
    "contact email only, invalid": {"contact-0-email": "not an address"},
    "title only": {"title": "Inpatient stays"},
    "non-public without rights": {**FILLED, "access_level": "non-public"},
    "steward email blank": {**FILLED, "data_steward-0-name": "A. Steward"},
    "dictionary format only": {**FILLED, "data_dictionary-0-format": "application/pdf"},
    "ages and dates half": {**FILLED, "min_typical_age": "abc", "issued": "2020-13", "temporal": "x/"},
}


# Complete enough to be saved (optional groups half-filled): the next stage follows.
ACCEPTED = {"steward email blank", "dictionary format only"}


def test_the_first_stage_answers_with_field_errors(app):
    client, _ = editor_client(app)
    for case, half in sorted(HALVES.items()):
        changes = {**half, "name": f"{half['name']}-{len(case)}"} if half.get("name") else half
        response = submit(client, "/dataset/new", "dataset-edit", changes, button=("save", "continue"))
        assert response.status_code == 200, (case, response.status_code)
        invalid = "The form contains invalid entries" in response.get_data(as_text=True)
        assert invalid == (case not in ACCEPTED), case


def test_the_contact_message_is_shown_on_the_form(app):
    client, _ = editor_client(app)
    page = submit(client, "/dataset/new", "dataset-edit", HALVES["contact blank"], ("save", "continue")).get_data(
        as_text=True
    )
    assert "At least one contact point with a name and email is required" in page


def _draft(client):
    response = submit(client, "/dataset/new", "dataset-edit", FILLED, button=("save", "continue"))
    assert response.status_code == 200
    assert "/dataset/inpatient-stays/resource/new" in response.request.url or "resource" in response.get_data(
        as_text=True
    )


def test_every_resource_stage_answers_without_error(app):
    client, _ = editor_client(app)
    _draft(client)
    url = "/dataset/inpatient-stays/resource/new"
    for button in ("go-dataset", "again", "go-metadata"):
        for changes in ({}, {"name": "Inpatient file"}, {"url": "javascript:alert(1)"}, {"format": "CSV"}):
            response = submit(client, url, "resource-edit", changes, button=("save", button))
            assert response.status_code in (200, 302), (button, changes, response.status_code)


def test_the_edit_forms_blanked_answer_with_field_errors(app):
    client, division = editor_client(app)
    dataset = factories.HhsDataset(owner_org=division["id"], resources=[{"url": "https://example.gov/a.csv"}])
    for changes in (
        {"title": "", "notes": "", "tag_string": "", "program_code": "", "contact-0-name": "", "contact-0-email": ""},
        {"contact-0-email": ""},
        {"bureau_code": None, "access_level": ""},
    ):
        response = submit(client, f"/dataset/edit/{dataset['name']}", "dataset-edit", changes)
        assert response.status_code == 200, (changes, response.status_code)
        assert "The form contains invalid entries" in response.get_data(as_text=True), changes
    url = f"/dataset/{dataset['name']}/resource/{dataset['resources'][0]['id']}/edit"
    for changes in ({"url": ""}, {"url": "", "name": ""}, {"url": "file:///etc/passwd"}):
        response = submit(client, url, "resource-edit", changes)
        assert response.status_code in (200, 302), (changes, response.status_code)


def test_download_of_a_stored_non_web_link_does_not_fail(app):
    """Links stored before non-web URLs were refused (javascript:, file:) answer without HTTP 500."""
    import ckan.model as model

    dataset = factories.HhsDataset(resources=[{"url": "https://example.gov/a.csv"}])
    for url in ("javascript:alert(1)", "file:///etc/passwd", "gopher://example.gov/"):
        resource = model.Resource.get(dataset["resources"][0]["id"])
        resource.url = url
        model.Session.commit()
        response = app.get(f"/dataset/{dataset['name']}/resource/{resource.id}/download", follow_redirects=False)
        assert response.status_code < 500, (url, response.status_code)
        assert url not in response.headers.get("Location", ""), url
