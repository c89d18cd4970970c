"""The gaps tracker in a real browser (Debian's chromium through Playwright), checked with axe-core for
WCAG 2.1 A/AA: a board editor records a gap on the form, sees the confirmation, comments and closes it."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.browser import axe_check

PASSWORD = "gaps-browser-test-1"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _day(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def test_editor_records_comments_and_closes_a_gap(live_server, browser, board):
    factories.Division(name="cms", title="Centers for Medicare & Medicaid Services")
    factories.HhsDataset(name="hospital-enrollments", title="Hospital Enrollments", owner_org="cms")
    helpers.call_action(
        "hhs_governance_gap_create",
        context={"user": board.editor["name"]},
        title="Steward list out of date",
        division="cms",
        severity="medium",
        due_date=_day(-5),
    )
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

    assert page.goto(site + "/governance/gaps").status == 200
    assert page.get_by_text("1 gap is past its due date.").is_visible()
    axe_check(page, "governance/gaps")
    assert page.goto(site + "/governance/gaps?overdue=1&severity=medium").status == 200
    axe_check(page, "governance/gaps-filtered")

    page.get_by_role("link", name="Record a gap").click()
    page.wait_for_load_state()
    axe_check(page, "governance/gaps-new")
    page.locator("#gap-title").fill("Hospital enrollments have no data dictionary")
    page.locator("#gap-description").fill("Analysts cannot tell what the columns mean.")
    page.locator("#gap-division").select_option("cms")
    page.locator("#gap-severity").select_option("high")
    page.locator("#gap-due").fill(_day(30))
    page.locator("#gap-datasets").fill("no-such-dataset")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the gap").click()
    assert page.get_by_text("The gap was not saved").is_visible()
    axe_check(page, "governance/gaps-new-errors")
    page.locator("#gap-datasets").fill("hospital-enrollments")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the gap").click()
    assert page.get_by_text("The gap was recorded.").is_visible()
    assert page.get_by_role("link", name="Hospital Enrollments").is_visible()
    axe_check(page, "governance/gap")

    page.get_by_label("Your comment").fill("CMS agreed to publish one by next month.")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the comment").click()
    assert page.get_by_text("Your comment was added.").is_visible()

    page.get_by_label("New status").select_option("closed")
    page.get_by_label("Note (required when closing: how it was closed)").fill("Dictionary published.")
    with page.expect_navigation():
        page.get_by_role("button", name="Change the status").click()
    assert page.get_by_text("The gap is now closed.").is_visible()
    axe_check(page, "governance/gap-closed")
