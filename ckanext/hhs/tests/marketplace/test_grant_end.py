"""A grant ends the moment its end date passes or it is withdrawn, on every surface that opens the data:
the expiry job only tidies up (issue #23). Each test sets up the state the job has not yet cleaned:
the grant's collaboration is still there."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import roles
from ckanext.hhs.marketplace import model as mm
from ckanext.hhs.tests.lakehouse.conftest import cms_enrollment, write_delta

from .conftest import ask, in_days

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def act(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


def may(action: str, user: dict, **data) -> bool:
    try:
        act(action, user, **data)
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    except tk.ValidationError as e:  # the lakehouse query answers a refused table as a field error
        assert "sql" in e.error_dict, e.error_dict
        return False
    return True


@pytest.fixture
def granted(world, tmp_path, monkeypatch):
    """The analyst's approved request, with a file and a lakehouse table on the private dataset."""
    lake = tmp_path / "lake"
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", str(lake))
    path = write_delta(str(lake / "cms" / "claims"), cms_enrollment())
    sysadmin = {"name": world.sysadmin["name"]}
    table_res = act(
        "resource_create", sysadmin, package_id=world.secret["id"], url="https://example.com/t",
        name="Claims table", resource_kind="lakehouse",
    )  # fmt: skip
    table = act(
        "hhs_lakehouse_table_register", sysadmin, id=table_res["id"], table_uri=path, table_format="delta", queue=False
    )
    file_res = act("resource_create", sysadmin, package_id=world.secret["id"], url="https://example.com/claims.csv")
    request = ask(world)
    act("hhs_marketplace_request_approve", world.steward, id=request["id"])
    return {"request": request["id"], "table": table, "table_res": table_res, "file_res": file_res}


def end_grant(request_id: str, how: str) -> None:
    """What the database holds between the grant's end and the job's next run: a grant made 32 days
    ago, ended two days ago or withdrawn now, its collaboration still there."""
    request = model.Session.get(mm.AccessRequest, request_id)
    then = mm.now() - dt.timedelta(days=32)
    request.created = request.granted = request.modified = then
    for grant in model.Session.query(mm.Grant).filter_by(request_id=request_id):
        grant.created = then
        member = model.Session.query(model.PackageMember).filter_by(package_id=grant.package_id).one()
        member.modified = then
        if how == "expired":
            grant.end_date = request.end_date = dt.date.today() - dt.timedelta(days=2)
    if how == "withdrawn":  # the step after the status (or a crash between) has not removed it yet
        request.status, request.modified = "withdrawn", mm.now()
    model.Session.commit()


def surfaces(world, granted) -> dict[str, bool]:
    analyst = world.analyst
    found = act("package_search", analyst, q=f"name:{world.secret['name']}", include_private=True)["results"]
    return {
        "package_show": may("package_show", analyst, id=world.secret["id"]),
        "resource_show": may("resource_show", analyst, id=granted["file_res"]["id"]),
        "search": bool(found),
        "may_read": roles.may_read(analyst["name"], world.secret["id"]),
        "preview": may("hhs_lakehouse_preview", analyst, id=granted["table_res"]["id"]),
        "query": may("hhs_lakehouse_query", analyst, sql=f"SELECT count(*) FROM {granted['table']['sql_name']}"),
    }


def test_a_live_grant_opens_every_surface(world, granted):
    assert surfaces(world, granted) == dict.fromkeys(
        ("package_show", "resource_show", "search", "may_read", "preview", "query"), True
    )


@pytest.mark.parametrize("how", ["expired", "withdrawn"])
def test_an_ended_grant_closes_every_surface_before_the_job_runs(world, granted, how):
    end_grant(granted["request"], how)
    # The collaboration is still there: only the grant's end closes the data.
    assert model.Session.query(model.PackageMember).filter_by(package_id=world.secret["id"]).count() == 1
    assert surfaces(world, granted) == dict.fromkeys(
        ("package_show", "resource_show", "search", "may_read", "preview", "query"), False
    )


@pytest.mark.parametrize("how", ["expired", "withdrawn"])
def test_an_ended_grant_closes_the_download_and_the_page(app, world, granted, how):
    end_grant(granted["request"], how)
    headers = {"Authorization": helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]}
    dataset = f"/dataset/{world.secret['name']}"
    assert app.get(dataset, headers=headers).status_code in (403, 404)
    download = f"{dataset}/resource/{granted['file_res']['id']}/download"
    assert app.get(download, headers=headers, follow_redirects=False).status_code in (403, 404)


def test_the_grant_is_open_through_its_last_day(world, granted):
    request = model.Session.get(mm.AccessRequest, granted["request"])
    request.end_date = dt.date.today()
    for grant in model.Session.query(mm.Grant).filter_by(request_id=request.id):
        grant.end_date = request.end_date
    model.Session.commit()
    assert may("package_show", world.analyst, id=world.secret["id"])


def test_a_collaboration_made_outside_the_marketplace_outlives_the_grant(world, granted):
    # The steward adds the analyst by hand after the grant ended: that collaboration is the steward's.
    end_grant(granted["request"], "expired")
    act("package_collaborator_create", world.cms_admin, id=world.secret["id"], user_id=world.analyst["id"],
        capacity="member")  # fmt: skip
    assert may("package_show", world.analyst, id=world.secret["id"])


def test_another_live_grant_keeps_the_dataset_open(world, granted):
    end_grant(granted["request"], "withdrawn")
    product2 = helpers.call_action(
        "package_create",
        context={"user": world.sysadmin["name"]},
        **{**_product_fields(world), "name": "medicare-claims-2"},
    )
    second = ask(world, product=product2["name"], end_date=in_days(10))
    act("hhs_marketplace_request_approve", world.steward, id=second["id"])
    assert may("package_show", world.analyst, id=world.secret["id"])
    assert not may("package_show", ckan_factories.User(), id=world.secret["id"])


def _product_fields(world) -> dict:
    keep = ("type", "title", "notes", "owner_org", "product_status", "product_type", "access_terms", "cost_model",
            "standard_terms", "max_access_days")  # fmt: skip
    return {**{k: world.product[k] for k in keep}, "component_datasets": [world.secret["name"]]}
