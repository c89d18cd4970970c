"""Regressions of the security probe (2026-11-26): each test failed on the code the probe found.

Anonymous callers are built as CKAN 2.11 builds them for the API (an AnonymousUser object, which is
truthy), and the API is also called for real without a token."""

from __future__ import annotations

import json

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.tests import helpers

from .conftest import ask, in_days, make_product

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def anonymous() -> dict:
    return {"user": "", "auth_user_obj": model.AnonymousUser(), "ignore_auth": False}


def call(action: str, user: dict | None, **data):
    context = {"user": user["name"], "ignore_auth": False} if user else anonymous()
    return helpers.call_action(action, context=context, **data)


def can_see(user: dict, dataset: dict) -> bool:
    try:
        call("package_show", user, id=dataset["id"])
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True


@pytest.fixture
def staff_data(world):
    licence = call(
        "hhs_marketplace_licence_create",
        world.steward,
        vendor="Definitive Healthcare",
        product="Hospital View",
        contract_number="75D30124P00987",
        holder="cms",
        cost="240000",
        start_date=in_days(-10),
        end_date=in_days(300),
    )
    need = call("hhs_marketplace_need_create", world.analyst, title="Hospital bed capacity", description="By facility")
    return {"licence": licence["id"], "need": need["id"]}


# ---------------------------------------------------------------- 1. anonymous API reads


STAFF_READS = [
    ("hhs_marketplace_licence_search", {}),
    ("hhs_marketplace_licence_show", {"id": "{licence}"}),
    ("hhs_marketplace_need_list", {}),
    ("hhs_marketplace_need_show", {"id": "{need}"}),
    ("hhs_marketplace_metrics", {"division": "cms"}),
    ("hhs_marketplace_request_list", {}),
]


@pytest.mark.parametrize(("action", "data"), STAFF_READS)
def test_anonymous_action_calls_are_refused(world, staff_data, action, data):
    data = {k: v.format(**staff_data) for k, v in data.items()}
    with pytest.raises(tk.NotAuthorized):
        call(action, None, **data)
    call(action, world.outsider, **data)  # any logged-in staff may


@pytest.mark.parametrize(("action", "data"), STAFF_READS)
def test_anonymous_api_calls_get_403(app, world, staff_data, action, data):
    data = {k: v.format(**staff_data) for k, v in data.items()}
    for response in (
        app.get(f"/api/3/action/{action}", query_string=data),
        app.post(f"/api/3/action/{action}", json=data),
    ):
        assert response.status_code == 403, response.body
        assert "Definitive" not in response.body and "Hospital bed" not in response.body


def test_every_marketplace_auth_function_but_usage_refuses_anonymous(world, staff_data):
    request = ask(world)
    refs = (request["id"], staff_data["licence"], staff_data["need"], "none")
    allowed = []
    for name in authz.auth_functions_list():
        if not name.startswith("hhs_marketplace_"):
            continue
        for ref in refs:
            try:
                tk.check_access(name, anonymous(), {"id": ref, "holder": "cms", "product": world.product["name"]})
            except tk.NotAuthorized:
                continue
            allowed.append(name)
            break
    assert allowed == ["hhs_marketplace_product_usage"]


# ---------------------------------------------------------------- 2. private component names in the index


def _search(user: dict | None, **data) -> dict:
    return call("package_search", user, include_private=True, **data)


@pytest.mark.parametrize("who", [None, "outsider", "analyst"])
def test_search_never_returns_private_component_names(world, who):
    user = getattr(world, who) if who else None
    secret = world.secret["name"]
    for fl in ("data_dict", "validated_data_dict", "data_dict validated_data_dict", "*"):
        found = _search(user, q=f"name:{world.product['name']}", fl=fl)
        assert found["count"] == 1, fl
        assert secret not in json.dumps(found), fl
    # (Unquoted, the words of the name match the product's title: that is the title, not the field.)
    for q in (f'"{secret}"', f"component_datasets:{secret}", f"extras_component_datasets:{secret}"):
        assert _search(user, q=q, fq="+dataset_type:data-product")["count"] == 0, q
    assert secret not in json.dumps(_search(user, q="*:*", use_default_schema=True))


def test_search_api_without_a_token_returns_no_private_component_names(app, world):
    for fl in ("data_dict", "validated_data_dict"):
        response = app.get(
            "/api/3/action/package_search", query_string={"q": f"name:{world.product['name']}", "fl": fl}
        )
        assert response.status_code == 200 and world.product["name"] in response.body
        assert world.secret["name"] not in response.body


def test_package_show_still_gives_each_viewer_the_components_they_may_see(app, world):
    both = [world.secret["name"], world.public["name"]]
    # Twice: the second answer may come from the index, which holds no component names.
    for _ in range(2):
        assert call("package_show", world.steward, id=world.product["name"])["component_datasets"] == both
        assert call("package_show", world.outsider, id=world.product["name"])["component_datasets"] == [
            world.public["name"]
        ]
        assert call("package_show", None, id=world.product["name"])["component_datasets"] == [world.public["name"]]
    shown = call("package_show", None, id=world.product["name"], use_default_schema=True)
    assert world.secret["name"] not in json.dumps(shown)
    response = app.get("/api/3/action/package_show", query_string={"id": world.product["name"]})
    assert world.public["name"] in response.body and world.secret["name"] not in response.body
    # Provisioning reads the components through package_show too: approval still grants the private one.
    request = ask(world)
    call("hhs_marketplace_request_approve", world.steward, id=request["id"])
    assert can_see(world.analyst, world.secret)


# ---------------------------------------------------------------- 3. access outliving two grants


def _two_approved_requests(world) -> tuple[dict, dict]:
    first = ask(world, end_date=in_days(20))
    call("hhs_marketplace_request_approve", world.steward, id=first["id"])
    second = ask(world, end_date=in_days(60))  # an approved request is not open: a second one is taken
    assert second["id"] != first["id"]
    call("hhs_marketplace_request_approve", world.steward, id=second["id"])
    assert can_see(world.analyst, world.secret)
    return first, second


def test_withdrawing_both_of_two_approved_requests_ends_access(world):
    first, second = _two_approved_requests(world)
    call("hhs_marketplace_request_withdraw", world.analyst, id=first["id"])
    assert can_see(world.analyst, world.secret)  # the second request still needs it
    call("hhs_marketplace_request_withdraw", world.analyst, id=second["id"])
    assert not can_see(world.analyst, world.secret)
    assert call("package_collaborator_list", world.sysadmin, id=world.secret["id"]) == []


@pytest.mark.parametrize("order", ["withdraw_second_first", "both_expire_apart", "both_expire_together"])
def test_expiry_of_both_of_two_approved_requests_ends_access(world, order):
    first, second = _two_approved_requests(world)
    if order == "withdraw_second_first":
        call("hhs_marketplace_request_withdraw", world.analyst, id=second["id"])
        assert can_see(world.analyst, world.secret)
        call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(30))
    elif order == "both_expire_apart":
        call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(30))
        assert can_see(world.analyst, world.secret)  # the first ended, the second still runs
        call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(70))
    else:
        call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(70))
    assert not can_see(world.analyst, world.secret)


def test_a_collaboration_from_before_the_marketplace_survives_two_grants(world):
    call(
        "package_collaborator_create",
        world.sysadmin,
        id=world.secret["id"],
        user_id=world.analyst["id"],
        capacity="editor",
    )
    first, second = _two_approved_requests(world)
    call("hhs_marketplace_request_withdraw", world.analyst, id=first["id"])
    call("hhs_marketplace_request_withdraw", world.analyst, id=second["id"])
    call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(70))
    collaborators = call("package_collaborator_list", world.sysadmin, id=world.secret["id"])
    assert [(c["user_id"], c["capacity"]) for c in collaborators] == [(world.analyst["id"], "editor")]


def test_the_expiry_job_removes_a_collaboration_left_behind_by_ended_grants(world):
    """Data written by the old code: the second grant was marked preexisting, so access stayed."""
    from ckanext.hhs.marketplace import model as mm

    first, second = _two_approved_requests(world)
    model.Session.query(mm.Grant).filter(mm.Grant.request_id == second["id"]).update({"preexisting": True})
    model.Session.commit()
    call("hhs_marketplace_request_withdraw", world.analyst, id=first["id"])
    call("hhs_marketplace_request_withdraw", world.analyst, id=second["id"])
    assert can_see(world.analyst, world.secret)  # what the probe saw
    assert call("hhs_marketplace_grants_expire", world.sysadmin)["removed"] == 1
    assert not can_see(world.analyst, world.secret)
    # Given again by hand afterwards: the job leaves it.
    call(
        "package_collaborator_create",
        world.sysadmin,
        id=world.secret["id"],
        user_id=world.analyst["id"],
        capacity="member",
    )
    assert call("hhs_marketplace_grants_expire", world.sysadmin)["removed"] == 0
    assert can_see(world.analyst, world.secret)


# ---------------------------------------------------------------- 4. licences handed to another division


def _licence(world) -> dict:
    return call(
        "hhs_marketplace_licence_create",
        world.steward,
        vendor="Definitive Healthcare",
        product="Hospital View",
        holder="cms",
        start_date=in_days(-10),
        end_date=in_days(300),
    )


def test_a_holder_steward_cannot_hand_a_licence_to_another_division(world):
    licence = _licence(world)
    with pytest.raises(tk.NotAuthorized):
        call("hhs_marketplace_licence_update", world.steward, id=licence["id"], holder="cdc")
    assert call("hhs_marketplace_licence_show", world.steward, id=licence["id"])["holder"]["name"] == "cms"
    # Naming the current holder, or a division the caller also stewards, is fine.
    call("hhs_marketplace_licence_update", world.steward, id=licence["id"], holder="cms", seats=5)
    helpers.call_action("organization_member_create", id="cdc", username=world.steward["name"], role="editor")
    moved = call("hhs_marketplace_licence_update", world.steward, id=licence["id"], holder="cdc")
    assert moved["holder"]["name"] == "cdc"


def test_handing_a_licence_over_through_the_api_is_refused(app, world):
    licence = _licence(world)
    token = helpers.call_action(
        "api_token_create", context={"user": world.steward["name"]}, user=world.steward["name"], name="t"
    )["token"]
    response = app.post(
        "/api/3/action/hhs_marketplace_licence_update",
        json={"id": licence["id"], "holder": "cdc"},
        headers={"Authorization": token},
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- 5. bad input: errors naming the field


@pytest.fixture
def token(world) -> dict:
    made = helpers.call_action(
        "api_token_create", context={"user": world.steward["name"]}, user=world.steward["name"], name="t"
    )
    return {"Authorization": made["token"]}


BAD_INPUT = [
    ("hhs_marketplace_request_create", {"duration_days": 10**12}, "duration_days"),
    ("hhs_marketplace_request_create", {"purpose": "a\u0000b"}, "purpose"),
    ("hhs_marketplace_request_create", {"product": "\u0000"}, "product"),
    ("hhs_marketplace_request_create", {"datasets": ["\u0000"]}, "datasets"),
    ("hhs_marketplace_request_list", {"offset": 10**30}, "offset"),
    ("hhs_marketplace_licence_search", {"offset": 10**30}, "offset"),
    ("hhs_marketplace_licence_search", {"q": "x\u0000"}, "q"),
    ("hhs_marketplace_need_list", {"offset": 10**19}, "offset"),
    ("hhs_marketplace_licence_create", {"cost": "NaN"}, "cost"),
    ("hhs_marketplace_licence_create", {"cost": "Infinity"}, "cost"),
    ("hhs_marketplace_licence_create", {"seats": 10**30}, "seats"),
    ("hhs_marketplace_licence_create", {"holder": "\u0000"}, "holder"),
    ("hhs_marketplace_licence_create", {"end_date": "99999-01-01"}, "end_date"),
    ("hhs_marketplace_request_show", {"id": "\u0000"}, "id"),
    ("hhs_marketplace_need_show", {"id": "\u0000"}, "id"),
    ("hhs_marketplace_licence_show", {"id": "\u0000"}, "id"),
    ("hhs_marketplace_metrics", {"division": "\u0000"}, "division"),
    ("hhs_marketplace_need_create", {"title": "\u0000"}, "title"),
]


@pytest.mark.parametrize(("action", "data", "field"), BAD_INPUT)
def test_bad_input_is_a_409_naming_the_field(app, world, token, action, data, field):
    base = {
        "hhs_marketplace_request_create": {
            "product": world.product["name"],
            "purpose": "x",
            "accept_terms": True,
        },
        "hhs_marketplace_licence_create": {
            "vendor": "V",
            "product": "P",
            "holder": "cms",
            "start_date": in_days(-1),
            "end_date": in_days(300),
        },
        "hhs_marketplace_need_create": {"description": "d"},
    }.get(action, {})
    response = app.post(f"/api/3/action/{action}", json={**base, **data}, headers=token)
    assert response.status_code == 409, response.body
    assert field in response.json["error"], response.json


def test_a_product_that_allows_any_number_of_days_does_not_overflow(world):
    helpers.call_action("package_patch", id=world.product["id"], max_access_days=10**12)
    with pytest.raises(tk.ValidationError) as e:
        ask(world, end_date=None, duration_days=10**12)
    assert "at most 36500 days" in str(e.value.error_dict["duration_days"])  # a century at most
    assert ask(world, end_date=None, duration_days=3650)["status"] == "submitted"


@pytest.mark.parametrize(
    "path",
    [
        "/marketplace?page=abc",
        "/marketplace?page=99999999999999999999",
        "/marketplace?page=-3",
        "/marketplace?sort=foo",
        "/marketplace?organization=%5C",
        "/marketplace?q=%7B!",
        "/marketplace?q=%00",
    ],
)
def test_bad_search_addresses_get_the_page(app, world, path):
    response = app.get(path)
    assert response.status_code == 200
    assert "Medicare claims for research" in response.body or "search" in response.body.lower()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/marketplace/%00", 404),
        ("/marketplace/requests/%00", 404),
        ("/marketplace/needs/%00", 404),
        ("/marketplace/licences/%00", 404),
        ("/marketplace/licences/%00/edit", 404),
        ("/marketplace/requests?status=nonsense", 400),
        ("/marketplace/licences?division=%00", 400),
    ],
)
def test_bad_object_addresses_get_404_or_400(app, world, token, path, status):
    assert app.get(path, headers=token).status_code == status


def test_linking_a_licence_to_a_product_one_may_not_see_answers_as_for_a_missing_one(world):
    hidden = make_product(world.cdc, world.sysadmin, name="cdc-private-product", private=True)
    licence = _licence(world)
    errors = []
    for ref in (hidden["name"], "no-such-product"):
        with pytest.raises(tk.ValidationError) as e:
            call("hhs_marketplace_licence_update", world.steward, id=licence["id"], data_product=ref)
        errors.append(str(e.value.error_dict["data_product"]).replace(ref, "REF"))
    assert errors[0] == errors[1]
    linked = call("hhs_marketplace_licence_update", world.steward, id=licence["id"], data_product=world.product["name"])
    assert linked["data_product"]["name"] == world.product["name"]
