"""The gaps tracker's actions: create, change, close, comment, list with filters, summary; validation,
permissions and what linked datasets reveal."""

from __future__ import annotations

import datetime as dt
import types

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def _day(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def _as(user: dict) -> dict:
    return {"user": user["name"], "ignore_auth": False}


@pytest.fixture
def world(board):
    cms_admin, cms_editor = ckan_factories.User(), ckan_factories.User()
    cms = factories.Division(
        name="cms",
        title="Centers for Medicare & Medicaid Services",
        users=[{"name": cms_admin["name"], "capacity": "admin"}, {"name": cms_editor["name"], "capacity": "editor"}],
    )
    cdc = factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")
    public = factories.HhsDataset(name="medicare-claims", owner_org=cms["id"])
    private = factories.HhsDataset(name="secret-claims", owner_org=cms["id"], private=True)
    return types.SimpleNamespace(
        board=board, cms=cms, cdc=cdc, cms_admin=cms_admin, cms_editor=cms_editor, public=public, private=private
    )


def _gap(world, **data) -> dict:
    values = {"title": "No data dictionary for claims", "division": "cms", "severity": "high", **data}
    return helpers.call_action("hhs_governance_gap_create", context=_as(world.board.editor), **values)


class TestCreate:
    def test_a_board_editor_records_a_gap_with_links(self, world):
        gap = _gap(
            world,
            description="Analysts cannot tell what the columns mean.",
            due_date=_day(30),
            datasets="medicare-claims",
        )
        assert gap["status"] == "open"
        assert gap["severity"] == "high"
        assert gap["division"]["name"] == "cms"
        assert gap["due_date"] == _day(30)
        assert gap["overdue"] is False
        assert [d["name"] for d in gap["datasets"]] == ["medicare-claims"]
        assert gap["created_by"] == world.board.editor["name"]
        assert [h["action"] for h in gap["history"]] == ["create"]

    def test_unknown_division_dataset_or_term_names_the_field(self, world):
        with pytest.raises(tk.ValidationError) as e:
            _gap(world, division="nowhere")
        assert "division" in e.value.error_dict
        with pytest.raises(tk.ValidationError) as e:
            _gap(world, datasets=["no-such-dataset"])
        assert e.value.error_dict == {"datasets": ['"no-such-dataset" is not a dataset you can see']}
        with pytest.raises(tk.ValidationError) as e:
            _gap(world, terms=["no-such-term"])
        assert e.value.error_dict == {"terms": ['"no-such-term" is not a glossary term']}

    def test_bad_values_name_their_fields(self, world):
        with pytest.raises(tk.ValidationError) as e:
            helpers.call_action(
                "hhs_governance_gap_create",
                context=_as(world.board.editor),
                title="  ",
                division="cms",
                severity="dire",
                due_date="next week",
            )
        assert set(e.value.error_dict) == {"title", "severity", "due_date"}

    def test_a_dataset_the_editor_cannot_see_is_refused_as_unknown(self, world):
        with pytest.raises(tk.ValidationError) as e:
            _gap(world, datasets=["secret-claims"])
        assert e.value.error_dict == {"datasets": ['"secret-claims" is not a dataset you can see']}

    def test_only_board_editors_create(self, world):
        for user in (world.board.member, world.board.outsider, world.cms_admin):
            with pytest.raises(tk.NotAuthorized):
                _gap_as(user)


def _gap_as(user: dict) -> dict:
    return helpers.call_action("hhs_governance_gap_create", context=_as(user), title="x", division="cms")


class TestPrivateDatasets:
    def test_linked_private_dataset_is_shown_only_to_those_who_may_see_it(self, world):
        sysadmin = ckan_factories.Sysadmin()
        gap = helpers.call_action(
            "hhs_governance_gap_create",
            context=_as(sysadmin),
            title="Claims without steward",
            division="cms",
            datasets=["secret-claims", "medicare-claims"],
        )
        assert {d["name"] for d in gap["datasets"]} == {"secret-claims", "medicare-claims"}
        for viewer in (world.board.member, world.board.editor):
            shown = helpers.call_action("hhs_governance_gap_show", context=_as(viewer), id=gap["id"])
            assert [d["name"] for d in shown["datasets"]] == ["medicare-claims"]
            assert "secret-claims" not in str(shown)
        listed = helpers.call_action("hhs_governance_gap_list", context=_as(world.board.member))
        assert "secret-claims" not in str(listed)
        # The division's own editor sees it (if made a board member too, the link shows).
        helpers.call_action("organization_member_create", id="cms", username=world.board.member["name"], role="member")
        shown = helpers.call_action("hhs_governance_gap_show", context=_as(world.board.member), id=gap["id"])
        assert {d["name"] for d in shown["datasets"]} == {"secret-claims", "medicare-claims"}

    def test_an_editor_who_cannot_see_a_link_does_not_remove_it(self, world):
        sysadmin = ckan_factories.Sysadmin()
        gap = helpers.call_action(
            "hhs_governance_gap_create", context=_as(sysadmin), title="x", division="cms", datasets=["secret-claims"]
        )
        updated = helpers.call_action(
            "hhs_governance_gap_update", context=_as(world.board.editor), id=gap["id"], datasets="medicare-claims"
        )
        assert [d["name"] for d in updated["datasets"]] == ["medicare-claims"]
        assert "secret-claims" not in str(updated)
        shown = helpers.call_action("hhs_governance_gap_show", context=_as(sysadmin), id=gap["id"])
        assert {d["name"] for d in shown["datasets"]} == {"secret-claims", "medicare-claims"}


class TestLifecycle:
    def test_update_close_and_reopen_keep_history(self, world):
        gap = _gap(world)
        editor = _as(world.board.editor)
        gap = helpers.call_action(
            "hhs_governance_gap_update", context=editor, id=gap["id"], severity="critical", due_date=_day(7)
        )
        assert gap["severity"] == "critical"
        with pytest.raises(tk.ValidationError) as e:
            helpers.call_action("hhs_governance_gap_update", context=editor, id=gap["id"], status="closed")
        assert "message" in e.value.error_dict
        gap = helpers.call_action(
            "hhs_governance_gap_update",
            context=editor,
            id=gap["id"],
            status="closed",
            message="Dictionary published.",
        )
        assert gap["status"] == "closed"
        assert gap["closed"]
        assert gap["resolution"] == "Dictionary published."
        gap = helpers.call_action("hhs_governance_gap_update", context=editor, id=gap["id"], status="open")
        assert gap["status"] == "open"
        assert gap["closed"] is None
        actions = [(h["action"], h["changes"].get("status")) for h in gap["history"]]
        assert actions == [
            ("create", None),
            ("update", None),
            ("status", ["open", "closed"]),
            ("status", ["closed", "open"]),
        ]
        assert gap["history"][1]["changes"]["severity"] == ["high", "critical"]

    def test_division_admin_may_start_work_and_comment_but_not_close(self, world):
        gap = _gap(world)
        admin = _as(world.cms_admin)
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_governance_gap_update", context=admin, id=gap["id"], status="closed", message="x")
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_governance_gap_update", context=admin, id=gap["id"], severity="low")
        # An empty value clears a field: it is a change like any other (the due date, the description).
        for field in ("due_date", "description"):
            with pytest.raises(tk.NotAuthorized):
                helpers.call_action(
                    "hhs_governance_gap_update", context=admin, id=gap["id"], status="in_progress", **{field: ""}
                )
        gap = helpers.call_action("hhs_governance_gap_update", context=admin, id=gap["id"], status="in_progress")
        assert gap["status"] == "in_progress"
        gap = helpers.call_action("hhs_governance_gap_comment_create", context=admin, id=gap["id"], text="On it.")
        assert [(c["user"], c["text"]) for c in gap["comments"]] == [(world.cms_admin["name"], "On it.")]
        # The division's editor (not admin) and another division's people are refused.
        for user in (world.cms_editor, world.board.outsider):
            with pytest.raises(tk.NotAuthorized):
                helpers.call_action("hhs_governance_gap_show", context=_as(user), id=gap["id"])
            with pytest.raises(tk.NotAuthorized):
                helpers.call_action("hhs_governance_gap_comment_create", context=_as(user), id=gap["id"], text="x")

    def test_board_members_comment_but_do_not_change(self, world):
        gap = _gap(world)
        member = _as(world.board.member)
        gap = helpers.call_action("hhs_governance_gap_comment_create", context=member, id=gap["id"], text="Seen.")
        assert gap["comments"][0]["text"] == "Seen."
        assert gap["may"] == {"change": False, "comment": True, "start": False}
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_governance_gap_update", context=member, id=gap["id"], status="in_progress")
        with pytest.raises(tk.ValidationError) as e:
            helpers.call_action("hhs_governance_gap_comment_create", context=member, id=gap["id"], text=" ")
        assert "text" in e.value.error_dict

    def test_missing_gap_is_not_found(self, world):
        with pytest.raises(tk.ObjectNotFound):
            helpers.call_action("hhs_governance_gap_show", context=_as(world.board.member), id="nope")


class TestListAndSummary:
    @pytest.fixture
    def gaps(self, world):
        late = _gap(world, title="Overdue steward list", severity="medium", due_date=_day(-3))
        soon = _gap(world, title="Missing licence on claims", severity="critical", due_date=_day(10), division="cdc")
        low = _gap(world, title="Typos in keywords", severity="low")
        done = _gap(world, title="Old gap", severity="critical", due_date=_day(-30))
        helpers.call_action(
            "hhs_governance_gap_update", context=_as(world.board.editor), id=done["id"], status="closed", message="ok"
        )
        return types.SimpleNamespace(late=late, soon=soon, low=low, done=done)

    def _titles(self, user, **filters):
        found = helpers.call_action("hhs_governance_gap_list", context=_as(user), **filters)
        return [g["title"] for g in found["results"]], found["count"]

    def test_most_pressing_first_and_filters(self, world, gaps):
        member = world.board.member
        titles, count = self._titles(member)
        assert count == 4
        assert titles == ["Overdue steward list", "Missing licence on claims", "Typos in keywords", "Old gap"]
        assert self._titles(member, overdue=True) == (["Overdue steward list"], 1)
        assert self._titles(member, status="closed") == (["Old gap"], 1)
        assert self._titles(member, status="not_closed")[1] == 3
        assert self._titles(member, severity="critical") == (["Missing licence on claims", "Old gap"], 2)
        assert self._titles(member, division="cdc") == (["Missing licence on claims"], 1)
        assert self._titles(member, q="LICENCE claims") == (["Missing licence on claims"], 1)
        assert self._titles(member, q="100%") == ([], 0)
        assert self._titles(member, limit=1, offset=1) == (["Missing licence on claims"], 4)
        with pytest.raises(tk.ValidationError) as e:
            self._titles(member, status="pending")
        assert "status" in e.value.error_dict

    def test_division_admins_list_their_divisions_gaps_only(self, world, gaps):
        titles, count = self._titles(world.cms_admin)
        assert count == 3
        assert "Missing licence on claims" not in titles
        with pytest.raises(tk.NotAuthorized):
            self._titles(world.board.outsider)

    def test_summary(self, world, gaps):
        summary = helpers.call_action("hhs_governance_gap_summary", context=_as(world.board.member))
        assert summary == {
            "open": 3,
            "in_progress": 0,
            "closed": 1,
            "overdue": 1,
            "by_severity": {"low": 1, "medium": 1, "high": 0, "critical": 1},
        }
        cdc = helpers.call_action("hhs_governance_gap_summary", context=_as(world.board.member), division="cdc")
        assert cdc["open"] == 1
        assert cdc["overdue"] == 0
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_governance_gap_summary", context=_as(world.cms_admin))


@pytest.mark.usefixtures("clean_index")
def test_seed_demo_records_three_gaps_once_one_overdue(world):
    from ckanext.hhs.governance.gaps import seed as gaps

    factories.HhsDataset(name="hospital-change-of-ownership", title="Hospital Change of Ownership", owner_org="cms")
    lines = list(gaps.seed_demo())
    assert len(lines) == 3
    assert all(line.startswith("Gap recorded") for line in lines)
    summary = helpers.call_action("hhs_governance_gap_summary", context=_as(world.board.member))
    assert summary["open"] == 3
    assert summary["overdue"] == 1
    found = helpers.call_action("hhs_governance_gap_list", context=_as(world.board.member), overdue=True)
    assert [d["name"] for d in found["results"][0]["datasets"]] == ["hospital-change-of-ownership"]
    assert all(line.startswith("Gap already there") for line in gaps.seed_demo())
