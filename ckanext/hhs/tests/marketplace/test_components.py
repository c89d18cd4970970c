"""The request names what it asks for (issue #27, step 2): a product lists its own division's restricted
components by their title, access level and PHI class, without their name, id or other metadata."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.hhs.tests import factories

from .conftest import ask, make_product

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def act(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


def test_restricted_components_are_listed_by_title_only(world):
    listed = act("hhs_marketplace_component_list", world.analyst, id=world.product["name"])
    assert listed == [
        {
            "ref": "#1",
            "title": "Medicare claims (identifiable)",
            "private": True,
            "restricted": True,
            "access_level": "non-public",
            "phi_classification": world.secret.get("phi_classification") or "",
        },
        {
            "ref": world.public["name"],
            "name": world.public["name"],
            "title": "Inpatient hospitals",
            "private": False,
            "restricted": False,
            "access_level": world.public["access_level"],
            "phi_classification": world.public.get("phi_classification") or "",
        },
    ]
    # Its stewards see it as any dataset they may open.
    assert (
        act("hhs_marketplace_component_list", world.steward, id=world.product["name"])[0]["name"]
        == (world.secret["name"])
    )
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action(
            "hhs_marketplace_component_list", context={"user": "", "ignore_auth": False}, id=world.product["name"]
        )


def test_the_requester_asks_for_a_restricted_component_by_its_reference(world):
    request = ask(world, datasets=["#1"])
    shown = act("hhs_marketplace_request_show", world.steward, id=request["id"])
    assert [d["name"] for d in shown["datasets"]] == [world.secret["name"]]
    act("hhs_marketplace_request_approve", world.steward, id=request["id"])
    assert act("package_show", world.analyst, id=world.secret["id"])["private"] is True


def test_another_divisions_private_dataset_is_neither_listed_nor_requestable(world):
    other = factories.HhsDataset(
        name="cdc-private-registry",
        owner_org=world.cdc["id"],
        private=True,
        access_level="non-public",
        access_rights="HHS use only.",
    )
    product = make_product(world.cms, world.sysadmin, name="mixed", component_datasets=[other["name"]])
    assert act("hhs_marketplace_component_list", world.outsider, id=product["name"]) == []
    with pytest.raises(tk.ValidationError) as e:
        ask(world, user=world.outsider, product=product["name"], datasets=["#1"])
    assert "datasets" in e.value.error_dict


def test_product_page_names_the_restricted_component_to_staff_only(app, world):
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    page = app.get(f"/marketplace/{world.product['name']}", headers={"Authorization": token}).body
    assert "Medicare claims (identifiable)" in page and "Restricted: access on request" in page
    assert 'value="#1"' in page and world.secret["name"] not in page and world.secret["id"] not in page
    anonymous = app.get(f"/marketplace/{world.product['name']}").body
    assert "Medicare claims (identifiable)" not in anonymous
