"""SAML 2.0 sign-in against the real Keycloak as identity provider: signed assertions only, for this
service provider, answering a request the hub made, each accepted once."""

from __future__ import annotations

import base64
import html
import re

import pytest
import requests

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs import roles
from ckanext.hhs.sso.model import Identity
from ckanext.hhs.tests.factories import Division

from .conftest import provider_login

ACS = "http://test.ckan.net/user/saml/acs"


@pytest.fixture
def saml_idp(keycloak):
    keycloak.realm_client("hhs-data-hub-saml")
    return keycloak


def _answer(client, username: str, came_from: str = "/dataset/") -> dict[str, str]:
    """Keycloak's signed answer, as its auto-submitting page would POST it to the hub."""
    start = client.get("/user/saml/login", query_string={"came_from": came_from}, follow_redirects=False)
    assert start.status_code == 302, start.body[:500]
    assert "SAMLRequest=" in start.headers["Location"] and "Signature=" in start.headers["Location"]
    page = provider_login(requests.Session(), start.headers["Location"], username)
    assert page.status_code == 200, page.text[:500]
    action = re.search(r'<form[^>]+action="([^"]+)"', page.text)
    assert action and html.unescape(action.group(1)) == ACS, page.text[:1000]
    fields = dict(re.findall(r'<input[^>]+name="(SAMLResponse|RelayState)"[^>]+value="([^"]*)"', page.text))
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
