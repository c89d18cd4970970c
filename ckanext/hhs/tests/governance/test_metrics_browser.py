"""The governance dashboard in a real browser (Debian's chromium through Playwright): a board member
logs in, sees the figures with their charts drawn by Chart.js and the tables beside them, switches
to a division; axe-core finds no WCAG 2.1 A/AA violation; without JavaScript the tables remain."""

from __future__ import annotations

import pytest

import ckan.model as model

from ckanext.hhs.governance.metrics.figures import compute_figures
from ckanext.hhs.governance.metrics.links import check_links
from ckanext.hhs.tests.browser import axe_check

from .test_metrics import catalog  # noqa: F401 (fixture)

PASSWORD = "governance-test-1"

pytestmark = [
    pytest.mark.ckan_config("ckanext.hhs.governance.linkcheck_interval", "0"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def test_dashboard_passes_axe_with_its_charts_and_works_without_javascript(live_server, browser, board, catalog):  # noqa: F811
    member = model.User.get(board.member["name"])
    member.password = PASSWORD  # the model hashes it
    model.Session.commit()
    check_links()
    compute_figures()

    page = browser.new_page()
    page.goto(live_server + "/user/login")
    page.fill("#field-login", board.member["name"])
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()

    response = page.goto(live_server + "/governance/")
    assert response.status == 200
    page.wait_for_selector("[data-hhs-chart='bar'] canvas")
    charts = page.locator("canvas[role='img']")
    assert charts.count() == 3  # completeness trend, divisions compared, access requests by status
    assert "table below" in charts.first.get_attribute("aria-label")
    assert page.locator("#chart-divisions-table tbody tr").count() == 2
    axe_check(page, "governance")

    page.select_option("#governance-division", "cms")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "division=cms" in page.url
    heading = "Governance dashboard: Centers for Medicare & Medicaid Services"
    assert page.get_by_role("heading", name=heading).is_visible()
    page.wait_for_selector("[data-hhs-chart='line'] canvas")
    axe_check(page, "governance-cms")

    # Anonymous: to the login page with the way back (no 403 page with a login link inside its text).
    anonymous = browser.new_context()
    visitor = anonymous.new_page()
    visitor.goto(live_server + "/governance/")
    assert "/user/login" in visitor.url and "came_from" in visitor.url
    axe_check(visitor, "governance-anonymous")
    anonymous.close()

    # Without JavaScript: no chart, the same figures in the tables.
    cookies = page.context.cookies()
    plain = browser.new_context(java_script_enabled=False)
    plain.add_cookies(cookies)
    no_js = plain.new_page()
    assert no_js.goto(live_server + "/governance/").status == 200
    assert no_js.locator("canvas").count() == 0
    assert no_js.locator("#chart-trend-table tbody tr").count() == 1
    assert no_js.locator("#chart-divisions-table").is_visible()
    plain.close()
