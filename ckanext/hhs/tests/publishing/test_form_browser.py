"""The dataset form end to end in a real browser (#24), at 1280 px and on a 390 px phone: the blank form
answers with per-field errors (no HTTP 500), a filled form creates the dataset and its resource (fields by
kind), the edit form saved unchanged changes nothing, and every page passes axe-core with 0 violations."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.browser import axe_check

PASSWORD = "correct-horse-battery-staple"


def _log_in(page, base: str, user: dict) -> None:
    page.goto(base + "/user/login")
    page.fill("#field-login", user["name"])
    page.fill("#field-password", PASSWORD)
    page.click("form:has(#field-login) button[type=submit]")
    page.wait_for_load_state()


def _shown(name: str) -> dict:
    pkg = helpers.call_action("package_show", id=name)
    pkg.pop("metadata_modified")
    return pkg


def _fill_dataset(page, width: int) -> None:
    """Title (the URL name follows it), description, keywords, codes, access, contact; then Next."""
    page.fill("#field-title", f"Inpatient stays {width}")
    page.fill("#field-notes", "Hospital stays of Medicare beneficiaries.")
    # Keywords through the select2 tag widget's own API (typed text waits for its suggestion list).
    page.evaluate("$('#field-tag_string').select2('data', [{id: 'medicare', text: 'medicare'}]).trigger('change')")
    page.select_option("#field-bureau_code", "009:38")
    page.fill("input[name=program_code]", "009:000")
    page.select_option("#field-access_level", "non-public")
    page.fill("#field-access_rights", "Ask the CMS data team for a data use agreement.")
    page.fill("#field-contact-0-name", "Data Team")
    page.fill("#field-contact-0-email", "data@cms.hhs.gov")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")


def _fill_resource(page) -> None:
    """A linked CSV file; the form shows the fields of the chosen kind only."""
    page.select_option("#field-resource_kind", "file")
    assert page.locator("#field-table_uri").is_hidden() and page.locator("#field-mimetype").is_visible()
    page.select_option("#field-resource_kind", "lakehouse")
    assert page.locator("#field-table_uri").is_visible() and page.locator("#field-mimetype").is_hidden()
    page.select_option("#field-resource_kind", "file")
    page.get_by_role("button", name="Link").click()
    page.fill("#field-resource-url", "https://data.cms.gov/inpatient.csv")
    page.fill("#field-name", "Inpatient stays 2024")
    page.click("button[name=save][value=go-metadata]")
    page.wait_for_load_state("networkidle")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
@pytest.mark.parametrize("width", [1280, 390])
def test_create_and_edit_a_dataset_through_the_form(live_server, browser, width):
    editor = ckan_factories.User(password=PASSWORD)
    factories.Division(name="cms", title="CMS", users=[{"name": editor["name"], "capacity": "editor"}])
    page = browser.new_page(viewport={"width": width, "height": 900})
    _log_in(page, live_server, editor)

    page.goto(live_server + "/dataset/new")
    page.wait_for_load_state("networkidle")
    axe_check(page, f"publishing-new-{width}")

    # Everything blank: the form comes back with an error at each required field, not a server error.
    response_status = []
    page.on("response", lambda r: response_status.append(r.status) if r.request.method == "POST" else None)
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    assert response_status and response_status[-1] == 200
    assert page.get_by_text("The form contains invalid entries").count() == 1
    summary = page.locator(".error-explanation").inner_text()
    for label in ("Title", "Description", "Bureau code", "Program code", "Contact"):
        assert label in summary, (label, summary)
    assert page.locator(".error-block").count() >= 4
    axe_check(page, f"publishing-new-errors-{width}")

    _fill_dataset(page, width)
    assert "/resource/new" in page.url, page.locator(".error-explanation").all_inner_texts()
    assert page.get_by_text("This dataset is private").count() == 1
    axe_check(page, f"publishing-resource-new-{width}")

    _fill_resource(page)

    name = f"inpatient-stays-{width}"
    created = helpers.call_action("package_show", id=name)
    assert created["state"] == "active" and created["private"] is True  # non-public follows to private
    assert created["resources"][0]["url"] == "https://data.cms.gov/inpatient.csv"
    page.goto(f"{live_server}/dataset/{name}")
    axe_check(page, f"publishing-dataset-{width}")

    # The edit form saved unchanged changes nothing.
    before = _shown(name)
    page.goto(f"{live_server}/dataset/edit/{name}")
    page.wait_for_load_state("networkidle")
    axe_check(page, f"publishing-edit-{width}")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    assert _shown(name) == before
