"""The duplicates page: pairs side by side for board members, decision forms for board editors, the
scan's status; everyone else is refused (private datasets' titles included)."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.hhs.governance import duplicates
from ckanext.hhs.governance.model import duplicates as gm
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
    for user in (None, board.outsider):
        response = _get(app, user, status=403)
        assert PRIVATE_TITLE not in response.body


def test_a_failed_scan_is_shown_as_failed(app, board, pair):
    model.Session.add(gm.DuplicateRun(status="failed", error="OperationalError: server closed the connection"))
    model.Session.commit()
    body = _get(app, board.member).body
    assert "failed" in body and "server closed the connection" in body


def test_a_scan_cut_off_long_ago_is_reported_as_failed(board):
    started = duplicates._now() - dt.timedelta(seconds=duplicates.JOB_TIMEOUT + 60)
    model.Session.add(gm.DuplicateRun(status="running", stage="embedding", started=started))
    model.Session.commit()
    summary = helpers.call_action("hhs_governance_duplicate_summary", context={"user": board.member["name"]})
    assert summary["last_scan_status"] == "failed"
    assert "interrupted" in summary["scan"]["error"]
