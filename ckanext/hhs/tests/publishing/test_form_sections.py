"""The dataset form people can finish (#24): sections with a heading and an intro, the optional ones
folded; the division chosen for a user with one, a choice required of one with several; visibility
following the access level unless the user says otherwise."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.publishing.forms import editor_client, logged_in, submit
from ckanext.hhs.tests.publishing.test_form_blanks import FILLED

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_the_form_is_in_sections_and_the_optional_ones_are_folded(app):
    client, _ = editor_client(app)
    page = client.get("/dataset/new").get_data(as_text=True)
    for title in ("About the data", "Contact and publisher", "Access and rights"):
        assert f'">{title}</h2>' in page and '<section class="hhs-form-section"' in page, title
    for section in ("coverage", "health", "governance"):
        assert f'<details class="hhs-form-section" id="section-{section}-group">' in page, section
    # A field with an error opens its folded section.
    response = submit(client, "/dataset/new", "dataset-edit", {**FILLED, "temporal": "x/"}, ("save", "continue"))
    assert '<details class="hhs-form-section" id="section-coverage-group" open>' in response.get_data(as_text=True)


def test_the_division_is_chosen_for_one_and_required_of_several(app):
    client, division = editor_client(app)
    page = client.get("/dataset/new").get_data(as_text=True)
    assert f'<option value="{division["id"]}" selected' in page and "Choose a division" not in page
    sysadmin = logged_in(app, ckan_factories.Sysadmin())
    factories.Division(name="cdc")
    page = sysadmin.get("/dataset/new").get_data(as_text=True)
    assert '<option value="" selected' in page and "Choose a division" in page
    response = submit(sysadmin, "/dataset/new", "dataset-edit", {**FILLED}, ("save", "continue"))
    assert "Organization: Missing value" in response.get_data(as_text=True) or "Division" in response.get_data(
        as_text=True
    )
    assert helpers.call_action("package_search", include_drafts=True, include_private=True)["count"] == 0


@pytest.mark.parametrize(
    ("level", "visibility", "private"),
    [
        ("public", "auto", False),
        ("non-public", "auto", True),
        ("restricted public", "auto", True),
        ("non-public", "False", False),
        ("public", "True", True),
    ],
)
def test_visibility_follows_the_access_level_unless_the_user_chooses(app, level, visibility, private):
    client, _ = editor_client(app)
    changes = {**FILLED, "access_level": level, "private": visibility, "access_rights": "Ask the data team."}
    response = submit(client, "/dataset/new", "dataset-edit", changes, ("save", "continue"))
    assert response.status_code == 200
    dataset = helpers.call_action("package_show", id="inpatient-stays")
    assert dataset["private"] is private
    # The next stage says which it is.
    said = "This dataset is private" if private else "This dataset is public"
    assert said in response.get_data(as_text=True)
    # The edit form offers what is stored: "follow" where it is what the access level gives.
    page = client.get("/dataset/edit/inpatient-stays").get_data(as_text=True)
    shown = "auto" if visibility == "auto" else visibility
    assert f'<option value="{shown}" selected' in page


def test_without_script_the_resource_form_shows_every_field_with_the_kinds_it_is_for(app):
    client, _ = editor_client(app)
    submit(client, "/dataset/new", "dataset-edit", FILLED, ("save", "continue"))
    page = client.get("/dataset/inpatient-stays/resource/new").get_data(as_text=True)
    assert '<div class="hhs-kind-field" data-hhs-kinds="lakehouse">' in page and 'id="field-table_uri"' in page
    assert "For: Lakehouse table (linked in place)" in page and "For: File (download)" in page
    assert 'data-module="hhs-resource-kind hhs-resource-guess"' in page
