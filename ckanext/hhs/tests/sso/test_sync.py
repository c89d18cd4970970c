"""`ckan hhs sso sync`: the provider's current groups applied to everyone who signed in before, without
waiting for them to sign in again; people disabled or removed there are closed here, tokens and all."""

from __future__ import annotations

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests import factories, helpers

from ckanext.hhs import roles
from ckanext.hhs.sso.model import Identity
from ckanext.hhs.tests.factories import Division

from .conftest import ISSUER, sign_in


def _user(subject: str) -> model.User:
    model.Session.expire_all()
    return model.Session.get(model.User, model.Session.get(Identity, (ISSUER, subject)).user_id)


def _create(app, token: str) -> int:
    """HTTP status of a write that needs a signed-in caller (409: accepted as the user, refused for the data)."""
    return app.post("/api/3/action/package_create", headers={"Authorization": token}, json={"name": "x"},
                    status=None).status_code


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestSync:
    def test_removed_groups_disabled_and_deleted_people_take_effect_without_a_new_sign_in(self, app, keycloak, cli):
        cdc, cms, fda = Division(name="cdc"), Division(name="cms"), Division(name="fda")
        breakglass = factories.Sysadmin()
        stays = keycloak.user(["/divisions/cdc/editor", "/divisions/cms/admin"], prefix="stays")
        leaves = keycloak.user(["/divisions/fda/editor"], prefix="leaves")
        deleted = keycloak.user(["/divisions/fda/member"], prefix="gone")
        for person in (stays, leaves, deleted):
            assert sign_in(app.test_client(), person["username"]).status_code == 302
        token = helpers.call_action("api_token_create", {"user": _user(leaves["id"]).name},
                                    user=_user(leaves["id"]).name, name="script")["token"]
        assert _create(app, token) == 409
        assert roles.role_in(cms["id"], _user(stays["id"])) == roles.ROLES["admin"]

        keycloak.leave(stays["id"], "/divisions/cms/admin")
        keycloak.update(leaves["id"], enabled=False)
        keycloak.call("DELETE", f"/users/{deleted['id']}")

        result = cli.invoke(ckan, ["hhs", "sso", "sync"])
        assert result.exit_code == 0, result.output
        assert "3 checked, 1 roles applied, 2 disabled, 0 without an answer" in result.output

        kept = _user(stays["id"])
        assert roles.role_in(cms["id"], kept) == 0
        assert roles.role_in(cdc["id"], kept) == roles.ROLES["editor"]
        assert _user(leaves["id"]).state == "deleted"
        assert _user(deleted["id"]).state == "deleted"
        assert roles.role_in(fda["id"], _user(leaves["id"])) == roles.ROLES["editor"]  # closed, not reshuffled
        assert model.Session.query(model.ApiToken).filter_by(user_id=_user(leaves["id"]).id).count() == 0
        assert _create(app, token) == 403
        assert model.User.get(breakglass["id"]).sysadmin

        # A second run finds nothing new to close.
        again = cli.invoke(ckan, ["hhs", "sso", "sync"])
        assert "0 disabled" in again.output

        # Enabled again at the provider: the next sign-in reopens the same account.
        keycloak.update(leaves["id"], enabled=True)
        assert sign_in(app.test_client(), leaves["username"]).status_code == 302
        assert _user(leaves["id"]).state == "active"

    def test_only_sysadmins_may_sync(self, keycloak):
        user = factories.User()
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_sso_sync", {"user": user["name"], "ignore_auth": False})

    @pytest.mark.ckan_config("ckanext.hhs.sso.oidc.issuer", "http://127.0.0.1:9/realms/hhs")
    def test_an_unreachable_provider_changes_nothing_and_says_so(self):
        with pytest.raises(tk.ValidationError) as refused:
            helpers.call_action("hhs_sso_sync")
        assert "cannot be reached" in str(refused.value.error_dict["provider"])
