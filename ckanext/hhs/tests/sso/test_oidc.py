"""OpenID Connect sign-in against the real Keycloak: who gets in, as whom, with which roles, and back to
where."""

from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import factories

from ckanext.hhs import roles
from ckanext.hhs.sso.model import Identity
from ckanext.hhs.tests.factories import Division

from .conftest import ISSUER, back_to_hub, provider_login, sign_in, start


@pytest.fixture
def divisions():
    return {name: Division(name=name) for name in ("cdc", "cms", "fda", "data-governance-board")}


def _user_of(subject: str) -> model.User:
    identity = model.Session.get(Identity, (ISSUER, subject))
    assert identity is not None
    return model.Session.get(model.User, identity.user_id)


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestSignIn:
    def test_a_cdc_editor_gets_an_account_the_editor_role_and_lands_where_they_came_from(self, app, keycloak,
                                                                                          divisions):
        person = keycloak.user(["/divisions/cdc/editor"], prefix="cdc")
        client = app.test_client()
        response = sign_in(client, person["username"], came_from="/organization/cdc")
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/organization/cdc")
        user = _user_of(person["id"])
        assert user.email == person["email"]
        assert user.fullname == f"Test {person['lastName']}"
        assert roles.role_in(divisions["cdc"]["id"], user) == roles.ROLES["editor"]
        assert roles.role_in(divisions["cms"]["id"], user) == 0
        assert roles.board_role(user) == 0
        assert not user.sysadmin
        # The session is the user's: the dashboard answers, as it does only for someone signed in.
        assert client.get("/dashboard/datasets").status_code == 200

    def test_a_board_member_sits_on_the_board_and_in_their_division(self, app, keycloak, divisions):
        person = keycloak.user(["/board/member", "/divisions/cms/member"], prefix="board")
        assert sign_in(app.test_client(), person["username"]).status_code == 302
        user = _user_of(person["id"])
        assert roles.board_role(user) == roles.ROLES["editor"]
        assert roles.role_in(divisions["cms"]["id"], user) == roles.ROLES["member"]

    def test_the_next_sign_in_finds_the_same_user_by_subject_and_updates_name_and_email(self, app, keycloak,
                                                                                        divisions):
        person = keycloak.user(["/divisions/fda/editor"], prefix="fda")
        sign_in(app.test_client(), person["username"])
        first = _user_of(person["id"])
        first_id, first_name = first.id, first.name
        keycloak.update(person["id"], email=f"renamed-{person['username']}@hhs-test.localhost", lastName="Renamed")
        sign_in(app.test_client(), person["username"])
        model.Session.expire_all()
        again = _user_of(person["id"])
        assert (again.id, again.name) == (first_id, first_name)
        assert again.email == f"renamed-{person['username']}@hhs-test.localhost"
        assert again.fullname == "Test Renamed"
        assert model.Session.query(Identity).filter(Identity.user_id == first_id).count() == 1

    def test_a_group_removed_at_the_provider_removes_the_role_at_the_next_sign_in(self, app, keycloak, divisions):
        person = keycloak.user(["/divisions/cdc/editor", "/divisions/cms/admin"], prefix="two")
        sign_in(app.test_client(), person["username"])
        user_id = _user_of(person["id"]).id
        assert roles.role_in(divisions["cms"]["id"], user_id) == roles.ROLES["admin"]
        keycloak.leave(person["id"], "/divisions/cms/admin")
        sign_in(app.test_client(), person["username"])
        model.Session.expire_all()
        assert roles.role_in(divisions["cms"]["id"], user_id) == 0
        assert roles.role_in(divisions["cdc"]["id"], user_id) == roles.ROLES["editor"]

    def test_came_from_on_another_site_lands_on_the_dashboard(self, app, keycloak, divisions):
        person = keycloak.user(["/divisions/cdc/member"], prefix="redir")
        for came_from in ("https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "javascript:x"):
            response = sign_in(app.test_client(), person["username"], came_from=came_from)
            assert response.status_code == 302
            location = response.headers["Location"]
            assert "evil.example" not in location and "javascript" not in location, location
            assert location.endswith("/dashboard/datasets"), location

    def test_the_login_page_offers_sign_in_with_hhs_beside_the_local_form(self, app):
        page = app.get("/user/login", query_string={"came_from": "/dataset/"})
        assert "Sign in with HHS" in page.body
        assert 'href="/user/sso/login?came_from=/dataset/"' in page.body
        assert 'name="password"' in page.body

    def test_logout_ends_the_provider_session_too(self, app, keycloak, divisions):
        person = keycloak.user(["/divisions/cdc/member"], prefix="out")
        client = app.test_client()
        signed_in = sign_in(client, person["username"])
        out = client.get("/user/_logout", follow_redirects=False)
        assert out.status_code == 302
        end_session = out.headers["Location"]
        assert end_session.startswith(f"{ISSUER}/protocol/openid-connect/logout?"), end_session
        assert "id_token_hint=" in end_session
        done = signed_in.provider.get(end_session, timeout=30, allow_redirects=False)
        assert done.status_code == 302 and done.headers["Location"].startswith("http://test.ckan.net/user/logged_out")
        # The provider asks for the password again: its session is gone.
        again = signed_in.provider.get(start(app.test_client()), timeout=30, allow_redirects=False)
        assert again.status_code == 200 and 'id="kc-form-login"' in again.text
        assert client.get("/dashboard/datasets", follow_redirects=False).status_code in (302, 403)


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestRefused:
    def test_a_callback_with_another_state_is_refused_and_creates_nothing(self, app, keycloak, divisions):
        person = keycloak.user(["/divisions/cdc/editor"], prefix="state")
        client = app.test_client()
        import requests

        callback = back_to_hub(provider_login(requests.Session(), start(client), person["username"]))
        forged = callback.replace("state=", "state=forged", 1)
        response = client.get(forged, follow_redirects=False)
        assert response.status_code == 400
        assert "state does not match" in response.body
        missing = client.get(callback.split("?")[0] + "?code=x", follow_redirects=False)
        assert missing.status_code == 400
        assert model.Session.query(Identity).count() == 0
        assert model.User.by_email(person["email"]) is None

    def test_a_replayed_callback_is_refused(self, app, keycloak, divisions):
        person = keycloak.user(["/divisions/cdc/editor"], prefix="replay")
        client = app.test_client()
        first = sign_in(client, person["username"])
        assert first.status_code == 302
        client.get("/user/_logout", follow_redirects=False)
        replay = client.get(first.callback, follow_redirects=False)
        assert replay.status_code == 400
        assert "already used" in replay.body

    def test_a_used_code_under_a_fresh_state_is_refused_by_the_provider(self, app, keycloak, divisions):
        person = keycloak.user(["/divisions/cdc/editor"], prefix="code")
        client = app.test_client()
        first = sign_in(client, person["username"])
        code = first.callback.split("code=")[1].split("&")[0]
        fresh = start(client)
        state = fresh.split("state=")[1].split("&")[0]
        replay = client.get(f"/user/sso/callback?state={state}&code={code}", follow_redirects=False)
        assert replay.status_code == 400
        assert "refused to complete the sign-in" in replay.body

    def test_an_identity_with_the_e_mail_of_a_local_account_does_not_take_it_over(self, app, keycloak, divisions):
        local = factories.User(email="victim@hhs-test.localhost", fullname="Local Victim")
        person = keycloak.user(["/sysadmins", "/divisions/cdc/admin"], prefix="takeover",
                               email="VICTIM@hhs-test.localhost")
        response = sign_in(app.test_client(), person["username"])
        assert response.status_code == 400
        assert "already exists in the hub and is not linked" in response.body
        model.Session.expire_all()
        victim = model.User.get(local["id"])
        assert not victim.sysadmin and victim.fullname == "Local Victim"
        assert roles.role_in(divisions["cdc"]["id"], victim) == 0
        assert model.Session.query(Identity).count() == 0

    @pytest.mark.ckan_config("ckanext.hhs.sso.link_verified_email", "true")
    def test_a_verified_e_mail_links_only_when_configured_and_never_an_unverified_one(self, app, keycloak,
                                                                                      divisions):
        local = factories.User(email="linkme@hhs-test.localhost")
        unverified = keycloak.user(["/divisions/cdc/member"], prefix="unv", email="linkme@hhs-test.localhost",
                                   email_verified=False)
        assert sign_in(app.test_client(), unverified["username"]).status_code == 400
        keycloak.update(unverified["id"], emailVerified=True)
        assert sign_in(app.test_client(), unverified["username"]).status_code == 302
        assert _user_of(unverified["id"]).id == local["id"]

    def test_a_person_disabled_at_the_provider_cannot_sign_in(self, app, keycloak, divisions):
        person = keycloak.user(["/divisions/cdc/editor"], prefix="off", enabled=False)
        import requests

        answer = provider_login(requests.Session(), start(app.test_client()), person["username"])
        assert answer.status_code == 200 and "disabled" in answer.text.lower()
        assert model.Session.query(Identity).count() == 0

    @pytest.mark.ckan_config("ckanext.hhs.sso.local_login", "sysadmins")
    def test_local_passwords_are_for_break_glass_sysadmins_only(self, app):
        factories.User(name="staffer", password="correct horse battery")
        factories.Sysadmin(name="breakglass", password="correct horse battery")
        client = app.test_client()
        refused = client.post("/user/login", data={"login": "staffer", "password": "correct horse battery"},
                              follow_redirects=False)
        assert refused.status_code == 200 and "break-glass administrator accounts only" in refused.body
        admitted = app.test_client().post("/user/login", data={"login": "breakglass",
                                                               "password": "correct horse battery"},
                                          follow_redirects=False)
        assert admitted.status_code == 302
