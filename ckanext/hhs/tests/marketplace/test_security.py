"""Regressions of the security probe (2026-11-26): each test failed on the code the probe found.

Anonymous callers are built as CKAN 2.11 builds them for the API (an AnonymousUser object, which is
truthy), and the API is also called for real without a token."""

from __future__ import annotations

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.tests import helpers

from .conftest import ask, in_days

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
