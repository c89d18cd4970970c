"""Quality suggestions in a real browser (Debian's chromium through Playwright): a board member reads
them by division; a steward accepts a mojibake repair on the dataset page in one click and sees it
confirmed; axe-core finds no WCAG 2.1 A/AA violation on either page."""

from __future__ import annotations

import re

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.browser import axe_check

from .test_quality import MOJIBAKE

PASSWORD = "quality-test-1"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _login(browser, site: str, name: str):
    page = browser.new_page()
    page.goto(site + "/user/login")
    page.fill("#field-login", name)
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()
    return page


def test_board_page_and_one_click_accept_pass_axe(live_server, browser, board):
    steward = ckan_factories.User(password=PASSWORD)
    member = ckan_factories.User(password=PASSWORD)
    helpers.call_action("organization_member_create", id=board.org["id"], username=member["name"], role="member")
    org = factories.Division(name="cms", bureau_code="009:38", users=[{"name": steward["name"], "capacity": "editor"}])
    dataset = factories.HhsDataset(owner_org=org["id"], title="Medicare Open Enrollment Counts", notes=MOJIBAKE)
    helpers.call_action("hhs_governance_quality_check", context={"user": board.editor["name"]}, wait=True)

    page = _login(browser, live_server, member["name"])
    assert page.goto(live_server + "/governance/quality").status == 200
    assert page.get_by_role("heading", name="Quality suggestions").is_visible()
    assert page.get_by_role("link", name="Medicare Open Enrollment Counts").first.is_visible()
    axe_check(page, "governance-quality")
    page.select_option("#quality-kind", "encoding")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert page.locator(".hhs-quality-suggestions tbody tr").count() == 1
    # The table fits its column (no column off-screen).
    assert page.evaluate(
        "() => { const t = document.querySelector('.hhs-quality-suggestions');"
        " return t.scrollWidth <= t.parentElement.clientWidth + 1; }"
    )
    # On the dataset page a Board member sees the suggestions but no Accept or Dismiss.
    assert page.goto(f"{live_server}/dataset/{dataset['name']}").status == 200
    assert page.get_by_role("heading", name="Quality suggestions").is_visible()
    assert page.get_by_role("button", name=re.compile("^(Accept|Dismiss) ")).count() == 0
    page.context.close()

    page = _login(browser, live_server, steward["name"])
    assert page.goto(f"{live_server}/dataset/{dataset['name']}").status == 200
    assert page.get_by_role("heading", name="Quality suggestions").is_visible()
    axe_check(page, "dataset-quality")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Accept .* for Description$")).click()
    assert page.get_by_text("Description updated on the dataset").is_visible()
    assert "this year\u2019s open enrollment" in page.inner_text("body")
    axe_check(page, "dataset-quality-accepted")
