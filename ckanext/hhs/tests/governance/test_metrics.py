"""The governance figures: catalog health on known data (private datasets counted for the Board),
stale detection, the link check through the fetch guard, job runs and failures, permissions."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import completeness, values
from ckanext.hhs.governance.metrics import health
from ckanext.hhs.governance.metrics import jobs as metrics_jobs
from ckanext.hhs.governance.metrics import model as gm
from ckanext.hhs.governance.metrics.figures import compute_figures
from ckanext.hhs.governance.metrics.links import check_links
from ckanext.hhs.tests import factories

pytestmark = [
    pytest.mark.ckan_config("ckanext.hhs.governance.linkcheck_interval", "0"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

TODAY = dt.date.today().isoformat()


def act(action: str, user: dict | None, **data):
    return helpers.call_action(action, context={"user": user["name"] if user else "", "ignore_auth": False}, **data)


def approved_term(board, slug="medicare-beneficiary"):
    fields = {"label": "Medicare beneficiary", "definition": "A person covered by Medicare.", "slug": slug}
    act("hhs_glossary_term_create", board.member, **fields)
    act("hhs_glossary_term_propose", board.member, id=slug)
    act("hhs_glossary_term_approve", board.editor, id=slug, message="ok")
    return slug


@pytest.fixture
def catalog(board, catalog_server):
    """CMS: a public stale dataset with everything, a private non-public one with a broken link;
    CDC: a restricted public one whose link points to a private address."""
    cms = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", bureau_code="009:38")
    cdc = factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")
    term = approved_term(board)
    good = factories.HhsDataset(
        name="cms-claims",
        owner_org=cms["id"],
        modified="2020-01-01",
        frequency="R/P1W",
        data_dictionary=[{"url": "https://cms.example.gov/dictionary.pdf", "format": "application/pdf"}],
        data_steward=[{"name": "Dana Reyes", "email": "dana@cms.example.gov"}],
        glossary_terms=[term],
        resources=[{"url": catalog_server.serve("/claims.csv", "a,b\n1,2\n", "text/csv"), "name": "Claims"}],
    )
    secret = factories.HhsDataset(
        name="cms-secret-claims",
        title="Secret claims",
        owner_org=cms["id"],
        private=True,
        access_level="non-public",
        access_rights="Claims of named beneficiaries",
        modified=TODAY,
        frequency="R/P1Y",
        resources=[{"url": catalog_server.url("/gone.csv"), "name": "Gone"}],
    )
    private_address = factories.HhsDataset(
        name="cdc-surveillance",
        owner_org=cdc["id"],
        access_level="restricted public",
        access_rights="Under a data use agreement",
        frequency="irregular",
        resources=[{"url": "http://10.20.30.40/internal.csv", "name": "Internal"}],
    )
    return cms, cdc, good, secret, private_address


class TestStale:
    @pytest.mark.parametrize(
        ("frequency", "days"),
        [
            ("R/P1W", 7),
            ("P1W", 7),
            ("R/P1D", 1),
            ("R/P1M", 30.44),
            ("R/P3M", 91.32),
            ("R/P1Y", 365.25),
            ("R/P0.5M", 15.22),
            ("R/PT1H", 1 / 24),
            ("r/p2w", 14),
        ],
    )
    def test_periods_of_iso_8601_durations(self, frequency, days):
        assert values.period(frequency).total_seconds() == pytest.approx(days * 86400)

    @pytest.mark.parametrize("frequency", ["irregular", "", None, "R/P", "weekly", "R/P0D", 7])
    def test_no_period_no_promise(self, frequency):
        assert values.period(frequency) is None
        assert not health.is_stale(frequency, "2000-01-01")

    def test_stale_when_older_than_its_own_promise(self):
        now = dt.datetime(2026, 11, 26, 12, 0)
        assert health.is_stale("R/P1W", "2026-11-18", now)
        assert not health.is_stale("R/P1W", "2026-11-20", now)
        assert not health.is_stale("R/P1Y", "2026-01-02", now)
        assert health.is_stale("R/P1D", "2026-11-25T06:00:00", now)
        # A value that names only a year or a month means its last moment: never called stale too early.
        assert not health.is_stale("R/P1Y", "2025", now)
        assert health.is_stale("R/P1Y", "2024", now)
        assert not health.is_stale("R/P1M", "2026-10", now)
        assert not health.is_stale("R/P1W", "not a date", now)


class TestFigures:
    def test_catalog_health_counts_private_datasets_for_the_board(self, board, catalog):
        run = compute_figures()
        assert (run.status, run.counts) == ("finished", {"divisions": 2, "datasets": 3})

        shown = act("hhs_governance_metrics_show", board.member)
        assert shown["computed_at"] and shown["last_run"]["status"] == "finished" and not shown["outdated"]
        hhs = shown["figures"]["catalog"]
        assert hhs["datasets"] == 3
        assert hhs["private"] == 1
        assert hhs["by_access"] == {"public": 1, "restricted public": 1, "non-public": 1, "unset": 0}
        assert (hhs["with_data_dictionary"], hhs["with_glossary_terms"], hhs["with_steward"]) == (1, 1, 1)
        assert hhs["with_steward_pct"] == pytest.approx(33.3)
        assert hhs["stale"] == 1
        assert [d["name"] for d in hhs["stale_datasets"]] == ["cms-claims"]
        scores = [completeness.score(helpers.call_action("package_show", id=d["id"])).percent for d in catalog[2:]]
        assert hhs["completeness_avg"] == pytest.approx(round(sum(scores) / 3, 1))
        # the figure the search index sorts and facets by
        indexed = helpers.call_action(
            "package_search", include_private=True, **{"facet.field": '["completeness_band"]'}
        )
        assert sum(i["count"] for i in indexed["search_facets"]["completeness_band"]["items"]) == 3

        by_division = {d["division"]: d for d in shown["divisions"]}
        assert set(by_division) == {"cms", "cdc"}
        assert (by_division["cms"]["datasets"], by_division["cms"]["private"], by_division["cms"]["stale"]) == (2, 1, 1)
        assert by_division["cdc"]["access_restricted_public"] == 1

        cms = act("hhs_governance_metrics_show", board.member, division="cms")
        assert cms["division"] == "cms" and cms["figures"]["division"]["title"].startswith("Centers for Medicare")
        assert cms["figures"]["catalog"]["by_access"]["non-public"] == 1
        assert cms["divisions"] == []

    def test_figures_are_for_the_board_and_sysadmins_only(self, board, catalog):
        compute_figures()
        cms_admin = ckan_factories.User()
        helpers.call_action("organization_member_create", id="cms", username=cms_admin["name"], role="admin")
        for user in (None, board.outsider, cms_admin):
            for action in (
                "hhs_governance_metrics_show",
                "hhs_governance_metrics_history",
                "hhs_governance_linkcheck_list",
            ):
                with pytest.raises(tk.NotAuthorized):
                    act(action, user)
            with pytest.raises(tk.NotAuthorized):
                act("hhs_governance_metrics_refresh", user)
        assert act("hhs_governance_metrics_show", ckan_factories.Sysadmin())["figures"]["catalog"]["private"] == 1
        # Only the Board's editors (and sysadmins) start a recomputation.
        with pytest.raises(tk.NotAuthorized):
            act("hhs_governance_metrics_refresh", board.member)
        job = act("hhs_governance_metrics_refresh", board.editor, links=False)["job_id"]
        assert helpers.call_action("job_show", id=job)["title"] == "Governance figures"
        helpers.call_action("job_clear")

    def test_unknown_division_and_bad_input(self, board, catalog):
        with pytest.raises(tk.ObjectNotFound):
            act("hhs_governance_metrics_show", board.member, division="no-such-division")
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_governance_metrics_show", board.member, date="yesterday")
        assert "date" in e.value.error_dict
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_governance_linkcheck_list", board.member, status="teapot")
        assert "status" in e.value.error_dict

    def test_snapshots_are_dated_and_make_a_trend(self, board, catalog):
        first = compute_figures()
        # yesterday's run: move its snapshots back a day
        model.Session.query(gm.MetricsSnapshot).filter_by(run_id=first.id).update(
            {"computed_at": gm.MetricsSnapshot.computed_at - dt.timedelta(days=1)}, synchronize_session=False
        )
        model.Session.commit()
        factories.HhsDataset(owner_org=catalog[0]["id"], name="cms-new")
        compute_figures()
        history = act("hhs_governance_metrics_history", board.member)
        assert [p["datasets"] for p in history["points"]] == [3, 4]
        assert history["points"][0]["date"] < history["points"][1]["date"]
        assert [
            p["datasets"] for p in act("hhs_governance_metrics_history", board.member, division="cms")["points"]
        ] == [2, 3]
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        assert act("hhs_governance_metrics_show", board.member, date=yesterday)["figures"]["catalog"]["datasets"] == 3
        assert act("hhs_governance_metrics_show", board.member)["figures"]["catalog"]["datasets"] == 4


class TestRuns:
    def test_a_failed_run_is_recorded_and_old_figures_are_marked_outdated(self, board, catalog, monkeypatch):
        compute_figures()

        def broken(*args, **kwargs):
            raise RuntimeError("Solr is down")

        monkeypatch.setattr(health, "walk_catalog", broken)
        with pytest.raises(RuntimeError):
            compute_figures()
        shown = act("hhs_governance_metrics_show", board.member)
        assert shown["last_run"]["status"] == "failed"
        # A neutral message naming the run, never the exception (it is in the log)
        error = shown["last_run"]["error"]
        assert "Solr is down" not in error and shown["last_run"]["id"] in error
        assert shown["outdated"] is True
        assert shown["figures"]["catalog"]["datasets"] == 3  # the older figures, said to be older

    def test_a_run_that_never_ended_shows_as_interrupted(self, board, catalog):
        model.Session.add(gm.MetricsRun(kind="figures", status="running", started=gm.now() - dt.timedelta(hours=5)))
        model.Session.commit()
        shown = act("hhs_governance_metrics_show", board.member)
        assert shown["last_run"]["status"] == "interrupted" and shown["outdated"] and shown["figures"] is None

    def test_the_refresh_job_runs_through_the_queue(self, board, catalog):
        from ckan.lib import jobs

        helpers.call_action("job_clear")
        queued = act("hhs_governance_metrics_refresh", board.editor)
        # two jobs: the figures do not wait behind the link check
        assert helpers.call_action("job_show", id=queued["job_id"])["title"] == "Governance figures"
        assert helpers.call_action("job_show", id=queued["linkcheck_job_id"])["title"] == "Governance link check"
        jobs.Worker([jobs.DEFAULT_QUEUE_NAME]).work(burst=True)
        shown = act("hhs_governance_metrics_show", board.member)
        assert shown["last_run"]["status"] == "finished"
        assert shown["last_linkcheck"]["status"] == "finished"
        assert shown["figures"]["links"]["broken"] == 1


class TestLinkCheck:
    def test_links_checked_through_the_guard(self, board, catalog):
        run = check_links()
        assert run.status == "finished"
        assert (run.counts["checked"], run.counts["ok"], run.counts["broken"], run.counts["refused"]) == (3, 1, 1, 1)
        broken = act("hhs_governance_linkcheck_list", board.member)
        assert [(r["dataset"], r["http_status"], r["division"]) for r in broken["results"]] == [
            ("cms-secret-claims", 404, "cms")
        ]
        refused = act("hhs_governance_linkcheck_list", board.member, status="refused")["results"]
        assert [r["url"] for r in refused] == ["http://10.20.30.40/internal.csv"]
        assert "not a public address" in refused[0]["error"]
        assert act("hhs_governance_linkcheck_list", board.member, status="ok", division="cdc")["count"] == 0

        compute_figures()
        figures = act("hhs_governance_metrics_show", board.member)["figures"]["links"]
        assert {k: figures[k] for k in ("links", "ok", "broken", "refused", "unchecked")} == {
            "links": 3,
            "ok": 1,
            "broken": 1,
            "refused": 1,
            "unchecked": 0,
        }
        assert [link["dataset"] for link in figures["broken_links"] if link["status"] == "broken"] == [
            "cms-secret-claims"
        ]

    def test_a_batch_is_bounded_and_the_next_run_takes_the_others(self, board, catalog):
        assert check_links(limit=2).counts["checked"] == 2
        assert check_links(limit=2).counts["checked"] == 1
        assert check_links(limit=2).counts["checked"] == 0  # all checked within the recheck window

    def test_a_changed_url_is_checked_again(self, board, catalog, catalog_server):
        check_links()
        secret = catalog[3]
        resource = secret["resources"][0]
        helpers.call_action(
            "resource_patch", id=resource["id"], url=catalog_server.serve("/back.csv", "a\n", "text/csv")
        )
        run = check_links()
        assert (run.counts["checked"], run.counts["ok"]) == (1, 1)
        assert act("hhs_governance_linkcheck_list", board.member)["count"] == 0

    def test_a_redirect_to_a_private_address_is_refused(self, board, catalog_server):
        cms = factories.Division(name="cms", bureau_code="009:38")
        url = catalog_server.redirect("/moved", "http://127.0.0.1:1/admin")
        factories.HhsDataset(owner_org=cms["id"], resources=[{"url": url, "name": "Moved"}])
        run = check_links()
        assert run.counts["refused"] == 1
        assert act("hhs_governance_linkcheck_list", board.member, status="refused")["results"][0]["url"] == url


def test_the_figures_job_does_not_wait_for_the_link_check(board, catalog, monkeypatch):
    """The figures job alone computes figures; a link check left running does not hold them back."""
    model.Session.add(gm.MetricsRun(kind="linkcheck", status="running", started=gm.now()))
    model.Session.commit()
    metrics_jobs.figures_job()
    shown = act("hhs_governance_metrics_show", board.member)
    assert shown["last_run"]["status"] == "finished" and shown["computed_at"] is not None
    assert shown["last_linkcheck"]["status"] == "running"


def test_an_unknown_host_is_could_not_check_not_broken(board, catalog):
    cms = catalog[0]
    factories.HhsDataset(
        owner_org=cms["id"], name="cms-elsewhere", resources=[{"url": "https://no-such-host.invalid/x.csv"}]
    )
    run = check_links()
    assert (run.counts["broken"], run.counts["unknown"]) == (1, 1)
    unknown = act("hhs_governance_linkcheck_list", board.member, status="unknown")["results"]
    assert [r["dataset"] for r in unknown] == ["cms-elsewhere"] and unknown[0]["failures"] == 0
    assert [r["dataset"] for r in act("hhs_governance_linkcheck_list", board.member)["results"]] == [
        "cms-secret-claims"
    ]
    compute_figures()
    links = act("hhs_governance_metrics_show", board.member, division="cms")["figures"]["links"]
    assert (links["broken"], links["unknown"]) == (1, 1)
    # a result stored as broken by the older check is corrected when the figures are computed
    model.Session.query(gm.LinkStatus).filter_by(status="unknown").update({"status": "broken", "failures": 3})
    model.Session.commit()
    compute_figures()
    links = act("hhs_governance_metrics_show", board.member, division="cms")["figures"]["links"]
    assert (links["broken"], links["unknown"]) == (1, 1)


def test_a_server_that_does_not_answer_in_time_is_could_not_check(board, catalog_server, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.hhs.governance.linkcheck_timeout", "0.5")
    cms = factories.Division(name="cms", bureau_code="009:38")
    url = catalog_server.serve("/slow.csv", "a\n", "text/csv", delay=3)
    factories.HhsDataset(owner_org=cms["id"], name="cms-slow", resources=[{"url": url}])
    run = check_links()
    assert (run.counts.get("broken", 0), run.counts.get("unknown", 0)) == (0, 1), run.counts
    (slow,) = act("hhs_governance_linkcheck_list", board.member, status="unknown")["results"]
    assert slow["dataset"] == "cms-slow" and "did not answer within 0.5 s" in slow["error"]


def test_every_stale_dataset_is_kept(board):
    cms = factories.Division(name="cms", bureau_code="009:38")
    for n in range(101):  # more than the 100 the list was once capped at
        factories.HhsDataset(owner_org=cms["id"], name=f"old-{n}", modified="2001-01-01", frequency="R/P1D")
    compute_figures()
    catalog = act("hhs_governance_metrics_show", board.member, division="cms")["figures"]["catalog"]
    assert catalog["stale"] == len(catalog["stale_datasets"]) == 101


@pytest.mark.parametrize(
    ("value", "words"),
    [("R/P3.5D", "every 3.5 days"), ("R/P1M", "Monthly"), ("R/PT6H", "every 6 hours"), ("irregular", "irregularly")],
)
def test_frequency_words(value, words):
    assert health.frequency_words(value).lower() == words.lower()


def test_imported_catalogs_are_listed_with_harvest_health(app, board):
    """Datasets from `ckan hhs import-catalog` (no harvest source) carry source_catalog: the Board sees
    each such catalog per division with its datasets, and the page and its CSV say the same."""
    cms = factories.Division(name="cms", bureau_code="009:38")
    source = "https://cms.example.gov/data.json"
    for n in range(2):
        factories.HhsDataset(owner_org=cms["id"], name=f"cms-imported-{n}", source_catalog=source)
    factories.HhsDataset(owner_org=cms["id"], name="cms-by-hand")
    compute_figures()
    figures = act("hhs_governance_metrics_show", board.member, division="cms")["figures"]
    assert [(c["source_catalog"], c["division"], c["datasets"]) for c in figures["imported"]] == [(source, "cms", 2)]
    assert figures["imported"][0]["last_import"]
    token = helpers.call_action(
        "api_token_create", context={"user": board.member["name"]}, user=board.member["name"], name="t"
    )
    headers = {"Authorization": token["token"]}
    page = app.get("/governance/?division=cms", headers=headers, status=200).get_data(as_text=True)
    assert "Imported catalogs" in page and source in page
    body = app.get("/governance/imported.csv?division=cms", headers=headers, status=200).get_data(as_text=True)
    assert source in body and ",cms,2," in body
