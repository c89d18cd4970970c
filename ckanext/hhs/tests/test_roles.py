"""Who holds which role where (ckanext/hhs/roles.py): a user's divisions, with the role held in each."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import roles
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def test_memberships_are_the_active_divisions_with_the_role_held_by_title():
    user = ckan_factories.User()

    def held(capacity: str) -> list[dict[str, str]]:
        return [{"name": user["name"], "capacity": capacity}]

    cms = factories.Division(name="cms", title="Centers for Medicare", users=held("admin"))
    cdc = factories.Division(name="cdc", title="Centers for Disease", users=held("member"))
    fda = factories.Division(name="fda", title="Food and Drug", users=held("editor"))
    gone = factories.Division(name="gone", title="A closed division", users=held("admin"))
    helpers.call_action("organization_delete", id=gone["id"])
    ckan_factories.Group(users=held("admin"))  # a group is no division

    assert [(d.name, role) for d, role in roles.memberships(user["name"])] == [
        ("cdc", "member"),
        ("cms", "admin"),
        ("fda", "editor"),
    ]
    assert [(d.name, role) for d, role in roles.memberships(user["name"], least=2)] == [
        ("cms", "admin"),
        ("fda", "editor"),
    ]
    assert roles.division_ids(user["name"]) == [cdc["id"], cms["id"], fda["id"]]
    assert roles.division_ids(user["name"], least=3) == [cms["id"]]


@pytest.mark.parametrize("user", [None, "", "no-such-user", "bad\x00name"])
def test_no_user_belongs_nowhere(user):
    assert roles.memberships(user) == []
    assert roles.division_ids(user) == []
