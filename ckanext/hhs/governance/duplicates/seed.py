"""The duplicates demo: CDC keeps its own copy of a seeded CMS dataset under a slightly changed title;
then a scan finds it (governance/seed.py runs it)."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

from .scan import scan

__all__ = ["DEMO_COPY", "DEMO_SOURCE_TITLE", "seed_demo"]

DEMO_SOURCE_TITLE = "Accountable Care Organization Participants"
DEMO_COPY = "cdc-aco-participants-extract"


def seed_demo() -> list[str]:
    """A cross-division duplicate for the demo: CDC keeps its own copy of a seeded CMS dataset under a
    slightly changed title; then a scan finds it (and whatever else the seeded catalog holds)."""
    lines = []
    source = model.Session.query(model.Package).filter_by(title=DEMO_SOURCE_TITLE, state="active").first()
    if source is None or model.Group.get("cdc") is None:
        lines.append("Duplicates demo skipped: the CMS demo catalog or the CDC division is not seeded")
    elif model.Package.get(DEMO_COPY) is None:
        shown = tk.get_action("package_show")(site_context(), {"id": source.id})
        tk.get_action("package_create")(
            site_context(),
            {
                "name": DEMO_COPY,
                "title": "Accountable Care Organization (ACO) Participants - CDC extract",
                "notes": shown["notes"],
                "owner_org": "cdc",
                "tag_string": "aco,medicare,shared savings program",
                "bureau_code": ["009:20"],
                "program_code": ["009:000"],
                "access_level": "public",
                "identifier": "https://data.cdc.gov/aco-participants-extract",
                "contact": [{"name": "CDC data team", "email": "data@cdc.gov"}],
                "resources": [{"name": "ACO participants (CSV)", "url": "https://data.cdc.gov/files/aco.csv"}],
            },
        )
        lines.append(f"Duplicates demo: CDC copy '{DEMO_COPY}' of '{DEMO_SOURCE_TITLE}' (CMS) created")
    run = scan()
    lines.append(f"Duplicate scan: {run.counts['datasets']} datasets, {run.counts['open']} open pairs")
    return lines
