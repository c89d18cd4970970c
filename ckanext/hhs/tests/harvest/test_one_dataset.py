"""One division + identifier is one dataset, whichever writers meet (issue #23): an import and a harvest
of the same catalog at the same time made 270 datasets of 139 identifiers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.harvest.model import HarvestJob
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests.helpers import cms_demo_catalog

from . import dcat_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def catalog():
    return cms_demo_catalog(20)


def _per_identifier(org_id):
    """identifier -> how many active datasets of the division carry it."""
    rows = model.Session.execute(
        sa.text(
            "SELECT e.value, count(*) FROM package p JOIN package_extra e ON e.package_id = p.id "
            "AND e.key = 'identifier' WHERE p.owner_org = :org AND p.state = 'active' GROUP BY e.value"
        ),
        {"org": org_id},
    )
    return dict(rows.fetchall())


def _source(url, division, source_type):
    return helpers.call_action(
        "harvest_source_create",
        name=f"cms-{source_type.replace('_', '-')}",
        title="CMS",
        url=url,
        source_type=source_type,
        owner_org=division["id"],
    )


def test_an_import_and_a_harvest_at_the_same_time_make_one_dataset_per_identifier(
    catalog_server, division, catalog, tmp_path
):
    """Two real writers: `ckan hhs import-catalog` in its own process, the data.json harvester here."""
    path = tmp_path / "cms.json"
    path.write_text(json.dumps(catalog))
    source = _source(catalog_server.serve("/data.json", json.dumps(catalog)), division, "hhs_datajson")
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    importer = subprocess.Popen(
        [ckan, "-c", tk.config["__file__"], "hhs", "import-catalog", str(path), "--division", "cms"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # The import has read the division (nothing there) and is writing: now the harvest reads it too.
        deadline = time.monotonic() + 120
        while not _per_identifier(division["id"]) and importer.poll() is None and time.monotonic() < deadline:
            model.Session.remove()
            time.sleep(0.2)
        job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
        run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
        output, _ = importer.communicate(timeout=300)
    finally:
        if importer.poll() is None:
            importer.kill()
    assert importer.returncode == 0, output.decode()[-2000:]
    model.Session.remove()
    counts = _per_identifier(division["id"])
    assert len(counts) == 20
    assert {i: n for i, n in counts.items() if n > 1} == {}


def test_an_rdf_harvest_adds_no_second_dataset_for_an_identifier_the_division_holds(
    catalog_server, division, catalog, sysadmin_context
):
    from ckanext.hhs.harvest import importer

    catalog["dataset"] = catalog["dataset"][:3]
    importer.import_catalog(sysadmin_context, {**catalog, "dataset": catalog["dataset"][:2]}, "cms", "imported")
    url = catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(catalog), content_type="text/turtle")
    source = _source(url, division, "dcat_rdf")
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), DCATRDFHarvester())
    counts = _per_identifier(division["id"])
    assert counts == {r["identifier"]: 1 for r in catalog["dataset"]}
    report = helpers.call_action("harvest_job_report", id=job["id"])
    refused = [
        o
        for o in report["object_errors"].values()
        if any("division already has this identifier" in e["message"] for e in o["errors"])
    ]
    assert len(refused) == 2
