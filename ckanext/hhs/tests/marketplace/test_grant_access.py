"""The grant leads to the data (issue #27, step 1): the caller's live grants as an action, the grant on
the dataset page and the product page (instead of the request form), the data's links in the approval
mail."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from .conftest import ask
from .test_grant_end import end_grant
from .test_mail import smtp_sink  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def act(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


@pytest.fixture
def approved(world):
    request = ask(world)
    act("hhs_marketplace_request_approve", world.steward, id=request["id"])
    return request


def test_grant_list_names_the_callers_live_grants_only(world, approved):
    grants = act("hhs_marketplace_grant_list", world.analyst, dataset=world.secret["name"])
    assert [(g["request"], g["dataset"]["name"], g["product"]["name"], g["end_date"]) for g in grants] == [
        (approved["id"], world.secret["name"], world.product["name"], approved["end_date"])
    ]
    assert act("hhs_marketplace_grant_list", world.analyst, product=world.product["id"]) == grants
    assert act("hhs_marketplace_grant_list", world.analyst, dataset=world.public["name"]) == []
    assert act("hhs_marketplace_grant_list", world.outsider) == []
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("hhs_marketplace_grant_list", context={"user": "", "ignore_auth": False})
    end_grant(approved["id"], "expired")
    assert act("hhs_marketplace_grant_list", world.analyst) == []


def _login(world) -> dict:
    return {"Authorization": helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]}


def test_product_page_shows_the_grant_not_the_form(app, world, approved):
    page = app.get(f"/marketplace/{world.product['name']}", headers=_login(world)).body
    assert 'id="your-access"' in page
    assert f'href="/dataset/{world.secret["name"]}"' in page
    assert f'through request <a href="/marketplace/requests/{approved["id"]}">{approved["id"][:8]}</a>' in page
    assert 'id="req-purpose"' not in page
    end_grant(approved["id"], "withdrawn")
    page = app.get(f"/marketplace/{world.product['name']}", headers=_login(world)).body
    assert 'id="your-access"' not in page and 'id="req-purpose"' in page


def test_dataset_page_notice_says_until_when_and_through_what(app, world, approved):
    page = app.get(f"/dataset/{world.secret['name']}", headers=_login(world)).body
    assert "You have access until" in page
    assert f'through request <a href="/marketplace/requests/{approved["id"]}">' in page
    assert f'for <a href="/marketplace/{world.product["name"]}">Medicare claims for research</a>' in page
    token = helpers.call_action("api_token_create", user=world.outsider["name"], name="t")["token"]
    page = app.get(f"/dataset/{world.secret['name']}", headers={"Authorization": token}, status=404).body
    assert "You have access" not in page


def test_approval_mail_links_to_the_data(world, smtp_sink):  # noqa: F811
    request = ask(world)
    act("hhs_marketplace_request_approve", world.steward, id=request["id"])
    granted = [m for m in smtp_sink if "Access granted" in str(m["Subject"])]
    assert len(granted) == 1
    body = granted[0].get_payload(decode=True).decode()
    assert f"/dataset/{world.secret['name']}" in body
    assert f"/marketplace/{world.product['name']}" in body
