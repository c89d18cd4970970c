"""Pages in a real browser (Debian's chromium through Playwright), checked with axe-core for WCAG 2.1 A/AA.

Every page a visitor or a staff member meets on the everyday paths must have 0 axe violations of any
impact. Screenshots of each page are kept under var/screenshots/ (git-ignored) as test artifacts.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.browser import axe_check

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def glossary(sysadmin_context):
    helpers.call_action(
        "hhs_glossary_import",
        context=sysadmin_context,
        rows=[
            {
                "name": "beneficiary",
                "displayName": "Beneficiary",
                "description": "A person covered by a health insurance program.",
                "status": "approved",
            },
            {
                "name": "medicare-beneficiary",
                "displayName": "Medicare beneficiary",
                "parent": "beneficiary",
                "description": "A person covered by Medicare.",
                "relatedTerms": [{"term": "beneficiary", "type": "related"}],
                "references": [{"name": "CMS glossary", "url": "https://www.cms.gov/glossary"}],
                "status": "approved",
            },
        ],
    )


def _check(page, url: str, name: str) -> None:
    """Open url, keep a screenshot, and fail on any axe-core WCAG 2.1 A/AA violation."""
    response = page.goto(url)
    assert response.status == 200, url
    axe_check(page, name)


def _log_in(page, base: str, user: dict) -> None:
    page.goto(base + "/user/login")
    page.fill("#field-login", user["name"])
    page.fill("#field-password", PASSWORD)
    page.click("form:has(#field-login) button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "glossary")
def test_visitor_pages_pass_axe_and_lead_from_home_to_a_download(live_server, browser):
    division = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", acronym="CMS")
    dataset = factories.HhsDataset(
        owner_org=division["id"],
        title="Medicare claims",
        glossary_terms=["medicare-beneficiary"],
        frequency="R/P1Y",
        coding_system=["ICD-10-CM"],
        health_theme=["health-care-cost"],
        license_id="https://www.usa.gov/government-works",
        resources=[
            {"url": "https://data.cms.gov/claims.csv", "name": "Claims 2024", "format": "", "mimetype": "text/csv"},
            {"url": "https://data.cms.gov/api/claims", "name": "Claims API", "format": "API", "resource_kind": "api"},
        ],
    )
    resource = dataset["resources"][0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for path, name in (
        ("/", "home"),
        ("/about", "about"),
        ("/dataset/", "search"),
        ("/dataset/?q=nothing-matches&vocab_coding_system=LOINC", "search-empty"),
        (f"/dataset/{dataset['name']}", "dataset"),
        (f"/dataset/{dataset['name']}/resource/{resource['id']}", "resource"),
        ("/organization/", "divisions"),
        ("/organization/cms", "division"),
        ("/organization/about/cms", "division-about"),
        ("/glossary", "glossary"),
        ("/glossary?view=hierarchy", "glossary-hierarchy"),
        ("/glossary/medicare-beneficiary", "glossary-term"),
        ("/glossary/medicare-beneficiary/history", "glossary-history"),
    ):
        _check(page, live_server + path, f"visitor-{name}")

    # Home -> search with a facet and the completeness sort -> dataset -> download.
    page.goto(live_server + "/")
    page.fill("#hhs-home-search", "medicare")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.get_by_role("link", name=re.compile("ICD-10-CM")).first.click()
    page.wait_for_load_state()
    assert "vocab_coding_system=ICD-10-CM" in page.url
    page.wait_for_load_state("networkidle")  # CKAN's JavaScript modules start once its translations loaded
    page.select_option("#field-order-by", "completeness_sort desc, metadata_modified desc")
    page.wait_for_url(re.compile("sort=completeness_sort"))
    axe_check(page, "visitor-search-facet-sort")
    page.get_by_role("link", name="Medicare claims").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/dataset/{dataset['name']}")
    assert page.get_by_text("Annually").count() == 1
    download = page.get_by_role("link", name="Download Claims 2024")
    assert download.get_attribute("href") == "https://data.cms.gov/claims.csv"
    page.get_by_role("link", name="Medicare beneficiary").click()
    page.wait_for_load_state()
    assert page.url.endswith("/glossary/medicare-beneficiary")
    page.get_by_role("link", name="Medicare claims").click()
    assert page.url.endswith(f"/dataset/{dataset['name']}")

    # On a phone the main navigation sits behind the USWDS menu button.
    page.set_viewport_size({"width": 390, "height": 844})
    _check(page, live_server + "/", "visitor-home-phone")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Divisions", exact=True).first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/organization/")
    axe_check(page, "visitor-divisions-phone")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "glossary")
def test_keyboard_reaches_the_search_box_first_and_sees_where_focus_is(live_server, browser):
    factories.HhsDataset(coding_system=["LOINC"], health_theme=["research"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server + "/dataset/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.keyboard.press("Enter")
    for _ in range(9):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "field-giant-search":
            break
    else:
        pytest.fail("the search box is not among the first Tab stops after the skip link")
    # The focused search box shows a visible outline.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "glossary")
def test_staff_create_a_dataset_with_blank_optional_fields_and_a_link(live_server, browser):
    user = ckan_factories.Sysadmin(password=PASSWORD)
    division = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", acronym="CMS")
    existing = factories.HhsDataset(owner_org=division["id"], title="Medicare claims")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, live_server, user)
    for path, name in (
        ("/", "home"),
        ("/dataset/", "search"),
        (f"/dataset/{existing['name']}", "dataset"),
        (f"/dataset/edit/{existing['name']}", "dataset-edit"),
        (f"/dataset/{existing['name']}/resource/new", "resource-new"),
        ("/organization/cms", "division"),
        ("/glossary/new", "glossary-new"),
        ("/glossary/medicare-beneficiary/edit", "glossary-edit"),
        ("/glossary/review", "glossary-review"),
        ("/organization/edit/cms", "division-edit"),
        ("/organization/members/cms", "division-members"),
        (f"/user/{user['name']}", "user"),
        ("/dashboard/datasets", "dashboard"),
        ("/dataset/new", "dataset-new"),
    ):
        _check(page, live_server + path, f"staff-{name}")

    # The dataset form, required fields only, a glossary term picked with the keyboard.
    page.fill("#field-title", "Inpatient stays")
    page.fill("#field-notes", "Hospital stays of Medicare beneficiaries.")
    page.evaluate("document.querySelector('[name=tag_string]').value = 'medicare,hospitals'")
    page.select_option("#field-organizations", division["id"], force=True)
    page.locator("#field-bureau_code label", has_text="009:38").click()
    page.locator("input[name=program_code]").first.fill("009:000")
    page.select_option("#field-access_level", "public", force=True)
    page.fill("#field-contact-0-name", "Data Team")
    page.fill("#field-contact-0-email", "data@cms.hhs.gov")
    page.locator("details:has(#field-glossary_terms) > summary").click()  # its folded section, opened
    page.focus("#field-glossary_terms")
    page.keyboard.type("medicare benef")
    page.wait_for_selector("#field-glossary_terms-listbox [role=option]")
    page.keyboard.press("Enter")  # chooses the highlighted term; never submits the typed text
    assert page.url.endswith("/dataset/new")
    assert page.locator("input[type=hidden][name=glossary_terms]").input_value() == "medicare-beneficiary"
    axe_check(page, "staff-dataset-new-filled")
    page.click("button[name=save]")
    page.wait_for_load_state()
    assert "/resource/new" in page.url, page.url

    # A linked resource: no empty "Columns and glossary terms" row stands in the way.
    page.wait_for_load_state("networkidle")
    page.click("#resource-link-button")
    page.fill("#field-resource-url", "https://data.cms.gov/inpatient")
    page.fill("#field-name", "Inpatient stays on data.cms.gov")
    axe_check(page, "staff-resource-new-filled")
    page.click("button[name=save][value=go-metadata]")
    page.wait_for_load_state()
    assert page.url.endswith("/dataset/inpatient-stays"), page.url
    assert page.get_by_text("The dataset was created.").is_visible()  # the confirmation, a USWDS alert
    axe_check(page, "staff-dataset-created")
    created = helpers.call_action("package_show", id="inpatient-stays")
    assert created["glossary_terms"] == ["medicare-beneficiary"]
    assert [r["url"] for r in created["resources"]] == ["https://data.cms.gov/inpatient"]
    assert page.get_by_role("link", name="Medicare beneficiary").count() == 1

    # Edit it and see the change.
    page.goto(live_server + "/dataset/edit/inpatient-stays")
    page.fill("#field-notes", "Hospital stays of Medicare beneficiaries, by hospital.")
    page.click("button[name=save]")
    page.wait_for_load_state()
    assert page.url.endswith("/dataset/inpatient-stays"), page.url
    assert page.get_by_text("by hospital").count() == 1
    assert page.get_by_text("The dataset was saved.").is_visible()


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "glossary")
def test_propose_a_term_with_live_duplicates_then_a_board_member_approves_it(live_server, browser):
    board = factories.Division(name="data-governance-board", kind="governance", bureau_code="009:90")
    proposer = ckan_factories.User(password=PASSWORD)
    reviewer = ckan_factories.User(password=PASSWORD)
    helpers.call_action("organization_member_create", id=board["id"], username=reviewer["name"], role="editor")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, live_server, proposer)
    page.goto(live_server + "/glossary/new")
    page.wait_for_load_state("networkidle")
    page.fill("#field-label", "Beneficiary")  # already a term: shown while typing, before saving
    page.get_by_role("link", name="Beneficiary").first.wait_for()
    axe_check(page, "staff-glossary-new-duplicates")
    page.fill("#field-label", "Enrollee")
    page.fill("#field-definition", "A person enrolled in a health plan for a period of coverage.")
    page.focus("#field-related_terms")
    page.keyboard.type("benef")
    page.wait_for_selector("#field-related_terms-listbox [role=option]")
    page.keyboard.press("Enter")
    page.fill("#field-references", "CMS glossary | https://www.cms.gov/glossary")
    page.select_option("select[name=exact_matches__0__system]", "LOINC")
    page.fill("input[name=exact_matches__0__code]", "8302-2")
    axe_check(page, "staff-glossary-new-filled")
    page.get_by_role("button", name="Propose for review").click()
    page.wait_for_load_state()
    assert page.url.endswith("/glossary/enrollee"), page.url
    assert page.get_by_text("Term proposed.").count() == 1
    axe_check(page, "staff-glossary-proposed")
    term = helpers.call_action("hhs_glossary_term_show", id="enrollee")
    assert term["status"] == "in_review"
    assert [r["slug"] for r in term["related"]] == ["beneficiary"]

    reviewer_page = browser.new_context().new_page()
    _log_in(reviewer_page, live_server, reviewer)
    _check(reviewer_page, live_server + "/glossary/review", "board-glossary-review")
    approve = reviewer_page.locator("form.hhs-step--approve:has(input[name=came_from])").first
    approve.locator("input[name=message]").fill("Matches CMS usage.")
    approve.get_by_role("button", name="Approve").click()
    reviewer_page.wait_for_load_state()
    assert helpers.call_action("hhs_glossary_term_show", id="enrollee")["status"] == "approved"
    axe_check(reviewer_page, "board-glossary-approved")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_an_editor_adds_a_harvest_source_and_reads_its_report(live_server, browser, catalog_server):
    from ckanext.harvest.model import HarvestJob
    from ckanext.harvest.tests.lib import run_harvest_job
    from ckanext.hhs import vocab
    from ckanext.hhs.harvest.plugin import HhsHarvestPlugin

    with open(os.path.join(vocab.DATA, "demo", "cms-data.json"), encoding="utf-8") as f:
        catalog = json.load(f)
    catalog["dataset"] = catalog["dataset"][:3]
    url = catalog_server.serve("/data.json", json.dumps(catalog))
    user = ckan_factories.Sysadmin(password=PASSWORD)
    division = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", acronym="CMS")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, live_server, user)
    page.get_by_role("link", name="Harvest", exact=True).click()
    page.wait_for_load_state()
    axe_check(page, "staff-harvest-sources")
    _check(page, live_server + "/harvest/new", "staff-harvest-new")
    page.fill("#field-url", url)
    page.fill("#field-title", "CMS catalog")
    page.check("input[name=source_type][value=hhs_datajson]")
    page.select_option("#field-organizations", division["id"], force=True)
    page.click("form#source-new input#save")
    page.wait_for_load_state()
    source = helpers.call_action("harvest_source_show", id="cms-catalog")
    assert source["url"] == url

    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
    _check(page, live_server + "/harvest/cms-catalog", "staff-harvest-source")
    assert page.get_by_text("0 errors").count() == 1
    assert page.locator("[data-diff=error].bg-danger").count() == 0  # no red badge for no errors
    page.get_by_role("link", name="Report of this harvest").click()
    page.wait_for_load_state()
    assert f"/job/{job['id']}" in page.url
    axe_check(page, "staff-harvest-report")
