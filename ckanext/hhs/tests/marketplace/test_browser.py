"""Marketplace pages in a real browser (Debian's chromium through Playwright), logged out and in,
checked with axe-core for WCAG 2.1 A/AA; and requesting access the way a person does it."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests.browser import axe_check

from .conftest import ask, in_days

PASSWORD = "marketplace-test-1"

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _check(page, base: str, path: str) -> None:
    response = page.goto(base + path)
    assert response.status == 200, path
    axe_check(page, f"marketplace{path}")


def test_marketplace_pages_pass_axe_logged_out_and_in(live_server, browser, world):
    person = ckan_factories.User(name="browser-analyst", password=PASSWORD, email="b@cdc.example.gov")
    helpers.call_action("organization_member_create", id="cdc", username=person["name"], role="member")
    need = helpers.call_action(
        "hhs_marketplace_need_create", context={"user": world.analyst["name"]}, title="Claims", description="Claims"
    )
    licence = helpers.call_action(
        "hhs_marketplace_licence_create",
        context={"user": world.steward["name"]},
        vendor="IQVIA",
        product="National Prescription Audit",
        holder="cms",
        start_date=in_days(-1),
        end_date=in_days(300),
    )
    ask(world)
    product = f"/marketplace/{world.product['name']}"

    # The live server is the site URL (tests/conftest.py), so CKAN's redirects and cookies stay on it.
    page = browser.new_page()
    site = live_server
    for path in ("/marketplace", "/marketplace?product_type=dataset_bundle", product):
        _check(page, site, path)

    page.goto(site + "/user/login")
    page.fill("#field-login", person["name"])
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()

    for path in (
        "/marketplace",
        product,
        "/marketplace/requests",
        "/marketplace/licences",
        f"/marketplace/licences/{licence['id']}",
        "/marketplace/needs",
        f"/marketplace/needs/{need['id']}",
        "/marketplace/metrics",
    ):
        _check(page, site, path)

    # Request access as a person does: the form, the terms, the button.
    page.goto(site + product)
    page.get_by_label("Purpose").fill("Flu vaccine effectiveness")
    page.get_by_label("Access needed until").fill(in_days(30))
    page.get_by_label("I accept the product's standard terms").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Request access").click()
    assert "/marketplace/requests/" in page.url, page.inner_text("main")[:1500]
    assert page.get_by_text("Your request was sent to the product's stewards.").is_visible()
    axe_check(page, "marketplace-request-sent")
