"""The quality demo: one hub-authored dataset whose description is double-encoded, then the check over
all seeded datasets (governance/seed.py runs it)."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

from . import checks
from . import model as qm

__all__ = ["MOJIBAKE_DEMO", "seed_demo"]


MOJIBAKE_DEMO = {
    "name": "hhs-demo-quality-mojibake",
    "title": "Medicare Beneficiary Enrollment Snapshot",
    "notes": (
        "Counts of Medicare beneficiaries by state for this yearÃ¢â‚¬â„¢s enrollment period. The text "
        "was copied from a federal catalog that double-encoded its apostrophes."
    ),
}


def seed_demo() -> str:
    """Demo: one hub-authored dataset whose description is double-encoded, then the check over all
    seeded datasets, so a board member sees suggestions (among them the mojibake repair)."""
    context = site_context()
    org = model.Group.get("cms")
    if org is not None and model.Package.get(MOJIBAKE_DEMO["name"]) is None:
        tk.get_action("package_create")(
            dict(context),
            {
                **MOJIBAKE_DEMO,
                "owner_org": org.id,
                "tag_string": "medicare,enrollment",
                "bureau_code": ["009:38"],
                "program_code": ["009:000"],
                "access_level": "public",
                "contact": [{"name": "CMS Data Team", "email": "data@cms.hhs.gov"}],
            },
        )
    run_ = checks.start("all", wait=True)
    open_ = model.Session.query(qm.Suggestion).filter_by(status="open").count()
    return f"Quality check {run_.status}: {run_.checked} datasets checked, {open_} open suggestions."
