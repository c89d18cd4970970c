"""Pages in a real browser (Debian's chromium through Playwright), checked with axe-core for WCAG 2.1 A/AA."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

playwright = pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:  # `make test` installs Debian's chromium; other runners may not have it
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on 127.0.0.1, for the browser."""
    server = make_server("127.0.0.1", 0, app.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_catalog_and_glossary_pages_pass_axe(live_server, browser):
    sysadmin = ckan_factories.Sysadmin()
    helpers.call_action(
        "hhs_glossary_import",
        context={"user": sysadmin["name"]},
        rows=[
            {
                "name": "beneficiary",
                "displayName": "Beneficiary",
                "description": "Covered by a program.",
                "status": "approved",
            },
            {
                "name": "medicare-beneficiary",
                "displayName": "Medicare beneficiary",
                "parent": "beneficiary",
                "description": "Covered by Medicare.",
                "relatedTerms": [{"term": "beneficiary", "type": "related"}],
                "references": [{"name": "CMS glossary", "url": "https://www.cms.gov/glossary"}],
                "status": "approved",
            },
        ],
    )
    dataset = factories.HhsDataset(title="Medicare claims", glossary_terms=["medicare-beneficiary"])
    page = browser.new_page()
    for path in (
        "/dataset/",
        f"/dataset/{dataset['name']}",
        "/organization/",
        "/glossary",
        "/glossary?view=hierarchy",
        "/glossary/medicare-beneficiary",
    ):
        response = page.goto(live_server + path)
        assert response.status == 200, path
        violations = Axe().run(page, options=WCAG).response["violations"]
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == [], path
    page.goto(live_server + "/glossary/medicare-beneficiary")
    page.get_by_role("link", name="Medicare claims").click()
    assert page.url.endswith(f"/dataset/{dataset['name']}")
