"""The ID token checks, each on a real token from the real Keycloak: only a token the provider signed, for
this hub, under the configured issuer, with this sign-in's nonce, and not expired, is accepted."""

from __future__ import annotations

import base64
import time

import pytest

import ckan.plugins.toolkit as tk

from ckanext.hhs.sso import oidc
from ckanext.hhs.sso.accounts import SignInRefused

from .conftest import OTHER_CLIENT, code_flow


def _refused(token: dict, nonce: str = "the-nonce") -> str:
    with pytest.raises(SignInRefused) as refused:
        oidc.verify_id_token(token["id_token"], nonce, token.get("access_token"))
    return str(refused.value)


@pytest.fixture
def person(keycloak):
    return keycloak.user(["/divisions/cdc/editor"], prefix="tok")


@pytest.mark.usefixtures("with_plugins")
class TestIdToken:
    def test_the_hubs_own_token_passes(self, app, person):
        token = code_flow(person["username"])
        with app.flask_app.test_request_context():
            claims = oidc.verify_id_token(token["id_token"], "the-nonce", token["access_token"])
        assert claims["sub"] == person["id"]
        assert "/divisions/cdc/editor" in claims["groups"]

    def test_another_applications_token_is_refused_as_the_wrong_audience(self, app, keycloak, person):
        keycloak.other_client()
        token = code_flow(person["username"], client_id=OTHER_CLIENT)
        with app.flask_app.test_request_context():
            assert "wrong audience" in _refused(token)

    def test_a_token_issued_under_another_issuer_name_is_refused_even_with_the_same_keys(self, app, person):
        # Keycloak in dev mode names itself after the host it is asked at: same realm, same keys, other `iss`.
        token = code_flow(person["username"], base="http://localhost:8180")
        with app.flask_app.test_request_context():
            assert "wrong issuer" in _refused(token)

    def test_a_token_with_a_changed_signature_or_payload_is_refused(self, app, person):
        token = code_flow(person["username"])
        header, payload, signature = token["id_token"].split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[10] ^= 0x01
        forged_signature = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
        claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).replace(
            b'"/divisions/cdc/editor"', b'"/sysadmins"'
        )
        forged_payload = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
        with app.flask_app.test_request_context():
            for forged in (f"{header}.{payload}.{forged_signature}", f"{header}.{forged_payload}.{signature}"):
                assert "bad signature" in _refused({"id_token": forged, "access_token": token["access_token"]})

    def test_a_token_of_another_sign_in_is_refused_by_its_nonce(self, app, person):
        token = code_flow(person["username"], nonce="nonce-of-another-sign-in")
        with app.flask_app.test_request_context():
            assert "nonce mismatch" in _refused(token, nonce="the-nonce")

    @pytest.mark.ckan_config("ckanext.hhs.sso.oidc.leeway", "0")
    def test_an_expired_token_is_refused(self, app, keycloak, person, monkeypatch):
        client_id = keycloak.short_lived_client()
        token = code_flow(person["username"], client_id=client_id)
        time.sleep(2.5)
        # The hub as that client: everything else about the token is right, only its time is up.
        monkeypatch.setitem(tk.config, "ckanext.hhs.sso.oidc.client_id", client_id)
        with app.flask_app.test_request_context():
            assert "expired" in _refused(token)
