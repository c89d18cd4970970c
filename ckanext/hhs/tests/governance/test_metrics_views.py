"""The dashboard page and its CSV downloads: figures with their time, the failed-run banner, the
charts' tables, the division view, who may see and refresh."""

from __future__ import annotations

import csv
import io

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.governance.metrics import health
from ckanext.hhs.governance.metrics import jobs as metrics_jobs
from ckanext.hhs.governance.metrics.figures import compute_figures
from ckanext.hhs.governance.metrics.links import check_links
from ckanext.hhs.governance.metrics.views import SECTIONS

from .test_metrics import catalog  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.ckan_config("ckanext.hhs.governance.linkcheck_interval", "0"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _auth(user: dict) -> dict[str, str]:
    token = helpers.call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")
    return {"Authorization": token["token"]}


def _csv(app, path: str, user: dict) -> list[dict[str, str]]:
    response = app.get(path, headers=_auth(user), status=200)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_page_shows_the_figures_their_time_and_the_charts_tables(app, board, catalog):  # noqa: F811
    check_links()
    compute_figures()
    page = app.get("/governance/", headers=_auth(board.member), status=200).get_data(as_text=True)
    assert "Figures computed at" in page
    assert "Catalog health" in page and "Harvest health" in page and "Return on investment" in page
    # the charts, each with the table that holds its figures (and is what shows without JavaScript)
    assert 'data-hhs-chart="line"' in page and 'id="chart-trend-table"' in page
    assert 'data-hhs-chart="bar"' in page and 'id="chart-divisions-table"' in page
    assert "governance-charts.js" in page
    assert "Centers for Medicare &amp; Medicaid Services" in page
    assert "cms-claims" in page  # the stale dataset, linked
    assert "cms-secret-claims" in page or "Secret claims" in page  # the Board sees private datasets (broken link)
    assert "Recompute the figures now" not in page  # a member sees, an editor decides
    assert "Not available yet." in page or "Governance gaps" in page
    # the division view
    cms = app.get("/governance/?division=cms", headers=_auth(board.member), status=200).get_data(as_text=True)
    assert "Governance dashboard: Centers for Medicare" in cms
    assert 'option value="cms" selected' in cms
    app.get("/governance/?division=nope", headers=_auth(board.member), status=404)


def test_a_failed_run_is_shown_not_hidden(app, board, catalog, monkeypatch):  # noqa: F811
    compute_figures()

    def broken(*args, **kwargs):
        raise RuntimeError("index unreachable")

    monkeypatch.setattr(health, "walk_catalog", broken)
    with pytest.raises(RuntimeError):
        compute_figures()
    page = app.get("/governance/", headers=_auth(board.member), status=200).get_data(as_text=True)
    assert "The last computation of the figures did not finish" in page
    # The neutral message naming the run; the exception is in the log only
    assert "index unreachable" not in page and "the details are in the server log" in page
    assert "The figures below are older" in page


def test_csv_downloads_of_every_section(app, board, catalog):  # noqa: F811
    check_links()
    compute_figures()
    rows = _csv(app, "/governance/catalog.csv", board.member)
    assert [r["division"] for r in rows] == ["hhs", "cdc", "cms"]
    assert (rows[0]["datasets"], rows[0]["private"], rows[0]["access_non_public"]) == ("3", "1", "1")
    assert rows[2]["stale"] == "1" and rows[2]["broken_links"] == "1"
    assert all(r["computed_at"] for r in rows)
    assert [r["division"] for r in _csv(app, "/governance/catalog.csv?division=cdc", board.member)] == ["cdc"]

    assert [r["dataset"] for r in _csv(app, "/governance/stale.csv", board.member)] == ["cms-claims"]
    links = _csv(app, "/governance/links.csv", board.member)
    assert sorted((r["status"], r["dataset"]) for r in links) == [
        ("broken", "cms-secret-claims"),
        ("refused", "cdc-surveillance"),
    ]
    roi = {r["figure"]: r["value"] for r in _csv(app, "/governance/roi.csv", board.member)}
    assert roi["baseline_days"] == "120"
    assert roi["requests_total"] == "0"
    assert "hours_saved_total" in roi
    trend = _csv(app, "/governance/trend.csv", board.member)
    assert len(trend) == 1 and trend[0]["datasets"] == "3"
    assert _csv(app, "/governance/harvest.csv", board.member) == []
    app.get("/governance/secrets.csv", headers=_auth(board.member), status=404)


def test_the_other_parts_answer_anonymous_users_the_same_way(app, board):
    for path in ("/governance/", "/governance/gaps", "/governance/quality"):
        response = app.get(path, status=302, follow_redirects=False)
        assert "/user/login" in response.headers["Location"] and "came_from=" in response.headers["Location"]
        app.get(path, headers=_auth(board.outsider), status=403)


def test_page_and_downloads_are_for_the_board_only(app, board, catalog):  # noqa: F811
    compute_figures()
    cms_editor = ckan_factories.User()
    helpers.call_action("organization_member_create", id="cms", username=cms_editor["name"], role="editor")
    for path in ("/governance/", *(f"/governance/{s}.csv" for s in SECTIONS)):
        # anonymous: to the login page, with the way back (as /governance/gaps and /quality do)
        response = app.get(path, status=302, follow_redirects=False)
        assert "/user/login" in response.headers["Location"] and "came_from=" in response.headers["Location"]
        for user in (board.outsider, cms_editor):
            body = app.get(path, headers=_auth(user), status=403).get_data(as_text=True)
            assert "cms-secret-claims" not in body
    app.post("/governance/refresh", headers=_auth(board.outsider), status=403)
    app.post("/governance/refresh", headers=_auth(board.member), status=403)


def test_an_editor_recomputes_from_the_page(app, board, catalog):  # noqa: F811
    helpers.call_action("job_clear")
    page = app.get("/governance/", headers=_auth(board.editor), status=200).get_data(as_text=True)
    assert "No figures have been computed yet." in page
    assert "Recompute the figures now" in page
    page = app.post("/governance/refresh", headers=_auth(board.editor), data={"links": "1"}, status=200).get_data(
        as_text=True
    )
    assert "The figures are being computed" in page
    assert sorted(j["title"] for j in helpers.call_action("job_list")) == [
        "Governance figures",
        "Governance link check",
    ]
    helpers.call_action("job_clear")


def test_the_links_csv_matches_the_page_snapshot_not_a_live_read(app, board, catalog):  # noqa: F811
    check_links()
    compute_figures()
    rows = _csv(app, "/governance/links.csv", board.member)
    assert sorted(r["status"] for r in rows) == ["broken", "refused"]
    # a later link check does not change the CSV until the figures are computed again
    import ckan.model as model

    from ckanext.hhs.governance.metrics import model as gm

    model.Session.query(gm.LinkStatus).update({"status": "broken"})
    model.Session.commit()
    assert len(_csv(app, "/governance/links.csv", board.member)) == 2
    assert {r["computed_at"] for r in rows} == {
        helpers.call_action("hhs_governance_metrics_show", context={"user": board.member["name"]})["computed_at"]
    }


def test_jobs_waiting_for_a_worker_are_said_until_it_starts_them(app, board):
    import ckan.lib.jobs as ckan_jobs

    ckan_jobs.get_queue().empty()
    metrics_jobs.enqueue_refresh(links=True)
    shown = helpers.call_action("hhs_governance_metrics_show", context={"user": board.member["name"]})
    assert shown["queued"] == ["Governance figures", "Governance link check"]
    page = app.get("/governance/", headers=_auth(board.member), status=200).get_data(as_text=True)
    assert "Queued, waiting for a background worker: Governance figures, Governance link check." in page
    ckan_jobs.Worker([ckan_jobs.DEFAULT_QUEUE_NAME]).work(burst=True)
    shown = helpers.call_action("hhs_governance_metrics_show", context={"user": board.member["name"]})
    assert shown["queued"] == [] and shown["last_run"]["status"] == "finished"
