"""A product whose components are all open to HHS staff opens in one step: no purpose, end date or
terms asked, still recorded as a request, decided at once."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from .conftest import ask, make_product

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _call(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


@pytest.fixture
def open_product(world):
    return make_product(world.cms, world.sysadmin, name="open-hospitals", component_datasets=[world.public["name"]])


def test_one_call_with_the_product_alone_gives_recorded_access(world, open_product):
    made = _call("hhs_marketplace_request_create", world.analyst, product=open_product["name"])
    assert made["status"] == "approved" and made["purpose"] == "" and made["granted"]
    assert made["end_date"] == (dt.date.today() + dt.timedelta(days=180)).isoformat()  # the product's longest
    shown = _call("hhs_marketplace_request_show", world.analyst, id=made["id"])
    assert shown["terms_accepted"] == "" and not shown["second_level"]
    assert [(e["action"], e["user"]) for e in shown["events"]] == [
        ("submit", world.analyst["name"]),
        ("approve", shown["events"][1]["user"]),
    ]
    assert shown["decided_by"] not in (None, world.analyst["name"], world.steward["name"])  # the site, at once
    # Asking again while the access lasts answers with the same request.
    again = _call("hhs_marketplace_request_create", world.analyst, product=open_product["name"])
    assert again["id"] == made["id"] and again["duplicate"]


def test_a_product_with_a_private_component_still_asks_for_purpose_and_terms(world):
    with pytest.raises(tk.ValidationError) as e:
        _call("hhs_marketplace_request_create", world.analyst, product=world.product["name"], accept_terms=True)
    assert e.value.error_dict == {"purpose": ["Missing value"]}
    with pytest.raises(tk.ValidationError) as e:
        ask(world, accept_terms=False)
    assert "accept_terms" in e.value.error_dict


def test_a_product_whose_only_component_was_made_private_is_decided_again(world, open_product):
    helpers.call_action("package_patch", id=world.public["id"], private=True)
    made = ask(world, product=open_product["name"])
    assert made["status"] == "submitted"


def test_the_page_offers_one_button_and_leads_back_to_the_product(app, world, open_product, mail_server):
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    headers = {"Authorization": token}
    page = app.get(f"/marketplace/{open_product['name']}", headers=headers).body
    assert "Get access now" in page and 'name="purpose"' not in page and 'name="accept_terms"' not in page
    response = app.post(f"/marketplace/{open_product['name']}/request", headers=headers, follow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/marketplace/{open_product['name']}")
    page = app.get(f"/marketplace/{open_product['name']}", headers=headers).body
    assert "Your access" in page and "Get access now" not in page
    # The full form stays for the product with a restricted component.
    assert 'name="purpose"' in app.get(f"/marketplace/{world.product['name']}", headers=headers).body
