"""The figures job: every figure of the governance dashboard, computed with full visibility and stored
with its date.

`compute_figures()` walks the catalog as the site user (so private datasets of every division count:
board members see them by design), reads harvest health from ckanext-harvest's tables and the ROI
figures through other plugins' actions, and stores one snapshot per division plus one HHS-wide, all
at once at the end of the run. The run is recorded (runs.py): the dashboard shows a failed run instead
of presenting older figures as new. `headline()` is the one reading of a snapshot's headline figures
(the per-division comparison, the trend, the catalog CSV).
"""

from __future__ import annotations

from typing import Any

import ckan.model as model

from ckanext.hhs import config as core_config
from ckanext.hhs import values
from ckanext.hhs.context import site_context

from . import health, links, roi, runs, scopes
from . import model as gm


def compute_figures(progress: runs.Progress | None = None) -> gm.MetricsRun:
    """Compute every figure with full visibility and store them as one dated snapshot per division
    and one HHS-wide, written together at the end."""
    run = runs.start("figures")
    try:
        context = site_context()
        divisions = scopes.divisions()
        imports: dict[tuple[str, str], dict[str, Any]] = {}
        catalog, findings = health.walk_catalog(divisions, progress, imports)
        links.reclassify_unresolved()
        link_figures = links.figures(divisions)
        harvest = health.harvest(divisions, findings)
        imported = health.imported(imports, divisions)
        licences = roi.licences(context)
        duplicates = roi.duplicates_resolved(context)
        reuse = roi.reuse(divisions)
        lakehouse = roi.lakehouse(context, divisions)
        # Every division, also one that publishes nothing (a figure too); the Board itself only if it publishes.
        board = core_config.governance_org()
        shown = [gm.HHS_WIDE] + sorted(
            (gid for gid, (name, _) in divisions.items() if name != board or catalog[gid].datasets),
            key=lambda gid: divisions[gid][0],
        )
        computed = values.now()
        for key in shown:
            name, title = divisions[key] if key else ("", "HHS-wide")
            figures = {
                "division": {"name": name, "title": title},
                "catalog": catalog[key].figures(),
                "links": link_figures[key],
                "harvest": None if harvest is None else [h for h in harvest if not name or h["division"] == name],
                "imported": [i for i in imported if not name or i["division"] == name],
                "roi": roi.figures(
                    context,
                    name,
                    licences,
                    duplicates,
                    None if reuse is None else reuse[key],
                    None if lakehouse is None else lakehouse[key],
                ),
            }
            model.Session.add(gm.MetricsSnapshot(run_id=run.id, division=name, computed_at=computed, figures=figures))
        run.counts = {"divisions": len(shown) - 1, "datasets": catalog[gm.HHS_WIDE].datasets}
    except Exception as e:  # noqa: BLE001 (recorded on the run and shown on the page)
        runs.end(run, e)
        raise
    runs.end(run)
    return run


def headline(division: str, figures: dict[str, Any]) -> dict[str, Any]:
    """The figures the per-division comparison, the trend and the catalog CSV show, of one snapshot."""
    catalog, links = figures["catalog"], figures["links"]
    return {
        "division": division,
        "title": figures["division"]["title"],
        "datasets": catalog["datasets"],
        "private": catalog["private"],
        **{f"access_{level.replace(' ', '_').replace('-', '_')}": n for level, n in catalog["by_access"].items()},
        "completeness_avg": catalog["completeness_avg"],
        "with_data_dictionary_pct": catalog["with_data_dictionary_pct"],
        "with_glossary_terms_pct": catalog["with_glossary_terms_pct"],
        "with_steward_pct": catalog["with_steward_pct"],
        "stale": catalog["stale"],
        "broken_links": links["broken"],
        "harvest_failures": sum(h["failures"] for h in figures["harvest"] or []),
    }
