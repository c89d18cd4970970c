"""The request names what it asks for (issue #27, step 2): a product lists its own division's restricted
components by the title the division chose for listings, with access level and PHI class, without their
own title, name, id or other metadata."""

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


def list_as(world, title: str) -> dict:
    helpers.call_action("package_patch", id=world.secret["id"], listing_title=title)
    return act("hhs_marketplace_component_list", world.analyst, id=world.product["name"])[0]


def test_restricted_components_are_listed_by_their_listing_title_only(world):
    helpers.call_action("package_patch", id=world.secret["id"], listing_title="Fee-for-service claims extract")
    listed = act("hhs_marketplace_component_list", world.analyst, id=world.product["name"])
    assert listed == [
        {
            "ref": "#1",
            "title": "Fee-for-service claims extract",
            "private": True,
            "restricted": True,
            "deleted": False,
            "access_level": "non-public",
            "phi_classification": world.secret.get("phi_classification") or "",
        },
        {
            "ref": world.public["name"],
            "name": world.public["name"],
            "title": "Inpatient hospitals",
            "private": False,
            "restricted": False,
            "deleted": False,
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


def test_without_a_listing_title_a_restricted_component_is_named_by_its_place(world):
    assert list_as(world, "")["title"] == "Restricted dataset 1"
    assert list_as(world, "  <b>CMS</b> extract ")["title"] == "<b>CMS</b> extract"  # escaped where shown


def test_a_deleted_component_is_listed_only_to_those_who_may_still_open_it(world):
    helpers.call_action("package_delete", id=world.public["id"])
    assert [c["ref"] for c in act("hhs_marketplace_component_list", world.analyst, id=world.product["name"])] == ["#1"]
    listed = act("hhs_marketplace_component_list", world.steward, id=world.product["name"])
    assert [(c["name"], c["deleted"]) for c in listed] == [(world.secret["name"], False), (world.public["name"], True)]


def test_the_requester_asks_for_a_restricted_component_by_its_reference(app, world):
    helpers.call_action("package_patch", id=world.secret["id"], listing_title="Fee-for-service claims extract")
    request = ask(world, datasets=["#1"])
    # The requester sees what they asked for by its listing title, not "all components", not its name.
    mine = act("hhs_marketplace_request_show", world.analyst, id=request["id"])
    assert mine["datasets"] == [{"title": "Fee-for-service claims extract", "restricted": True}]
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    page = app.get(f"/marketplace/requests/{request['id']}", headers={"Authorization": token}).body
    assert "Fee-for-service claims extract" in page and "All components" not in page
    assert world.secret["name"] not in page and "Medicare claims (identifiable)" not in page
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


def test_product_page_names_the_restricted_component_by_its_listing_title_to_staff_only(app, world):
    helpers.call_action("package_patch", id=world.secret["id"], listing_title="Claims <extract>")
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    page = app.get(f"/marketplace/{world.product['name']}", headers={"Authorization": token}).body
    assert "Claims &lt;extract&gt;" in page and "Restricted: access on request" in page
    assert "Medicare claims (identifiable)" not in page
    assert 'value="#1"' in page and world.secret["name"] not in page and world.secret["id"] not in page
    anonymous = app.get(f"/marketplace/{world.product['name']}").body
    assert "Claims &lt;extract&gt;" not in anonymous and "Medicare claims (identifiable)" not in anonymous
