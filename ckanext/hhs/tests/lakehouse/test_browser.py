"""The lakehouse pages in Debian's chromium (Playwright), each checked with axe-core for WCAG 2.1 A/AA:
an analyst reads the data dictionary with its join key, previews the table and runs a cross-division query."""

from __future__ import annotations

import pytest

from ckan.tests import helpers

from ckanext.hhs.tests.browser import axe_check

from .conftest import PASSWORD, PLUGINS

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def test_analyst_reads_the_dictionary_previews_and_queries(live_server, browser, people, linked):
    for user, res, column in (
        ("cms-steward", linked["cms"], "state_fips"),
        ("cdc-steward", linked["cdc"], "StateFIPS"),
    ):
        helpers.call_action(
            "hhs_lakehouse_column_confirm",
            context={"user": user, "ignore_auth": False},
            id=res["id"],
            column=column,
            term="state-fips-code",
        )
    page = browser.new_page()
    page.goto(live_server + "/user/login")
    page.fill("#field-login", "analyst")
    page.fill("#field-password", PASSWORD)
    page.click("form:has(#field-login) button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server}/dataset/cms-enrollment/resource/{linked['cms']['id']}")
    assert page.get_by_role("heading", name="Data dictionary").is_visible()
    assert "This table links to" in page.content()
    axe_check(page, "lakehouse-data-dictionary")

    page.get_by_role("link", name="Preview the first rows").click()
    page.wait_for_load_state()
    assert page.get_by_role("table").is_visible()
    axe_check(page, "lakehouse-preview")

    page.goto(live_server + "/lakehouse/query")
    page.fill(
        "#hhs-sql",
        "select e.state_fips, c.cases from cms_enrollment__cms_enrollment_table e "
        "join cdc_cases__cdc_cases_table c on e.state_fips = c.StateFIPS",
    )
    page.get_by_role("button", name="Run").click()
    page.wait_for_load_state()
    assert "Drew on" in page.content() and "cdc-cases" in page.content()
    axe_check(page, "lakehouse-query")
