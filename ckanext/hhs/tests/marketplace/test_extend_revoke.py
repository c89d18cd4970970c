"""A steward extends or withdraws a grant with one action each, and the requester is told by mail
(issue #27, step 3)."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from .conftest import ask, in_days
from .test_mail import smtp_sink  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def act(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


def subjects(sink) -> list[str]:
    return [str(make_header(decode_header(m["Subject"]))) for m in sink]


@pytest.fixture
def approved(world):
    request = ask(world)
    act("hhs_marketplace_request_approve", world.steward, id=request["id"])
    return request


def test_steward_extends_the_grant_and_the_requester_is_told(world, approved, smtp_sink):  # noqa: F811
    with pytest.raises(tk.NotAuthorized):
        act("hhs_marketplace_request_extend", world.analyst, id=approved["id"], end_date=in_days(60))
    for end in (in_days(10), in_days(400)):  # not later than now; past the product's 180 days
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_marketplace_request_extend", world.steward, id=approved["id"], end_date=end)
        assert "end_date" in e.value.error_dict
    shown = act("hhs_marketplace_request_extend", world.steward, id=approved["id"], end_date=in_days(60),
                message="Extended for the second season.")  # fmt: skip
    assert shown["end_date"] == in_days(60)
    assert [g["end_date"] for g in shown["grants"]] == [in_days(60)]
    assert shown["events"][-1]["action"] == "extend"
    assert act("hhs_marketplace_grant_list", world.analyst)[0]["end_date"] == in_days(60)
    assert "Access extended: Medicare claims for research" in subjects(smtp_sink)


def test_steward_withdraws_the_grant_at_once_and_the_requester_is_told(world, approved, smtp_sink):  # noqa: F811
    with pytest.raises(tk.ValidationError) as e:
        act("hhs_marketplace_request_revoke", world.steward, id=approved["id"])
    assert "message" in e.value.error_dict
    shown = act("hhs_marketplace_request_revoke", world.steward, id=approved["id"], message="Project ended early.")
    assert shown["status"] == "withdrawn" and shown["grants"][0]["revoked"]
    with pytest.raises(tk.NotAuthorized):
        act("package_show", world.analyst, id=world.secret["id"])
    assert "Access withdrawn: Medicare claims for research" in subjects(smtp_sink)
    with pytest.raises(tk.ValidationError):  # once withdrawn, nothing to extend
        act("hhs_marketplace_request_extend", world.steward, id=approved["id"], end_date=in_days(60))


def test_request_page_offers_the_steward_both_forms(app, world, approved):
    token = helpers.call_action("api_token_create", user=world.steward["name"], name="t")["token"]
    page = app.get(f"/marketplace/requests/{approved['id']}", headers={"Authorization": token}).body
    assert f"/marketplace/requests/{approved['id']}/extend" in page
    assert f"/marketplace/requests/{approved['id']}/revoke" in page
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    page = app.get(f"/marketplace/requests/{approved['id']}", headers={"Authorization": token}).body
    assert "/extend" not in page and "/revoke" not in page
