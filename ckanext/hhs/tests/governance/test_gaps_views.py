"""The gaps pages: list with filters, overdue highlighting and CSV, the forms, a gap's page with comments
and status change; who gets which page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def _day(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def _token(user: dict) -> dict:
    token = helpers.call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")
    return {"Authorization": token["token"]}


def _login(app, user: dict):
    """A browser-like client logged in through the form (its session carries flash messages and the
    CSRF token; API-token calls have neither)."""
    import ckan.model as model

    obj = model.User.get(user["name"])
    obj.password = "gaps-test-password-1"
    model.Session.commit()
    client = app.test_client()
    client.post(
        "/user/login", data={"login": user["name"], "password": "gaps-test-password-1", **_csrf(client, "/user/login")}
    )
    return client


def _csrf(client, url: str) -> dict:
    """The CSRF token of a form page (checked on every POST of a logged-in session)."""
    import re

    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    return {"_csrf_token": match.group(1)} if match else {}


@pytest.fixture
def world(board):
    cms_admin = ckan_factories.User()
    factories.Division(
        name="cms",
        title="Centers for Medicare & Medicaid Services",
        users=[{"name": cms_admin["name"], "capacity": "admin"}],
    )
    factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")
    factories.HhsDataset(name="medicare-claims", owner_org="cms")
    editor = {"user": board.editor["name"], "ignore_auth": False}
    late = helpers.call_action(
        "hhs_governance_gap_create",
        context=editor,
        title="Steward list is out of date",
        division="cms",
        severity="high",
        due_date=_day(-2),
        datasets=["medicare-claims"],
    )
    later = helpers.call_action(
        "hhs_governance_gap_create",
        context=editor,
        title='=HYPERLINK("x") no licence',
        division="cdc",
        severity="low",
        due_date=_day(20),
    )
    board.cms_admin = cms_admin
    board.late, board.later = late, later
    return board


def test_list_for_board_members_with_overdue_flagged_in_words(app, world):
    page = app.get("/governance/gaps", headers=_token(world.member)).get_data(as_text=True)
    assert "Steward list is out of date" in page
    assert "Overdue" in page  # the tag says it; the colour only repeats it
    assert "1 gap is past its due date." in page
    assert 'href="/governance/gaps/new"' not in page  # members do not record gaps
    assert "hhs-gap-row--overdue" in page
    filtered = app.get("/governance/gaps?division=cdc&severity=low", headers=_token(world.member)).get_data(
        as_text=True
    )
    assert "no licence" in filtered
    assert "Steward list" not in filtered
    only_late = app.get("/governance/gaps?overdue=1", headers=_token(world.member)).get_data(as_text=True)
    assert "Steward list" in only_late
    assert "no licence" not in only_late


def test_list_is_refused_to_outsiders_and_sends_visitors_to_log_in(app, world):
    app.get("/governance/gaps", headers=_token(world.outsider), status=403)
    response = app.get("/governance/gaps", follow_redirects=False)
    assert response.status_code == 302
    assert "/user/login" in response.headers["Location"]
    app.get(f"/governance/gaps/{world.late['id']}", headers=_token(world.outsider), status=403)
    app.get("/governance/gaps/no-such-gap", headers=_token(world.member), status=404)


def test_csv_download_follows_filters_and_defuses_formulas(app, world):
    response = app.get("/governance/gaps.csv?status=open", headers=_token(world.member))
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["title"] for r in rows] == ["Steward list is out of date", '\'=HYPERLINK("x") no licence']
    assert rows[0]["overdue"] == "yes"
    assert rows[0]["datasets"] == "medicare-claims"
    assert rows[0]["division"] == "cms"
    app.get("/governance/gaps.csv", headers=_token(world.outsider), status=403)


def test_csv_defuses_formulas_in_every_text_column(app, world):
    """A dataset name may start with "-" (CKAN allows it): the datasets column is guarded like the title."""
    factories.HhsDataset(name="-2-1-cmd", owner_org="cms")
    helpers.call_action(
        "hhs_governance_gap_create",
        context={"user": world.editor["name"], "ignore_auth": False},
        title="Plain title",
        division="cms",
        severity="low",
        due_date=_day(5),
        datasets=["-2-1-cmd"],
    )
    response = app.get("/governance/gaps.csv", headers=_token(world.member))
    row = next(r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True))) if r["title"] == "Plain title")
    assert row["datasets"] == "'-2-1-cmd"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_editor_records_a_gap_through_the_form(app, world):
    editor = _login(app, world.editor)
    assert 'name="_csrf_token"' in _text(editor.get("/governance/gaps/new"))
    data = {
        "title": "No data dictionary",
        "division": "cms",
        "severity": "critical",
        "due_date": _day(14),
        "datasets": "no-such-dataset",
        **_csrf(editor, "/governance/gaps/new"),
    }
    again = _text(editor.post("/governance/gaps/new", data=data))
    assert "The gap was not saved" in again
    assert "Datasets: &#34;no-such-dataset&#34; is not a dataset you can see" in again
    assert 'value="No data dictionary"' in again  # what was typed is kept
    data["datasets"] = "medicare-claims"
    page = _text(editor.post("/governance/gaps/new", data=data))  # the client follows the redirect
    assert "The gap was recorded." in page
    assert "usa-alert--success" in page
    assert "No data dictionary" in page
    assert 'href="/dataset/medicare-claims"' in page
    app.get("/governance/gaps/new", headers=_token(world.member), status=403)


def test_comment_and_status_change_on_the_gap_page(app, world):
    url = f"/governance/gaps/{world.late['id']}"
    member = _login(app, world.member)
    page = _text(member.get(url))
    assert "This gap was due on" in page
    assert "Change the status" not in page  # a member comments, the editors decide
    page = _text(member.post(f"{url}/comment", data={"text": "Seen at the board meeting.", **_csrf(member, url)}))
    assert "Your comment was added." in page
    assert "Seen at the board meeting." in page

    admin = _login(app, world.cms_admin)
    assert "Change the status" in _text(admin.get(url))
    page = _text(admin.post(f"{url}/status", data={"status": "in_progress", **_csrf(admin, url)}))
    assert "The gap is now in progress." in page

    editor = _login(app, world.editor)
    page = _text(editor.post(f"{url}/status", data={"status": "closed", **_csrf(editor, url)}))
    assert "Say how the gap was closed" in page
    assert "usa-alert--error" in page
    page = _text(
        editor.post(f"{url}/status", data={"status": "closed", "message": "List refreshed.", **_csrf(editor, url)})
    )
    assert "The gap is now closed." in page
    assert "List refreshed." in page
    assert "This gap was due on" not in page  # closed: no longer overdue


def test_editor_changes_a_gap_through_the_edit_form(app, world):
    url = f"/governance/gaps/{world.later['id']}/edit"
    editor = _login(app, world.editor)
    assert "no licence" in _text(editor.get(url))
    data = {
        "title": "Licence missing on CDC files",
        "division": "cdc",
        "severity": "high",
        "due_date": "",
        "datasets": "",
        "terms": "",
        **_csrf(editor, url),
    }
    page = _text(editor.post(url, data=data))
    assert "The gap was saved." in page
    assert "Licence missing on CDC files" in page
    app.get(url, headers=_token(world.member), status=403)


def test_bad_addresses_and_filters_get_an_answer_not_a_crash(app, world):
    member = _token(world.member)
    assert app.get("/governance/gaps?division=%00&page=abc&severity=dire&status=x", headers=member).status_code == 200
    assert app.get("/governance/gaps?q=%00", headers=member).status_code == 400
    assert app.get("/governance/gaps/%00", headers=member).status_code in (400, 404)
    assert app.get("/governance/gaps.csv?division=%00", headers=member).status_code == 200
