"""The duplicates page: pairs side by side for board members, decision forms for board editors, the
scan's status; everyone else is refused (private datasets' titles included)."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.hhs import values
from ckanext.hhs.governance.duplicates import model as gm
from ckanext.hhs.governance.duplicates import scan as duplicates
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PRIVATE_TITLE = "Private CDC enrollment extract"


@pytest.fixture
def pair(board):
    """A public CMS dataset and a private CDC one under the same identifier, scanned."""
    cms = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services")
    cdc = factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")
    factories.HhsDataset(name="cms-enrollment", title="Hospital enrollments", owner_org=cms["id"], identifier="enr-1")
    factories.HhsDataset(
        name="cdc-enrollment", title=PRIVATE_TITLE, owner_org=cdc["id"], identifier="ENR-1", private=True
    )
    run = duplicates.scan()
    assert run.status == "finished"
    return model.Session.query(gm.DuplicatePair).one()


def _get(app, user, url="/governance/duplicates", status=200):
    headers = (
        {"Authorization": helpers.call_action("api_token_create", user=user["name"], name="t")["token"]} if user else {}
    )
    return app.get(url, headers=headers, status=status)


def test_board_member_sees_pairs_with_signals_but_no_decision_buttons(app, board, pair):
    body = _get(app, board.member).body
    assert PRIVATE_TITLE in body and "Hospital enrollments" in body
    assert "Same identifier" in body and "enr-1" in body
    assert "Last scan finished" in body
    assert "Mark as duplicates" not in body


def test_board_editor_gets_the_decision_form_with_a_csrf_token(app, board, pair):
    body = _get(app, board.editor).body
    assert "Mark as duplicates" in body and "Mark as distinct" in body
    assert 'name="_csrf_token"' in body
    assert 'action="/governance/duplicates/scan"' in body


def test_others_are_refused_and_see_no_titles(app, board, pair):
    # anonymous visitors go to the login page and come back (as on every governance page)
    response = app.get("/governance/duplicates", status=302, follow_redirects=False)
    assert "/user/login" in response.headers["Location"] and "came_from=" in response.headers["Location"]
    response = _get(app, board.outsider, status=403)
    assert PRIVATE_TITLE not in response.body


def test_a_failed_scan_is_shown_as_failed(app, board, pair):
    model.Session.add(gm.DuplicateRun(status="failed", error="OperationalError: server closed the connection"))
    model.Session.commit()
    body = _get(app, board.member).body
    assert "failed" in body and "server closed the connection" in body


def test_a_scan_cut_off_long_ago_is_reported_as_failed(board):
    started = values.now() - dt.timedelta(seconds=duplicates.JOB_TIMEOUT + 60)
    model.Session.add(gm.DuplicateRun(status="running", stage="embedding", started=started))
    model.Session.commit()
    summary = helpers.call_action("hhs_governance_duplicate_summary", context={"user": board.member["name"]})
    assert summary["last_scan_status"] == "failed"
    assert "interrupted" in summary["scan"]["error"]


def _decide_cms_authoritative(board, pair):
    cms = model.Package.get("cms-enrollment")
    helpers.call_action(
        "hhs_governance_duplicate_decide",
        context={"user": board.editor["name"]},
        id=pair.id,
        decision="duplicate",
        authoritative=cms.id,
    )


def test_the_copy_names_its_authoritative_version_and_the_source_lists_only_visible_copies(app, board, pair):
    from ckan.tests import factories as ckan_factories

    _decide_cms_authoritative(board, pair)
    admin = ckan_factories.Sysadmin()
    copy_page = _get(app, admin, "/dataset/cdc-enrollment").body
    notice = "Centers for Medicare &amp; Medicaid Services publishes the authoritative version of this data:"
    assert notice in copy_page
    assert '<a class="usa-link" href="/dataset/cms-enrollment">Hospital enrollments</a>' in copy_page
    # Near the top, before the metadata table, whose row names it as well (by title, not "the dataset").
    assert copy_page.index(notice) < copy_page.index("Authoritative source of this data")
    assert '<a href="/dataset/cms-enrollment">Hospital enrollments</a> (Centers for Medicare' in copy_page
    assert "The authoritative dataset" not in copy_page
    # The authoritative dataset lists its copies: the private CDC one only to whoever may see it.
    source_admin = _get(app, admin, "/dataset/cms-enrollment").body
    assert "Known copies of this data" in source_admin and PRIVATE_TITLE in source_admin
    assert "Centers for Disease Control and Prevention" in source_admin
    for user in (None, board.outsider):
        body = _get(app, user, "/dataset/cms-enrollment").body
        assert PRIVATE_TITLE not in body and "Known copies of this data" not in body


def test_a_decided_pair_shows_its_decision_and_the_change_behind_a_disclosure(app, board, pair):
    _decide_cms_authoritative(board, pair)
    body = _get(app, board.editor, "/governance/duplicates?status=duplicate").body
    assert "Decided: duplicates. The authoritative version is" in body
    assert "<summary>Change the decision</summary>" in body
    assert "Undo: mark as distinct" in body
    assert 'class="usa-radio__label hhs-no-colon"' in body and ".hhs-no-colon::after { content: none; }" in body
    member = _get(app, board.member, "/governance/duplicates?status=duplicate").body
    assert "Decided: duplicates" in member and "Change the decision" not in member


def test_pairs_filtered_by_division_keep_the_filter_across_tabs(app, board, pair):
    factories.Division(name="fda", title="Food and Drug Administration", bureau_code="009:10")
    body = _get(app, board.member, "/governance/duplicates?division=cdc").body
    assert "1 pair" in body and PRIVATE_TITLE in body
    assert '<option value="cdc" selected>' in body
    assert "status=all&amp;division=cdc" in body or "division=cdc&amp;status=all" in body
    body = _get(app, board.member, "/governance/duplicates?division=fda").body
    assert "0 pairs" in body and PRIVATE_TITLE not in body
    # an unknown division is no filter, not an error
    assert "1 pair" in _get(app, board.member, "/governance/duplicates?division=nope%00").body
