"""Harvest health on the dashboard from a real harvest (ckanext-harvest jobs and objects, the
hhs_datajson harvester against a served catalog), the refresh command and the demo seed command."""

from __future__ import annotations

import json
import os

import pytest

from ckan.tests import helpers

from ckanext.harvest.model import HarvestJob
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs import vocab
from ckanext.hhs.governance.metrics import health
from ckanext.hhs.governance.metrics.figures import compute_figures
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests import factories

pytestmark = [
    pytest.mark.ckan_config("ckanext.hhs.governance.linkcheck_interval", "0"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _act(action, user, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


@pytest.fixture
def harvested(catalog_server):
    """A CMS source of four records: one breaks POD (no title: a failure), one breaks an HHS rule
    (a bureau code not on the OMB list: a kept record with a finding)."""
    with open(os.path.join(vocab.DATA, "demo", "cms-data.json"), encoding="utf-8") as f:
        records = json.load(f)["dataset"][:4]
    del records[0]["title"]
    records[1]["bureauCode"] = ["009:99"]
    cms = factories.Division(name="cms", bureau_code="009:38")
    url = catalog_server.serve(
        "/data.json", json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": records})
    )
    source = helpers.call_action(
        "harvest_source_create",
        name="cms-catalog",
        title="CMS catalog",
        url=url,
        source_type="hhs_datajson",
        owner_org=cms["id"],
    )
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
    return source


def test_harvest_health_per_source(board, harvested):
    compute_figures()
    shown = _act("hhs_governance_metrics_show", board.member, division="cms")
    (source,) = shown["figures"]["harvest"]
    assert (source["name"], source["division"], source["last_status"]) == ("cms-catalog", "cms", "Finished")
    assert source["added"] == 3
    assert source["failures"] == 1
    assert source["datasets_with_findings"] >= 1 and source["findings"] >= 1
    # reconciled: the source published 4 records, 3 are in the catalog (the broken one is not)
    assert (source["source_records"], source["catalog_datasets"], source["difference"]) == (4, 3, 1)
    assert _act("hhs_governance_metrics_show", board.member)["figures"]["harvest"] == [source]
    assert shown["figures"]["catalog"]["with_findings"] == source["datasets_with_findings"]


def test_refresh_command_and_the_demo_seed(cli, board, harvested):
    from ckan.cli.cli import ckan

    result = cli.invoke(ckan, ["hhs", "governance", "refresh"])
    assert result.exit_code == 0, result.output
    assert "Links checked: " in result.output and "Figures computed for 1 divisions, 3 datasets." in result.output
    shown = _act("hhs_governance_metrics_show", board.member)
    assert shown["last_linkcheck"]["status"] == "finished"
    assert shown["figures"]["links"]["unchecked"] == 0

    helpers.call_action("job_clear")  # jobs an earlier test of this worker left in its queue
    result = cli.invoke(ckan, ["hhs", "governance", "refresh", "--queue", "--no-links"])
    assert result.exit_code == 0, result.output
    assert [j["title"] for j in helpers.call_action("job_list")] == ["Governance figures"]
    helpers.call_action("job_clear")

    result = cli.invoke(ckan, ["hhs", "seed-demo-governance"])
    assert result.exit_code == 0, result.output
    assert "Governance figures computed: " in result.output  # after the other parts seed their demo data


def test_a_failing_refresh_command_says_why(cli, board, monkeypatch):
    from ckan.cli.cli import ckan

    def broken(*args, **kwargs):
        raise RuntimeError("Solr is down")

    monkeypatch.setattr(health, "walk_catalog", broken)
    result = cli.invoke(ckan, ["hhs", "governance", "refresh", "--no-links"])
    assert result.exit_code != 0
    assert "Solr is down" in result.output
    assert _act("hhs_governance_metrics_show", board.member)["last_run"]["status"] == "failed"


def test_roi_from_the_marketplace(board, mail_server):
    from ckanext.hhs.tests.marketplace.conftest import ask, in_days, world

    w = world.__wrapped__()

    def call(action, user, **data):
        return _act(action, user, **data)

    request = ask(w)
    approved = call("hhs_marketplace_request_approve", w.steward, id=request["id"])
    if approved["status"] != "approved":  # a private component takes a second approval
        call("hhs_marketplace_request_approve", w.cms_admin, id=request["id"])
    licence = call(
        "hhs_marketplace_licence_create",
        w.steward,
        vendor="IQVIA",
        product="National Prescription Audit",
        holder="cms",
        cost="1,250,000",
        start_date=in_days(-30),
        end_date=in_days(335),
    )
    join = call("hhs_marketplace_licence_request_create", w.analyst, licence=licence["id"], division="cdc")
    call("hhs_marketplace_licence_request_approve", w.steward, id=join["id"])
    need = call("hhs_marketplace_need_create", w.analyst, title="Claims", description="Claims for flu studies")
    call(
        "hhs_marketplace_need_answer",
        w.steward,
        id=need["id"],
        kind="existing",
        datasets=[w.product["name"]],
        division="cms",
    )

    compute_figures()
    roi = _act("hhs_governance_metrics_show", board.member)["figures"]["roi"]
    market = roi["marketplace"]
    assert (market["requests_total"], market["access_granted"], market["needs_answered_from_existing_data"]) == (
        1,
        1,
        1,
    )
    assert market["median_days_to_access"] == 0.0 and market["days_saved_per_request"] == 120.0
    assert roi["licences"] == {"held": 1, "reused": 1, "reuses": 1, "cost_avoided": 1250000.0}
    assert roi["hours_saved"]["dua"] == 40.0 and roi["hours_saved"]["data_call"] == 80.0
    assert roi["hours_saved"]["total"] == 120.0 + roi["hours_saved"].get("duplicate_cleanup", 0)
    assert roi["reuse"] is None  # CKAN's tracking is off in the tests
    assert roi["lakehouse"] == {"tables": 0, "stale": 0}

    cdc = _act("hhs_governance_metrics_show", board.member, division="cdc")["figures"]["roi"]
    assert cdc["licences"]["reused"] == 1 and cdc["licences"]["cost_avoided"] == 1250000.0
    assert cdc["marketplace"]["needs_answered_from_existing_data"] is None  # HHS-wide only
    cms = _act("hhs_governance_metrics_show", board.member, division="cms")["figures"]["roi"]
    assert cms["marketplace"]["requests_total"] == 1 and cms["licences"]["reused"] == 0
