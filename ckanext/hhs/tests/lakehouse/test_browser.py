"""The lakehouse pages in Debian's chromium (Playwright), each checked with axe-core for WCAG 2.1 A/AA:
an analyst reads the data dictionary with its join key, previews the table and runs a cross-division query."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from .conftest import PASSWORD, PLUGINS

playwright = pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "var", "screenshots")

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def live_server(app, monkeypatch):
    server = make_server("127.0.0.1", 0, app.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setitem(tk.config, "ckan.site_url", url)
    yield url
    server.shutdown()


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _axe(page, name: str) -> None:
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)
    violations = Axe().run(page, options=WCAG).response["violations"]
    assert [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations] == [], name


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
    _axe(page, "lakehouse-data-dictionary")

    page.get_by_role("link", name="Preview the first rows").click()
    page.wait_for_load_state()
    assert page.get_by_role("table").is_visible()
    _axe(page, "lakehouse-preview")

    page.goto(live_server + "/lakehouse/query")
    page.fill(
        "#hhs-sql",
        "select e.state_fips, c.cases from cms_enrollment__cms_enrollment_table e "
        "join cdc_cases__cdc_cases_table c on e.state_fips = c.StateFIPS",
    )
    page.get_by_role("button", name="Run").click()
    page.wait_for_load_state()
    assert "Drew on" in page.content() and "cdc-cases" in page.content()
    _axe(page, "lakehouse-query")
