"""The dataset form end to end in a real browser (#24), at 1280 px and on a 390 px phone: the blank form
answers with per-field errors (no HTTP 500), a filled form creates the dataset and its resource (fields by
kind; name, format and media type guessed from the link), the edit form saved unchanged changes nothing,
the multiple choices are labelled checkboxes used with the keyboard, and every page, its folded sections
opened, passes axe-core with 0 violations."""

from __future__ import annotations

import json

import pytest
import requests

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import dcatus3, pod
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
    page.locator("#field-bureau_code label", has_text="009:38").click()  # USWDS draws the box in the label
    page.fill("input[name=program_code]", "009:000")
    page.select_option("#field-access_level", "non-public")
    page.fill("#field-access_rights", "Ask the CMS data team for a data use agreement.")
    page.fill("#field-contact-0-name", "Data Team")
    page.fill("#field-contact-0-email", "data@cms.hhs.gov")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")


def _fill_resource(page) -> None:
    """A linked CSV file; the form shows the fields of the chosen kind only, and the link names it."""
    page.select_option("#field-resource_kind", "file")
    assert page.locator("#field-table_uri").is_hidden() and page.locator("#field-mimetype").is_visible()
    page.select_option("#field-resource_kind", "lakehouse")
    assert page.locator("#field-table_uri").is_visible() and page.locator("#field-mimetype").is_hidden()
    page.select_option("#field-resource_kind", "file")
    page.get_by_role("button", name="Link").click()
    page.locator("#field-resource-url").press_sequentially("https://data.cms.gov/inpatient.csv")
    _guessed(page, name="inpatient.csv", format="CSV", mimetype="text/csv")
    page.fill("#field-name", "Inpatient stays 2024")
    page.click("button[name=save][value=go-metadata]")
    page.wait_for_load_state("networkidle")


def _guessed(page, **expected: str) -> None:
    """Wait until the resource form shows what its link tells (the guess answers after a short pause)."""
    fields = ", ".join(f"document.querySelector('#field-{k}').value" for k in expected)
    wanted = json.dumps(list(expected.values()), separators=(",", ":"))
    page.wait_for_function(f"JSON.stringify([{fields}]) === {json.dumps(wanted)}")


def _open_folded(page) -> None:
    """Open the form's folded sections as a person does, by their headings."""
    folded = page.locator("form details:not([open]) > summary")
    for _ in range(folded.count()):
        folded.first.click()
    assert page.locator("form details:not([open])").count() == 0


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
    _open_folded(page)
    axe_check(page, f"publishing-new-opened-{width}")

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
    resource = created["resources"][0]
    assert resource["url"] == "https://data.cms.gov/inpatient.csv"
    assert (resource["name"], resource["format"], resource["mimetype"]) == ("Inpatient stays 2024", "CSV", "text/csv")
    page.goto(f"{live_server}/dataset/{name}")
    axe_check(page, f"publishing-dataset-{width}")

    # The edit form saved unchanged changes nothing.
    before = _shown(name)
    page.goto(f"{live_server}/dataset/edit/{name}")
    page.wait_for_load_state("networkidle")
    axe_check(page, f"publishing-edit-{width}")
    _open_folded(page)
    axe_check(page, f"publishing-edit-opened-{width}")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    assert _shown(name) == before

    # What the form made goes out as a valid federal record (a private one: in the staff inventory).
    token = ckan_factories.APIToken(user=ckan_factories.Sysadmin()["name"])["token"]
    for path, errors in (
        ("/inventory/data.json", lambda catalog: pod.schema_errors("catalog.json", catalog)),
        ("/inventory/dcat-us-3.json", dcatus3.schema_errors),
    ):
        catalog = requests.get(live_server + path, headers={"Authorization": token}, timeout=120).json()
        assert f"Inpatient stays {width}" in json.dumps(catalog), path
        assert errors(catalog) == [], path


MULTIPLE = ("bureau_code", "health_theme", "coding_system", "legal_basis")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
@pytest.mark.parametrize("width", [1280, 390])
def test_multiple_choices_are_labelled_checkboxes_used_with_the_keyboard(live_server, browser, width):
    editor = ckan_factories.User(password=PASSWORD)
    division = factories.Division(name="cms", title="CMS", users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.HhsDataset(
        owner_org=division["id"], health_theme=["chronic-disease"], coding_system=["LOINC"], theme=["Medicare"]
    )
    page = browser.new_page(viewport={"width": width, "height": 900})
    _log_in(page, live_server, editor)
    page.goto(f"{live_server}/dataset/edit/{dataset['name']}")
    page.wait_for_load_state("networkidle")
    _open_folded(page)
    for field in MULTIPLE:
        group = page.get_by_role("group", name=page.locator(f"#field-{field} > legend").inner_text().strip("* "))
        assert group.get_attribute("id") == f"field-{field}", field
        boxes = group.get_by_role("checkbox")
        assert boxes.count() >= 2, field
        for n in range(boxes.count()):  # each box named by its own label
            assert boxes.nth(n).evaluate("b => b.labels.length === 1 && b.labels[0].textContent.trim() !== ''")
    assert page.locator("select[multiple]").count() == 0

    # By keyboard only: Tab reaches the legal bases' first box, Space checks it, Tab and Space the next.
    first = page.locator("#field-legal_basis input").first
    page.locator("#field-coding_system input").last.focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        if first.evaluate("b => b === document.activeElement"):
            break
    assert first.evaluate("b => b === document.activeElement"), "Tab never reached the first legal basis"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert page.locator("#field-legal_basis input:checked").count() == 2
    # And unchecked again with Space, on the health theme stored before.
    stored = page.locator("#field-health_theme input:checked")
    assert stored.count() == 1
    stored.focus()
    page.keyboard.press("Space")
    axe_check(page, f"publishing-checkboxes-{width}")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    saved = helpers.call_action("package_show", id=dataset["id"])
    assert len(saved["legal_basis"]) == 2 and not saved.get("health_theme")
    assert saved["coding_system"] == ["LOINC"] and saved["bureau_code"] == ["009:38"]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_typing_a_link_fills_name_format_and_media_type_but_not_over_what_was_typed(live_server, browser):
    editor = ckan_factories.User(password=PASSWORD)
    division = factories.Division(name="cms", title="CMS", users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.HhsDataset(owner_org=division["id"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, live_server, editor)
    page.goto(f"{live_server}/dataset/{dataset['name']}/resource/new")
    page.wait_for_load_state("networkidle")
    page.select_option("#field-resource_kind", "file")
    page.get_by_role("button", name="Link").click()
    url = page.locator("#field-resource-url")
    url.press_sequentially("https://data.cms.gov/files/Inpatient%20Stays.xlsx")
    _guessed(
        page,
        name="Inpatient Stays.xlsx",
        format="XLSX",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    axe_check(page, "publishing-resource-guessed")

    # A name and media type the person typed stay theirs; the format the form filled follows the link.
    page.fill("#field-name", "Inpatient stays, 2024")
    page.fill("#field-mimetype", "text/plain")
    url.fill("")
    url.press_sequentially("https://data.cms.gov/files/inpatient.json")
    _guessed(page, name="Inpatient stays, 2024", format="JSON", mimetype="text/plain")
    page.locator("#resource-edit button[name=save]").last.click()
    page.wait_for_load_state("networkidle")
    (resource,) = helpers.call_action("package_show", id=dataset["id"])["resources"]
    assert (resource["name"], resource["format"]) == ("Inpatient stays, 2024", "JSON")
    assert resource["mimetype"] == "text/plain"
