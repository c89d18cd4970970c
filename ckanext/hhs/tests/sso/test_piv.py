"""PIV: a person signs in with a client certificate (mutual TLS to Keycloak's HTTPS port, a test CA made by
scripts/stack.sh), as a PIV card presents one; no password. The hub's side is the same OpenID Connect
sign-in, so the person lands in the hub with the roles of their groups."""

from __future__ import annotations

import pytest
import requests

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs import roles
from ckanext.hhs.sso.model import Identity
from ckanext.hhs.tests.factories import Division

from .conftest import KEYCLOAK_TLS, PKI, REALM, back_to_hub, start

CARD_HOLDER = "piv.cdc.editor"  # the CN of var/keycloak/pki/piv-client.crt


@pytest.fixture
def piv(keycloak, monkeypatch):
    if not (PKI / "piv-client.crt").exists():
        pytest.skip("no PIV test certificates (scripts/stack.sh keycloak makes them)")
    try:
        requests.get(f"{KEYCLOAK_TLS}/realms/{REALM}", verify=str(PKI / "ca.crt"), timeout=5)
    except requests.RequestException:
        pytest.skip("Keycloak has no HTTPS port with client certificates (restart it: scripts/stack.sh keycloak)")
    client_id = keycloak.piv_client()
    found = keycloak.call("GET", "/users", params={"username": CARD_HOLDER, "exact": "true"}).json()
    for user in found:
        keycloak.call("DELETE", f"/users/{user['id']}")
    person = keycloak.call("POST", "/users", json={
        "username": CARD_HOLDER, "enabled": True, "email": f"{CARD_HOLDER}@hhs-test.localhost", "emailVerified": True,
        "firstName": "Piv", "lastName": "Holder", "groups": ["/divisions/cdc/editor"]})
    keycloak.made.append(person.headers["Location"].rsplit("/", 1)[1])
    monkeypatch.setitem(tk.config, "ckanext.hhs.sso.oidc.issuer", f"{KEYCLOAK_TLS}/realms/{REALM}")
    monkeypatch.setitem(tk.config, "ckanext.hhs.sso.oidc.client_id", client_id)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(PKI / "ca.crt"))
    return keycloak.made[-1]


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestPiv:
    def test_a_client_certificate_signs_a_cdc_editor_in_without_a_password(self, app, piv):
        cdc = Division(name="cdc")
        client = app.test_client()
        card = requests.Session()
        card.cert = (str(PKI / "piv-client.crt"), str(PKI / "piv-client.key"))
        card.verify = str(PKI / "ca.crt")
        answer = card.get(start(client, came_from="/organization/cdc"), timeout=30, allow_redirects=False)
        callback = back_to_hub(answer)  # straight back: no login form was shown
        response = client.get(callback, follow_redirects=False)
        assert response.status_code == 302, response.body[:500]
        assert response.headers["Location"].endswith("/organization/cdc")
        identity = model.Session.get(Identity, (f"{KEYCLOAK_TLS}/realms/{REALM}", piv))
        user = model.Session.get(model.User, identity.user_id)
        assert user.email == f"{CARD_HOLDER}@hhs-test.localhost"
        assert roles.role_in(cdc["id"], user) == roles.ROLES["editor"]

    def test_without_a_certificate_there_is_no_sign_in(self, app, piv):
        plain = requests.Session()
        plain.verify = str(PKI / "ca.crt")
        answer = plain.get(start(app.test_client()), timeout=30, allow_redirects=False)
        assert answer.status_code != 302 or not answer.headers.get("Location", "").startswith("http://test.ckan.net")
        assert model.Session.query(Identity).count() == 0
