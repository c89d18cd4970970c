"""No server path reaches anyone but sysadmins (issue #24): a table's location is named neutrally ("a
lakehouse table in CMS's storage") on the resource page, in package_show and in the lakehouse actions,
for anonymous visitors and for members of another division alike; saving what was shown keeps the
location; and anonymous visitors are told the truth about a registered table."""

from __future__ import annotations

import json
import os

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from .conftest import PLUGINS, act, lake_dataset, register

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _anonymous(name: str, **data):
    return helpers.call_action(
        name, context={"user": "", "auth_user_obj": model.AnonymousUser(), "ignore_auth": False}, **data
    )


def _paths(lake) -> list[str]:
    return [str(lake), os.path.realpath(lake)]


def test_pages_and_actions_name_tables_neutrally(app, people, lake, linked):
    url = f"/dataset/cms-enrollment/resource/{linked['cms']['id']}"
    for who in ("", "cdc-steward", "outsider"):  # anonymous, another division's editor, no division
        environ = {"REMOTE_USER": who} if who else {}
        page = app.get(url, extra_environ=environ)
        assert page.status_code == 200
        assert not any(p in page.body for p in _paths(lake)), who
        assert "not registered yet" not in page.body, who
        assert "cms_enrollment__cms_enrollment_table" in page.body and "beneficiaries" in page.body, who
        assert "a lakehouse table in" in page.body, who
        if who:
            shown = act("package_show", who, id="cms-enrollment")
            listed = act("hhs_lakehouse_table_list", who)
            table = act("hhs_lakehouse_table_show", who, id=linked["cms"]["id"])
        else:
            shown = _anonymous("package_show", id="cms-enrollment")
            listed = _anonymous("hhs_lakehouse_table_list")
            table = _anonymous("hhs_lakehouse_table_show", id=linked["cms"]["id"])
        for answer in (shown, listed, table):
            assert not any(p in json.dumps(answer) for p in _paths(lake)), who
        assert table["table_uri"] == f"a lakehouse table in {people['cms']['acronym']}'s storage"
        assert listed["count"] == (2 if who == "cdc-steward" else 1)  # the CDC dataset is private
    sysadmin = ckan_factories.Sysadmin()["name"]
    real = act("hhs_lakehouse_table_show", sysadmin, id=linked["cms"]["id"])["table_uri"]
    assert real == str(lake / "cms" / "enrollment")
    assert act("resource_show", sysadmin, id=linked["cms"]["id"])["table_uri"] == real


def test_saving_what_was_shown_keeps_the_location(app, people, lake, linked):
    sysadmin = ckan_factories.Sysadmin()["name"]
    resource_id = linked["cms"]["id"]
    real = act("resource_show", sysadmin, id=resource_id)["table_uri"]
    act("resource_patch", "cms-steward", id=resource_id, description="Enrollment by state.")
    act("package_patch", "cms-steward", id="cms-enrollment", notes="New notes.")
    dataset = act("package_show", "cms-steward", id="cms-enrollment")
    helpers.call_action("package_update", context={"user": "cms-steward", "ignore_auth": False}, **dataset)
    assert act("resource_show", sysadmin, id=resource_id)["table_uri"] == real
    table = act("hhs_lakehouse_table_show", sysadmin, id=resource_id)
    assert (table["table_uri"], table["status"]) == (real, "ok")
    assert act("resource_show", sysadmin, id=resource_id)["description"] == "Enrollment by state."


def test_errors_name_no_path_but_to_sysadmins(people, lake):
    missing = str(lake / "cms" / "nothing")
    _, resource = lake_dataset(people["cms"], "missing", "delta")
    assert register("cms-steward", resource, missing, "delta")["status"] == "error"
    for user in ("cms-steward", "analyst"):
        table = act("hhs_lakehouse_table_show", user, id=resource["id"])
        assert table["error"] and not any(p in table["error"] for p in _paths(lake)), table["error"]
        assert "[lakehouse storage]" in table["error"]
    refreshed = act("hhs_lakehouse_table_refresh", "cms-steward", id=resource["id"], queue=False)
    assert not any(p in json.dumps(refreshed) for p in _paths(lake))
    sysadmin = ckan_factories.Sysadmin()["name"]
    assert os.path.realpath(missing) in act("hhs_lakehouse_table_show", sysadmin, id=resource["id"])["error"]
