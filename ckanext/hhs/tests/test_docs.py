"""The documentation a newcomer reads first stays short, linked and in step with the code."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: pathlib.Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as dashes."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", page.read_text(), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_local_link_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # an outside site: not checked here (no network)
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved)):
            broken.append(target)
    assert not broken, f"{page.name} links to what does not exist: {broken}"


def test_generated_reference_is_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "docs.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_every_declared_option_is_documented():
    reference = (ROOT / "docs" / "configuration.md").read_text()
    declared = [
        option["key"]
        for declaration in (ROOT / "ckanext" / "hhs").rglob("config_declaration.yaml")
        for group in yaml.safe_load(declaration.read_text())["groups"]
        for option in group["options"]
    ]
    assert declared
    assert [key for key in declared if f"`{key}`" not in reference] == []


def test_readme_is_short_and_says_nothing_built_is_planned():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    assert "planned" not in text.lower()
    for page in ("getting-started", "configuration", "api", "development", "operations"):
        assert f"docs/{page}.md" in text
