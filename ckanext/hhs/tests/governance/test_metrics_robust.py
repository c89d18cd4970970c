"""One bad link never sinks the governance refresh (issue #23): any error checking one URL is recorded
for that resource and the run goes on; a resource deleted while the check runs is skipped; a run that
does fail stores a neutral message (the details go to the log), never a raw database error."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

import ckan.model as model
from ckan.tests import helpers

from ckanext.hhs import net, values
from ckanext.hhs.governance.metrics import links as linkcheck
from ckanext.hhs.governance.metrics import model as gm
from ckanext.hhs.governance.metrics import runs
from ckanext.hhs.governance.metrics.figures import compute_figures
from ckanext.hhs.governance.metrics.links import check_links
from ckanext.hhs.tests import factories

pytestmark = [
    pytest.mark.ckan_config("ckanext.hhs.governance.linkcheck_interval", "0"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def logged(caplog, monkeypatch):
    """What the metrics module logs (loading the ini's logging configuration disables loggers made before)."""
    monkeypatch.setattr(linkcheck.log, "disabled", False)
    monkeypatch.setattr(runs.log, "disabled", False)
    return caplog


def _statuses() -> dict[str, tuple[str, str | None]]:
    return {row.url: (row.status, row.error) for row in model.Session.query(gm.LinkStatus)}


def test_a_redirect_to_another_scheme_is_recorded_and_the_run_goes_on(catalog_server):
    """`/download` of a resource whose URL is ftp:// answers 302 to it: requests raised InvalidSchema."""
    cms = factories.Division(name="cms", bureau_code="009:38")
    ftp = catalog_server.redirect("/download", "ftp://files.example.gov/claims.csv")
    ok = catalog_server.serve("/claims.csv", "a\n1\n", "text/csv")
    factories.HhsDataset(owner_org=cms["id"], resources=[{"url": ftp, "name": "FTP"}, {"url": ok, "name": "OK"}])
    run = check_links()
    assert run.status == "finished" and run.counts["checked"] == 2
    found = _statuses()
    assert found[ok] == ("ok", None)
    assert found[ftp][0] in ("refused", "broken", "unknown")
    assert "InvalidSchema" not in (found[ftp][1] or "") and "ftp://" not in (found[ftp][1] or "")
    # Recorded, so the next run does not fail on it again (it is not due within the recheck window).
    assert check_links().counts["checked"] == 0


def test_any_error_checking_one_url_is_could_not_check(catalog_server, monkeypatch, logged):
    cms = factories.Division(name="cms", bureau_code="009:38")
    bad, ok = catalog_server.url("/bad.csv"), catalog_server.serve("/ok.csv", "a\n1\n", "text/csv")
    factories.HhsDataset(owner_org=cms["id"], resources=[{"url": bad, "name": "Bad"}, {"url": ok, "name": "OK"}])
    real = net.check_url

    def check_url(url, *args, **kwargs):
        if url == bad:
            raise RuntimeError("secret internal detail")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(net, "check_url", check_url)
    with logged.at_level(logging.WARNING):
        run = check_links()
    assert run.status == "finished" and (run.counts["ok"], run.counts["unknown"]) == (1, 1)
    status, error = _statuses()[bad]
    assert status == "unknown" and error and "secret" not in error
    assert "secret internal detail" in logged.text  # for the operator, in the log


def test_a_resource_deleted_during_the_check_is_skipped(catalog_server):
    """The dataset of a resource still to check is purged mid-run: its status row would violate the
    foreign key; the run skips it and keeps every other result."""
    cms = factories.Division(name="cms", bureau_code="009:38")
    urls = [catalog_server.serve(f"/{n}.csv", "a\n1\n", "text/csv") for n in range(3)]
    datasets = [factories.HhsDataset(owner_org=cms["id"], resources=[{"url": u, "name": "R"}]) for u in urls]

    def purge_the_next(done, total):
        if done == 1:
            checked = {row.resource_id for row in model.Session.query(gm.LinkStatus)}
            victim = next(d for d in datasets if d["resources"][0]["id"] not in checked)
            helpers.call_action("dataset_purge", id=victim["id"])

    run = check_links(progress=purge_the_next)
    assert run.status == "finished", run.error
    assert run.counts["checked"] == 3 and run.counts["gone"] == 1 and run.counts["ok"] == 2
    assert len(_statuses()) == 2


def test_a_failed_run_stores_a_neutral_message(catalog_server, monkeypatch, logged):
    def broken(*args, **kwargs):
        raise sa.exc.IntegrityError(
            "INSERT INTO hhs_governance_link_status ...",
            {},
            Exception('insert or update on table "hhs_governance_link_status" violates foreign key constraint'),
        )

    monkeypatch.setattr(linkcheck, "_links_due", broken)
    with logged.at_level(logging.ERROR), pytest.raises(sa.exc.IntegrityError):
        check_links()
    run = model.Session.query(gm.MetricsRun).filter_by(kind="linkcheck").one()
    assert run.status == "failed"
    assert "foreign key" not in run.error and "hhs_governance" not in run.error and "Integrity" not in run.error
    assert run.id in run.error  # the reference to find the details in the log
    assert "violates foreign key constraint" in logged.text


@pytest.mark.parametrize(
    ("frequency", "days"),
    [
        ("R/P1Y2M", 365.25 + 2 * 30.44),
        ("R5/P1W", 7),
        ("P1DT12H", 1.5),
        ("R/P100000000Y", None),  # past timedelta's range: raised OverflowError
        ("PT1000000000000000H", None),
        ("R/P0D", None),
        ("R/PXD", None),
        ("P1D/P2D", None),
        (["R/P1W"], None),
    ],
)
def test_update_frequencies_are_read_by_isodate(frequency, days):
    every = values.period(frequency)
    assert (every.total_seconds() / 86400 if every else None) == pytest.approx(days)


def test_one_dataset_with_an_absurd_frequency_does_not_sink_the_figures():
    """The core accepts R/P100000000Y (its pattern has no bound); counting it stale raised OverflowError
    and failed the figures of every division."""
    cms = factories.Division(name="cms", bureau_code="009:38")
    factories.HhsDataset(owner_org=cms["id"], frequency="R/P100000000Y", modified="2020-01-01")
    factories.HhsDataset(owner_org=cms["id"], frequency="R/P1W", modified="2020-01-01")
    run = compute_figures()
    assert run.status == "finished"
    snapshot = model.Session.query(gm.MetricsSnapshot).filter_by(run_id=run.id, division="").one()
    assert snapshot.figures["catalog"]["datasets"] == 2
    assert len(snapshot.figures["catalog"]["stale_datasets"]) == 1
