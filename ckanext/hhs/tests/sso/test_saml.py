"""SAML 2.0 against the real Keycloak as identity provider: sign-in with signed assertions only, for this
service provider, answering a request the hub made, each accepted once and only while it is valid; single
logout that ends Keycloak's session; and the sync, which finds SAML people by their persistent NameID."""

from __future__ import annotations

import base64
import html
import re
import time
import urllib.parse

import pytest
import requests

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan
from ckan.tests import helpers

from ckanext.hhs import roles
from ckanext.hhs.sso.model import Identity
from ckanext.hhs.tests.factories import Division

from .conftest import ISSUER, SHORT_SAML_CLIENT, _plain_http, provider_login

ACS = "http://test.ckan.net/user/saml/acs"
SLS = "http://test.ckan.net/user/saml/sls"


@pytest.fixture
def saml_idp(keycloak):
    keycloak.realm_client("hhs-data-hub-saml")
    return keycloak


def _answer(client, username: str, came_from: str = "/dataset/", browser: requests.Session | None = None) -> dict:
    """Keycloak's signed answer, as its auto-submitting page would POST it to the hub. `browser` keeps
    Keycloak's session cookies across calls, as a browser does."""
    start = client.get("/user/saml/login", query_string={"came_from": came_from}, follow_redirects=False)
    assert start.status_code == 302, start.body[:500]
    assert "SAMLRequest=" in start.headers["Location"] and "Signature=" in start.headers["Location"]
    browser = browser or requests.Session()
    page = provider_login(browser, start.headers["Location"], username)
    assert page.status_code == 200, page.text[:500]
    _plain_http(browser)  # Keycloak's session cookie, set by that answer
    return _form(page.text, ACS, "SAMLResponse")


def _form(page: str, action_url: str, field: str) -> dict[str, str]:
    """The fields of Keycloak's auto-submitting form to the hub (action_url): `field` and RelayState."""
    action = re.search(r'<form[^>]+action="([^"]+)"', page)
    assert action and html.unescape(action.group(1)) == action_url, page[:1000]
    fields = dict(re.findall(rf'<input[^>]+name="({field}|RelayState)"[^>]+value="([^"]*)"', page))
    assert field in fields, page[:1000]
    return {k: html.unescape(v) for k, v in fields.items()}


def _post(client, answer: dict[str, str]):
    return client.post("/user/saml/acs", data=answer, follow_redirects=False)


def _xml(answer: dict[str, str]) -> str:
    return base64.b64decode(answer["SAMLResponse"]).decode()


def _with_xml(answer: dict[str, str], xml: str) -> dict[str, str]:
    return {**answer, "SAMLResponse": base64.b64encode(xml.encode()).decode()}


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestSaml:
    def test_the_hub_publishes_its_service_provider_metadata(self, app):
        page = app.get("/user/saml/metadata")
        assert 'entityID="hhs-data-hub-saml"' in page.body
        assert "AssertionConsumerService" in page.body and "/user/saml/acs" in page.body
        assert 'WantAssertionsSigned="true"' in page.body
        assert re.search(r'<[^>]*SingleLogoutService[^>]+HTTP-POST[^>]+/user/saml/sls"', page.body), page.body

    def test_a_signed_assertion_signs_in_with_roles_from_groups_and_lands_on_came_from(self, app, saml_idp):
        cdc = Division(name="cdc")
        person = saml_idp.user(["/divisions/cdc/editor"], prefix="saml")
        client = app.test_client()
        response = _post(client, _answer(client, person["username"], came_from="/organization/cdc"))
        assert response.status_code == 302, response.body[:1000]
        assert response.headers["Location"].endswith("/organization/cdc")
        identity = model.Session.query(Identity).filter_by(protocol="saml").one()
        user = model.Session.get(model.User, identity.user_id)
        assert user.email == person["email"]
        assert roles.role_in(cdc["id"], user) == roles.ROLES["editor"]
        assert client.get("/dashboard/datasets").status_code == 200

    def test_a_replayed_assertion_is_refused(self, app, saml_idp):
        person = saml_idp.user(["/divisions/cdc/member"], prefix="samlre")
        client = app.test_client()
        answer = _answer(client, person["username"])
        assert _post(client, answer).status_code == 302
        again = _post(app.test_client(), answer)
        assert again.status_code == 400 and "already used" in again.body
        # Under a RelayState of a fresh request of the hub's, the old answer still does not pass.
        fresh = app.test_client().get("/user/saml/login", follow_redirects=False).headers["Location"]
        relay = requests.utils.unquote(re.search(r"RelayState=([^&]+)", fresh).group(1))
        under_fresh = _post(app.test_client(), {**answer, "RelayState": relay})
        assert under_fresh.status_code == 400 and "not accepted" in under_fresh.body

    def test_a_changed_or_unsigned_assertion_is_refused_and_creates_nothing(self, app, saml_idp):
        person = saml_idp.user(["/divisions/cdc/member"], prefix="samlx")
        client = app.test_client()
        answer = _answer(client, person["username"])
        xml = _xml(answer)
        assert "/divisions/cdc/member" in xml
        changed = _post(client, _with_xml(answer, xml.replace("/divisions/cdc/member", "/sysadmins")))
        assert changed.status_code == 400 and "SignatureError" in changed.body
        answer = _answer(client, person["username"])
        unsigned = re.sub(r"<(?:ds|dsig):Signature.*?</(?:ds|dsig):Signature>", "", _xml(answer), flags=re.S)
        assert "Signature>" not in unsigned
        refused = _post(client, _with_xml(answer, unsigned))
        assert refused.status_code == 400 and "SignatureError" in refused.body
        assert model.Session.query(Identity).count() == 0

    def test_an_assertion_for_another_service_provider_is_refused(self, app, saml_idp, monkeypatch):
        person = saml_idp.user(["/divisions/cdc/member"], prefix="samlaud")
        client = app.test_client()
        answer = _answer(client, person["username"])
        monkeypatch.setitem(tk.config, "ckanext.hhs.sso.saml.entity_id", "another-service-provider")
        refused = _post(client, answer)
        assert refused.status_code == 400 and "AudienceRestrictions" in refused.body
        assert model.Session.query(Identity).count() == 0

    def test_an_unsolicited_answer_is_refused(self, app, saml_idp):
        refused = _post(app.test_client(), {"SAMLResponse": "PHg+PC94Pg==", "RelayState": "never-issued"})
        assert refused.status_code == 400 and "not started here" in refused.body


def _signed_in_user(email: str) -> model.User | None:
    model.Session.expire_all()
    return model.Session.query(model.User).filter_by(email=email).one_or_none()


def _signed_in(app, saml_idp, prefix: str):
    """A new CDC member signed in to the hub through SAML: the hub's client, and the browser that holds
    Keycloak's session cookie."""
    person = saml_idp.user(["/divisions/cdc/member"], prefix=prefix)
    browser = requests.Session()
    client = app.test_client()
    assert _post(client, _answer(client, person["username"], browser=browser)).status_code == 302
    return client, browser


def _sls(client, binding: str, answer):
    """The provider's logout answer at the hub's SLS: the auto-submitting form's fields POSTed ("POST"), or
    the query of its signed redirect followed ("Redirect")."""
    if binding == "POST":
        return client.post("/user/saml/sls", data=answer, follow_redirects=False)
    return client.get(f"/user/saml/sls?{answer}", follow_redirects=False)


def _logout_confirmed_once(app, client, browser: requests.Session, binding: str, answer) -> None:
    """The provider's logout answer, sent by `binding`, confirms the sign-out; Keycloak's session is over (the
    next sign-in request gets its login form); sent again, from this browser or another, it is refused."""
    confirmed = _sls(client, binding, answer)
    assert confirmed.status_code == 302, confirmed.body[:1000]
    assert confirmed.headers["Location"].endswith("/user/logged_out_redirect")
    fresh = browser.get(client.get("/user/saml/login", follow_redirects=False).headers["Location"], timeout=30)
    assert 'id="kc-form-login"' in fresh.text, fresh.text[:1000]
    for sender in (client, app.test_client()):
        replayed = _sls(sender, binding, answer)
        assert replayed.status_code == 400, replayed.body[:1000]
        assert "does not belong to a sign-out started here, or was already used" in replayed.body


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestSamlLogout:
    def test_hub_logout_ends_the_keycloak_session_through_single_logout(self, app, saml_idp):
        client, browser = _signed_in(app, saml_idp, "samlslo")
        assert client.get("/dashboard/datasets").status_code == 200
        # Keycloak's session is open: a new sign-in request is answered at once, without its login form.
        again = browser.get(client.get("/user/saml/login", follow_redirects=False).headers["Location"], timeout=30)
        assert 'id="kc-form-login"' not in again.text
        _form(again.text, ACS, "SAMLResponse")

        logout = client.get("/user/_logout", follow_redirects=False)
        assert logout.status_code == 302
        slo = logout.headers["Location"]
        assert slo.startswith(f"{ISSUER}/protocol/saml?") and "SAMLRequest=" in slo and "Signature=" in slo
        assert client.get("/dashboard/datasets", follow_redirects=False).status_code == 302  # out of the hub

        _plain_http(browser)  # the cookies of the sign-in request just above
        answer = _form(browser.get(slo, timeout=30).text, SLS, "SAMLResponse")
        _logout_confirmed_once(app, client, browser, "POST", answer)

    def test_logout_from_a_browser_without_keycloak_cookies_ends_the_session_named_by_its_index(self, app, saml_idp):
        client, browser = _signed_in(app, saml_idp, "samlsloidx")
        slo = client.get("/user/_logout", follow_redirects=False).headers["Location"]
        # Another browser (no Keycloak cookie): Keycloak ends the session the SessionIndex names and answers
        # with a signed redirect to the hub's SLS.
        answer = requests.get(slo, timeout=30, allow_redirects=False)
        assert answer.status_code in (302, 303), answer.text[:1000]
        location = answer.headers["Location"]
        assert location.startswith(SLS + "?") and "Signature=" in location, location
        query = urllib.parse.urlsplit(location).query
        # A changed signature is refused, and does not use up the real answer.
        fields = dict(urllib.parse.parse_qsl(query))
        signature = fields["Signature"]
        changed = signature[:10] + ("B" if signature[10] != "B" else "C") + signature[11:]
        forged = client.get("/user/saml/sls", query_string={**fields, "Signature": changed})
        assert forged.status_code == 400 and "not signed (SignatureError)" in forged.body
        _logout_confirmed_once(app, client, browser, "Redirect", query)

    def test_a_changed_logout_answer_is_refused(self, app, saml_idp):
        client, browser = _signed_in(app, saml_idp, "samlslox")
        slo = client.get("/user/_logout", follow_redirects=False).headers["Location"]
        answer = _form(browser.get(slo, timeout=30).text, SLS, "SAMLResponse")
        xml = _xml(answer)
        assert "status:Success" in xml
        changed = _with_xml(answer, xml.replace('InResponseTo="', 'InResponseTo="x'))
        refused = _sls(client, "POST", changed)
        assert refused.status_code == 400 and "SignatureError" in refused.body
        assert "Sign-out not confirmed" in refused.body


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestSamlExpiry:
    @pytest.mark.ckan_config("ckanext.hhs.sso.saml.entity_id", SHORT_SAML_CLIENT)
    @pytest.mark.ckan_config("ckanext.hhs.sso.saml.leeway", "2")
    def test_an_expired_assertion_is_refused_and_creates_nothing(self, app, saml_idp):
        saml_idp.short_saml_client()
        person = saml_idp.user(["/divisions/cdc/member"], prefix="samlexp")
        client = app.test_client()
        answer = _answer(client, person["username"])
        assert re.search(r'<saml:Conditions[^>]+NotOnOrAfter="', _xml(answer))
        time.sleep(1 + 2 + 2)  # the assertion's second, the hub's leeway, and a margin
        refused = _post(client, answer)
        assert refused.status_code == 400, refused.body[:1000]
        assert "the assertion has expired" in refused.body and "ResponseLifetimeExceed" in refused.body
        assert model.Session.query(Identity).count() == 0
        assert _signed_in_user(person["email"]) is None

        # The same client's assertion used within its second is accepted: the refusal was the expiry.
        fresh = _post(client, _answer(client, person["username"]))
        assert fresh.status_code == 302, fresh.body[:1000]
        assert _signed_in_user(person["email"]) is not None


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestSamlSync:
    def test_a_saml_person_removed_from_a_group_or_disabled_loses_role_account_and_tokens(self, app, saml_idp, cli):
        cdc, fda = Division(name="cdc"), Division(name="fda")
        stays = saml_idp.user(["/divisions/cdc/editor", "/divisions/fda/member"], prefix="samlstay")
        leaves = saml_idp.user(["/divisions/fda/editor"], prefix="samlleave")
        for person in (stays, leaves):
            client = app.test_client()
            assert _post(client, _answer(client, person["username"])).status_code == 302
        assert model.Session.query(Identity).filter_by(protocol="saml").count() == 2
        leaver = _signed_in_user(leaves["email"])
        token = helpers.call_action("api_token_create", {"user": leaver.name}, user=leaver.name, name="script")["token"]
        write = {"headers": {"Authorization": token}, "json": {"name": "x"}, "status": None}
        assert app.post("/api/3/action/package_create", **write).status_code == 409  # accepted as the user
        assert roles.role_in(fda["id"], _signed_in_user(stays["email"])) == roles.ROLES["member"]

        saml_idp.leave(stays["id"], "/divisions/fda/member")
        saml_idp.update(leaves["id"], enabled=False)
        result = cli.invoke(ckan, ["hhs", "sso", "sync"])
        assert result.exit_code == 0, result.output
        assert "2 checked, 1 roles applied, 1 disabled, 0 without an answer" in result.output

        kept = _signed_in_user(stays["email"])
        assert kept.state == "active"
        assert roles.role_in(fda["id"], kept) == 0
        assert roles.role_in(cdc["id"], kept) == roles.ROLES["editor"]
        closed = _signed_in_user(leaves["email"])
        assert closed.state == "deleted"
        assert model.Session.query(model.ApiToken).filter_by(user_id=closed.id).count() == 0
        assert app.post("/api/3/action/package_create", **write).status_code == 403

    def test_a_saml_person_deleted_at_the_provider_is_closed(self, app, saml_idp, cli):
        person = saml_idp.user(["/divisions/cdc/member"], prefix="samldel")
        client = app.test_client()
        assert _post(client, _answer(client, person["username"])).status_code == 302
        saml_idp.call("DELETE", f"/users/{person['id']}")
        result = cli.invoke(ckan, ["hhs", "sso", "sync"])
        assert "1 checked, 0 roles applied, 1 disabled, 0 without an answer" in result.output, result.output
        assert _signed_in_user(person["email"]).state == "deleted"
