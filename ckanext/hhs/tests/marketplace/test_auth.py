"""Who may do what: anonymous, an outsider, the requester, the owning division's steward and admin,
and a sysadmin."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from .conftest import ask

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def allowed(action: str, user: dict | None, **data) -> bool:
    context = {"user": user["name"] if user else "", "ignore_auth": False}
    try:
        tk.check_access(action, context, data)
    except tk.NotAuthorized:
        return False
    return True


@pytest.fixture
def request_(world):
    return ask(world)


@pytest.mark.parametrize(
    ("who", "show", "approve", "withdraw"),
    [
        (None, False, False, False),
        ("outsider", False, False, False),
        ("analyst", True, False, True),
        ("steward", True, True, False),
        ("cms_admin", True, True, False),
        ("sysadmin", True, True, True),  # CKAN lets sysadmins do everything
    ],
)
def test_request_permissions(world, request_, who, show, approve, withdraw):
    user = getattr(world, who) if who else None
    assert allowed("hhs_marketplace_request_show", user, id=request_["id"]) is show
    for step in ("approve", "reject", "ask_info"):
        assert allowed(f"hhs_marketplace_request_{step}", user, id=request_["id"]) is approve
    assert allowed("hhs_marketplace_request_withdraw", user, id=request_["id"]) is withdraw


def test_a_steward_cannot_decide_their_own_request(world):
    own = ask(world, user=world.steward)
    assert not allowed("hhs_marketplace_request_approve", world.steward, id=own["id"])
    assert allowed("hhs_marketplace_request_approve", world.cms_admin, id=own["id"])


def test_queue_and_lists_show_nobody_elses_requests(world, request_):
    def listed(user, scope):
        return helpers.call_action(
            "hhs_marketplace_request_list", context={"user": user["name"], "ignore_auth": False}, scope=scope
        )["count"]

    assert listed(world.outsider, "mine") == 0 and listed(world.outsider, "queue") == 0
    assert listed(world.analyst, "mine") == 1 and listed(world.analyst, "queue") == 0
    assert listed(world.steward, "queue") == 1 and listed(world.steward, "mine") == 0
    assert listed(world.sysadmin, "queue") == 1
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("hhs_marketplace_request_list", context={"user": "", "ignore_auth": False})


def test_other_permissions(world):
    assert not allowed("hhs_marketplace_request_create", None, product=world.product["name"])
    assert allowed("hhs_marketplace_request_create", world.outsider, product=world.product["name"])
    for action in ("hhs_marketplace_grants_expire", "hhs_marketplace_licence_remind"):
        assert not allowed(action, world.steward)
        assert allowed(action, world.sysadmin)
    assert allowed("hhs_marketplace_licence_create", world.steward, holder="cms")
    assert not allowed("hhs_marketplace_licence_create", world.analyst, holder="cms")
    assert not allowed("hhs_marketplace_licence_search", None)
    assert allowed("hhs_marketplace_licence_search", world.outsider)
    assert not allowed("hhs_marketplace_need_create", None)
    assert allowed("hhs_marketplace_product_usage", None, id=world.product["name"])
    need = helpers.call_action(
        "hhs_marketplace_need_create", context={"user": world.analyst["name"]}, title="x", description="y"
    )
    assert allowed("hhs_marketplace_need_close", world.analyst, id=need["id"])
    assert not allowed("hhs_marketplace_need_close", world.steward, id=need["id"])
    assert not allowed("hhs_marketplace_metrics", None)
