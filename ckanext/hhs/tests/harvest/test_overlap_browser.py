"""The warning on a harvest source that doubles another division's catalog, in a real browser (Debian's
chromium through Playwright) with axe-core: 0 WCAG 2.1 A/AA violations; the editor cancels the source."""

from __future__ import annotations

import pytest

import ckan.model as model

from ckanext.hhs.tests.browser import axe_check

from .test_overlap import PASSWORD, _harvest_into_cdc, catalog, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_editor_sees_the_warning_and_cancels_the_source(live_server, browser, catalog_server, catalog, world):  # noqa: F811
    source = _harvest_into_cdc(catalog_server, catalog, world)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server + "/user/login")
    page.fill("#field-login", world["cdc_editor"]["name"])
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()
    assert page.goto(f"{live_server}/harvest/{source['name']}").status == 200
    assert page.get_by_role("heading", name="Another division already publishes these datasets").is_visible()
    axe_check(page, "staff-harvest-source-overlap")
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel this harvest source").click()
    assert page.get_by_text("The harvest source was cancelled").is_visible()
    axe_check(page, "staff-harvest-source-cancelled")
    # From the database, not this process's session nor package_show's indexed copy (it may lag the change
    # the live server just made).
    model.Session.expire_all()
    assert model.Package.get(source["id"]).state == "deleted"
