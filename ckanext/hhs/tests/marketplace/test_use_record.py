"""The data-use record: each decided request's agreement, one immutable version per decision or change,
read by the requester, the stewards and the Board, printable, listed on the request, exported as CSV."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

from .conftest import ask, in_days

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def call(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


@pytest.fixture
def board_member(world):
    person = ckan_factories.User(name="board-reader")
    factories.Division(
        name=tk.config.get("ckanext.hhs.governance_org") or "data-governance-board",
        title="Data Governance Board",
        kind="governance",
        bureau_code="009:90",
        users=[{"name": person["name"], "capacity": "member"}],
    )
    return person


def _approved(world) -> dict:
    request = ask(world)
    call("hhs_marketplace_request_approve", world.steward, id=request["id"], message="Fine for flu VE")
    return request


def test_approval_writes_the_agreement_without_naming_the_private_dataset(world):
    request = _approved(world)
    record = call("hhs_marketplace_use_record_show", world.analyst, id=request["id"])
    c = record["content"]
    assert (record["version"], record["change"], record["created_by"]) == (1, "approved", world.steward["name"])
    assert c["purpose"] == "Study flu vaccination among Medicare beneficiaries" and c["project"] == "Flu VE 2026"
    assert c["terms"] == "Use only for the stated purpose; no re-identification."
    assert c["requester"]["email"] == "analyst@cdc.example.gov"
    assert [d["title"] for d in c["components"]] == ["Restricted dataset 1", "Inpatient hospitals"]
    assert c["components"][0]["granted"] and not c["components"][1]["granted"]
    assert [(d["action"], d["user"]) for d in c["decisions"]][:2] == [
        ("submit", world.analyst["name"]),
        ("approve", world.steward["name"]),
    ]
    assert c["grant"]["start"] and c["grant"]["end"] == in_days(30) and c["grant"]["ended"] is None
    text = str(record)
    for secret in (world.secret["name"], world.secret["id"], world.secret["title"]):
        assert secret not in text
    shown = call("hhs_marketplace_request_show", world.analyst, id=request["id"])
    assert [(v["version"], v["change"]) for v in shown["records"]] == [(1, "approved")]


def test_a_change_adds_a_version_and_leaves_the_earlier_one_as_it_was(world):
    request = _approved(world)
    first = call("hhs_marketplace_use_record_show", world.steward, id=request["id"])
    call("hhs_marketplace_request_extend", world.steward, id=request["id"], end_date=in_days(60), message="More time")
    call("hhs_marketplace_request_revoke", world.steward, id=request["id"], message="Study stopped")
    latest = call("hhs_marketplace_use_record_show", world.steward, id=request["id"])
    assert [(v["version"], v["change"]) for v in latest["versions"]] == [
        (1, "approved"),
        (2, "extended"),
        (3, "access withdrawn"),
    ]
    assert latest["content"]["grant"]["end"] == in_days(60) and latest["content"]["grant"]["ended"]
    assert latest["content"]["status"] == "withdrawn"
    assert latest["content"]["decisions"][-1]["message"] in ("Study stopped", "withdrawn by the steward")
    again = call("hhs_marketplace_use_record_show", world.steward, id=request["id"], version=1)
    assert again == {**first, "versions": again["versions"]}
    v2 = call("hhs_marketplace_use_record_show", world.steward, id=request["id"], version=2)
    assert v2["content"]["grant"]["end"] == in_days(60) and v2["content"]["grant"]["ended"] is None


def test_the_database_refuses_to_change_a_version(world):
    request = _approved(world)
    with pytest.raises(sa.exc.DBAPIError):
        model.Session.execute(
            sa.text("UPDATE hhs_marketplace_use_record SET change = 'forged' WHERE request_id = :r"),
            {"r": request["id"]},
        )
        model.Session.flush()
    model.Session.rollback()
    assert call("hhs_marketplace_use_record_show", world.analyst, id=request["id"])["change"] == "approved"


def test_rejection_requester_withdrawal_and_expiry_are_recorded(world):
    rejected = ask(world)
    call("hhs_marketplace_request_reject", world.steward, id=rejected["id"], message="No project lead named")
    assert call("hhs_marketplace_use_record_show", world.analyst, id=rejected["id"])["change"] == "rejected"
    # A request withdrawn before any decision has no agreement.
    pending = ask(world)
    call("hhs_marketplace_request_withdraw", world.analyst, id=pending["id"])
    with pytest.raises(tk.ObjectNotFound):
        call("hhs_marketplace_use_record_show", world.analyst, id=pending["id"])
    withdrawn = _approved(world)
    call("hhs_marketplace_request_withdraw", world.analyst, id=withdrawn["id"])
    record = call("hhs_marketplace_use_record_show", world.analyst, id=withdrawn["id"])
    assert record["change"] == "withdrawn" and record["created_by"] == world.analyst["name"]
    expiring = _approved(world)
    call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(31))
    record = call("hhs_marketplace_use_record_show", world.analyst, id=expiring["id"])
    assert (record["change"], record["created_by"], record["content"]["status"]) == ("expired", "system", "expired")


def test_readers_are_the_requester_the_stewards_and_the_board(world, board_member):
    request = _approved(world)
    for reader in (world.analyst, world.steward, world.cms_admin, board_member, world.sysadmin):
        assert call("hhs_marketplace_use_record_show", reader, id=request["id"])["version"] == 1
    with pytest.raises(tk.NotAuthorized):
        call("hhs_marketplace_use_record_show", world.outsider, id=request["id"])
    with pytest.raises(tk.ValidationError) as e:
        call("hhs_marketplace_use_record_show", world.analyst, id=request["id"], version=7)
    assert "version" in e.value.error_dict
    with pytest.raises(tk.ValidationError) as e:
        call("hhs_marketplace_use_record_show", world.analyst, id=request["id"], version="first")
    assert "version" in e.value.error_dict


def test_the_board_exports_every_version_as_csv(app, world, board_member):
    request = _approved(world)
    call("hhs_marketplace_request_extend", world.steward, id=request["id"], end_date=in_days(50))
    rows = call("hhs_marketplace_use_record_export", board_member)
    assert rows["count"] == 2 and [r["change"] for r in rows["results"]] == ["approved", "extended"]
    for person in (world.analyst, world.steward):
        with pytest.raises(tk.NotAuthorized):
            call("hhs_marketplace_use_record_export", person)
    token = helpers.call_action("api_token_create", user=board_member["name"], name="t")["token"]
    response = app.get("/marketplace/records.csv", headers={"Authorization": token})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["request"], r["version"], r["grant_end"]) for r in table] == [
        (request["id"], "1", in_days(30)),
        (request["id"], "2", in_days(50)),
    ]
    assert table[0]["components"] == "Restricted dataset 1; Inpatient hospitals"
    assert world.secret["name"] not in response.get_data(as_text=True)
    other = helpers.call_action("api_token_create", user=world.steward["name"], name="t")["token"]
    assert app.get("/marketplace/records.csv", headers={"Authorization": other}).status_code == 403


def test_the_record_page_prints_and_is_listed_on_the_request(app, world, board_member):
    request = _approved(world)
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    headers = {"Authorization": token}
    page = app.get(f"/marketplace/requests/{request['id']}", headers=headers).body
    assert f"/marketplace/requests/{request['id']}/record?version=1" in page
    record = app.get(f"/marketplace/requests/{request['id']}/record", headers=headers)
    assert record.status_code == 200
    body = record.body
    assert "Data-use record" in body and "Version 1 of 1: approved" in body and "record-print" in body
    assert "Use only for the stated purpose" in body and "Restricted dataset 1" in body
    assert world.secret["title"] not in body
    outsider = helpers.call_action("api_token_create", user=world.outsider["name"], name="t")["token"]
    assert (
        app.get(f"/marketplace/requests/{request['id']}/record", headers={"Authorization": outsider}).status_code == 403
    )
    pending = ask(world, product=world.product["name"], purpose="Another study")
    call("hhs_marketplace_request_withdraw", world.analyst, id=request["id"])
    assert app.get(f"/marketplace/requests/{pending['id']}/record", headers=headers).status_code == 404
