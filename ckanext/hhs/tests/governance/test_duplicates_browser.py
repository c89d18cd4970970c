"""The duplicates page in a real browser (Debian's chromium through Playwright), checked with axe-core for
WCAG 2.1 A/AA: a board editor finds a cross-division pair, picks the authoritative source and sees the
confirmation; the chosen dataset gets the flag and the other the link."""

from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.hhs.governance.duplicates import scan as duplicates
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.browser import axe_check

PASSWORD = "duplicates-browser-test-1"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_editor_resolves_a_cross_division_duplicate(live_server, browser, board):
    cms = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services")
    cdc = factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")
    original = factories.HhsDataset(
        name="cms-aco", title="ACO Participants", owner_org=cms["id"], url="https://data.cms.gov/aco"
    )
    copy = factories.HhsDataset(
        name="cdc-aco", title="ACO Participants (CDC copy)", owner_org=cdc["id"], url="http://www.data.cms.gov/aco/"
    )
    duplicates.scan()
    user = model.User.get(board.editor["name"])
    user.password = PASSWORD
    model.Session.commit()

    page = browser.new_page()
    site = live_server
    page.goto(site + "/user/login")
    page.fill("#field-login", board.editor["name"])
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()

    assert page.goto(site + "/governance/duplicates").status == 200
    assert page.get_by_text("Same landing page").is_visible()
    axe_check(page, "governance/duplicates")

    # USWDS draws its own radio: the person clicks the label.
    page.locator("label.usa-radio__label", has_text="ACO Participants (Centers for Medicare").click()
    assert page.get_by_label("ACO Participants (Centers for Medicare & Medicaid Services)").is_checked()
    page.get_by_label("Note (optional)").fill("CMS publishes it; CDC keeps an extract.")
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as duplicates").click()
    assert page.get_by_text('Marked as duplicates; "ACO Participants" is the authoritative source.').is_visible()
    axe_check(page, "governance/duplicates-decided")

    assert helpers.call_action("package_show", id=original["id"])["authoritative_source"] is True
    assert helpers.call_action("package_show", id=copy["id"])["authoritative_dataset"] == original["id"]
    assert page.goto(site + "/governance/duplicates?status=duplicate").status == 200
    assert page.get_by_text("CMS publishes it; CDC keeps an extract.").is_visible()
    axe_check(page, "governance/duplicates-resolved")
