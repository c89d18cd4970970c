"""Roles at sign-in (accounts.apply_roles, also run by `ckan hhs sso sync`): what the user holds now is
read as roles.memberships reads it, so a deleted division's membership gives no role and the sync
neither counts nor touches it."""

from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import factories, helpers

from ckanext.hhs import roles
from ckanext.hhs.sso import accounts
from ckanext.hhs.tests.factories import Division


def _state(org_id: str, user: model.User) -> str | None:
    model.Session.expire_all()
    member = (
        model.Session.query(model.Member)
        .filter_by(group_id=org_id, table_id=user.id, table_name="user")
        .order_by(model.Member.state)  # "active" before "deleted"
        .first()
    )
    return member.state if member is not None else None


@pytest.mark.usefixtures("clean_db", "with_plugins")
@pytest.mark.ckan_config("ckanext.hhs.sso.manage_memberships", "true")
class TestApplyRoles:
    def test_a_deleted_division_is_neither_counted_nor_touched(self):
        user_dict = factories.User()
        cdc, gone = Division(name="cdc"), Division(name="gone")
        for org in (cdc, gone):
            helpers.call_action("organization_member_create", id=org["id"], username=user_dict["name"], role="editor")
        # Marked deleted by an edit (organization_delete would also end its memberships).
        helpers.call_action("organization_patch", id=gone["id"], state="deleted")
        assert model.Group.get(gone["id"]).state == "deleted"
        user = model.User.get(user_dict["name"])
        assert [o.name for o, _role in roles.memberships(user)] == ["cdc"]

        # The groups now give admin of cdc and nothing of the deleted division.
        accounts.apply_roles(user, ["/divisions/cdc/admin"])

        assert [(o.name, role) for o, role in roles.memberships(user)] == [("cdc", "admin")]
        # The deleted division's membership is left as it was: it gives nothing while the division is
        # deleted, and the next sign-in after a restore decides it.
        assert _state(gone["id"], user) == "active"

    def test_a_live_division_the_groups_no_longer_give_is_taken_away(self):
        user_dict = factories.User()
        cdc = Division(name="cdc")
        helpers.call_action("organization_member_create", id=cdc["id"], username=user_dict["name"], role="editor")
        user = model.User.get(user_dict["name"])

        accounts.apply_roles(user, [])

        assert roles.memberships(user) == []
        assert _state(cdc["id"], user) == "deleted"
