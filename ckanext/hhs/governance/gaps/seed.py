"""The gaps tracker's demo data: three gaps a Data Governance Board would really follow on the seeded
portal (one of them overdue), recorded through the actions by the site user (a sysadmin), linked to
real CMS datasets and starter glossary terms where the seed has them. Run again, it adds nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs.context import site_context

from . import model as gm

__all__ = ["seed_demo"]

_DEMO = (
    {
        "title": "Hospital ownership files have no data dictionary",
        "description": (
            "Analysts in three divisions asked what the ownership role codes mean. CMS publishes the files "
            "without a data dictionary; until it does, each team decodes the columns again.\n\n"
            "Closed when every linked dataset has a data dictionary resource."
        ),
        "division": "cms",
        "severity": "high",
        "due_days": -12,  # overdue: the demo shows what that looks like
        "search": "Hospital Change of Ownership",
        "terms": ["ccn", "provider"],
    },
    {
        "title": "No named data steward for nursing home data",
        "description": (
            "The COVID-19 nursing home datasets list a team mailbox as contact but no data steward, so the "
            "Board cannot tell who answers for their quality."
        ),
        "division": "cms",
        "severity": "medium",
        "due_days": 30,
        "search": "Nursing Home",
        "terms": ["data-steward"],
    },
    {
        "title": "Race and ethnicity coded differently across divisions",
        "description": (
            "Surveillance and claims data use different race and ethnicity categories, so joined analyses "
            "drop records. Agree on the OMB categories as the common term and map both to it."
        ),
        "division": "cdc",
        "severity": "critical",
        "due_days": 60,
        "search": "",
        "terms": ["race-and-ethnicity", "race", "ethnicity"],
    },
)


def seed_demo() -> Iterator[str]:
    context = site_context()
    today = dt.date.today()
    for gap in _DEMO:
        if model.Session.query(gm.Gap.id).filter(gm.Gap.title == gap["title"]).first():
            yield f"Gap already there: {gap['title']}"
            continue
        if model.Group.get(gap["division"]) is None:
            yield f"Gap skipped (no division {gap['division']}): {gap['title']}"
            continue
        created = tk.get_action("hhs_governance_gap_create")(
            dict(context),
            {
                "title": gap["title"],
                "description": gap["description"],
                "division": gap["division"],
                "severity": gap["severity"],
                "due_date": (today + dt.timedelta(days=gap["due_days"])).isoformat(),
                "datasets": _datasets(gap["division"], gap["search"], context),
                "terms": _terms(gap["terms"], context),
            },
        )
        yield f"Gap recorded: {created['title']}"


def _datasets(division: str, search: str, context: dict[str, Any]) -> list[str]:
    if not search:
        return []
    found = tk.get_action("package_search")(
        dict(context), {"q": f'title:"{search}"', "fq": f"organization:{division}", "rows": 2}
    )
    return [d["name"] for d in found["results"]]


def _terms(slugs: list[str], context: dict[str, Any]) -> list[str]:
    try:
        show = tk.get_action("hhs_glossary_term_show")
    except KeyError:
        return []
    out = []
    for slug in slugs:
        try:
            show(dict(context), {"id": slug})
        except (tk.ObjectNotFound, tk.NotAuthorized):
            continue
        out.append(slug)
    return out
