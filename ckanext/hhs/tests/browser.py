"""What every browser test shares: Debian's chromium driven by Playwright and the axe-core check
(WCAG 2.1 A/AA, 0 violations of any impact) with a screenshot kept under var/screenshots/ (git-ignored).
The fixtures `live_server` and `browser` are in tests/conftest.py; a browser test module imports this
one, which skips it where Playwright or chromium is missing."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest

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
SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "var", "screenshots")


@contextlib.contextmanager
def chromium():
    """Debian's chromium, headless, through Playwright."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def axe_check(page, name: str) -> None:
    """Keep a screenshot of the page and fail on any axe-core WCAG 2.1 A/AA violation."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(
        path=os.path.join(SCREENSHOTS, f"{name.strip('/').replace('/', '_') or 'home'}.png"), full_page=True
    )
    violations = Axe().run(page, options=WCAG).response["violations"]
    assert [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations] == [], name
