"""The sign-in tests run against the real Keycloak that scripts/stack.sh starts (realm
deploy/keycloak/hhs-realm.json): its own login form is filled in over HTTP, its admin API changes people
and groups. Each test makes people of its own at the provider (unique names), so parallel workers and
repeated runs do not meet."""

from __future__ import annotations

import base64
import html
import json
import pathlib
import re
import secrets
import ssl
import urllib.parse

import pytest
import requests

KEYCLOAK = "http://127.0.0.1:8180"
REALM = "hhs"
ISSUER = f"{KEYCLOAK}/realms/{REALM}"
ROOT = pathlib.Path(__file__).resolve().parents[4]
VAR = ROOT / "var" / "keycloak"
PASSWORD = "hhs-test-pass-1"
HUB_CLIENT = "hhs-data-hub"
OTHER_CLIENT = "hhs-test-other-app"
SHORT_CLIENT = "hhs-test-short-lived"
PIV_CLIENT = "hhs-test-piv"
SHORT_SAML_CLIENT = "hhs-test-saml-short"
PIV_FLOW = "hhs piv browser"
PKI = VAR / "pki"
KEYCLOAK_TLS = "https://127.0.0.1:8543"
CALLBACK = "http://test.ckan.net/user/sso/callback"


def _up() -> bool:
    try:
        return requests.get(f"{ISSUER}/.well-known/openid-configuration", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _realm_file_client(client_id: str) -> dict:
    """A client of deploy/keycloak/hhs-realm.json with the hub's certificate put in, as scripts/stack.sh does."""
    der = ssl.PEM_cert_to_DER_cert((VAR / "hub-client.crt").read_text())
    text = (ROOT / "deploy" / "keycloak" / "hhs-realm.json").read_text()
    text = text.replace("@HUB_CLIENT_CERT@", base64.b64encode(der).decode())
    return next(c for c in json.loads(text)["clients"] if c["clientId"] == client_id)


def _client(client_id: str, attributes: dict | None = None, **extra) -> dict:
    """A client of the test site's sign-in (standard flow with PKCE, redirects to test.ckan.net)."""
    return {
        "clientId": client_id,
        "standardFlowEnabled": True,
        "redirectUris": ["http://test.ckan.net/*"],
        "attributes": {"pkce.code.challenge.method": "S256", **(attributes or {})},
        **extra,
    }


@pytest.fixture
def clean_db(with_plugins, reset_db, migrate_loaded):
    """The shared clean_db, with the plugins loaded first (the identity table comes with hhs_sso)."""
    reset_db()
    migrate_loaded()


class Admin:
    """Keycloak's admin REST API as the bootstrap admin (var/keycloak/admin-password)."""

    def __init__(self) -> None:
        token = requests.post(
            f"{KEYCLOAK}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "admin",
                "password": (VAR / "admin-password").read_text().strip(),
            },
            timeout=30,
        )
        token.raise_for_status()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        self.base = f"{KEYCLOAK}/admin/realms/{REALM}"
        self.made: list[str] = []

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, f"{self.base}{path}", timeout=30, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text[:300])
        return response

    def user(
        self,
        groups: list[str],
        *,
        prefix: str = "t",
        email: str | None = None,
        enabled: bool = True,
        email_verified: bool = True,
    ) -> dict:
        username = f"{prefix}-{secrets.token_hex(4)}"
        body = {
            "username": username,
            "enabled": enabled,
            "email": email or f"{username}@hhs-test.localhost",
            "emailVerified": email_verified,
            "firstName": "Test",
            "lastName": username.title(),
            "groups": groups,
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        }
        created = self.call("POST", "/users", json=body)
        user_id = created.headers["Location"].rsplit("/", 1)[1]
        self.made.append(user_id)
        return {"id": user_id, **body}

    def group_id(self, path: str) -> str:
        return self.call("GET", f"/group-by-path/{path.strip('/')}").json()["id"]

    def leave(self, user_id: str, path: str) -> None:
        self.call("DELETE", f"/users/{user_id}/groups/{self.group_id(path)}")

    def join(self, user_id: str, path: str) -> None:
        self.call("PUT", f"/users/{user_id}/groups/{self.group_id(path)}")

    def update(self, user_id: str, **fields) -> None:
        self.call("PUT", f"/users/{user_id}", json=fields)

    def client(self, client_id: str) -> dict:
        return self.call("GET", "/clients", params={"clientId": client_id}).json()[0]

    def _jwt_client(self, client_id: str, attributes: dict | None = None, **extra) -> dict:
        """A confidential client like the hub's: it authenticates with a JWT signed by the hub's key (the hub's
        certificate and signing algorithm), standard flow with PKCE; `attributes` and `extra` added."""
        hub = self.client(HUB_CLIENT)
        signing = {k: hub["attributes"][k] for k in ("jwt.credential.certificate", "token.endpoint.auth.signing.alg")}
        return _client(
            client_id,
            {**signing, **(attributes or {})},
            publicClient=False,
            clientAuthenticatorType="client-jwt",
            **extra,
        )

    def other_client(self) -> None:
        """A second application of the same provider (its tokens name another audience)."""
        if self.call("GET", "/clients", params={"clientId": OTHER_CLIENT}).json():
            return
        self.call("POST", "/clients", json=_client(OTHER_CLIENT, publicClient=True))

    def realm_client(self, client_id: str) -> None:
        """A client of deploy/keycloak/hhs-realm.json as the file says it, in a Keycloak whose realm was
        imported before the client joined the file or before the file changed its attributes (an import
        happens only once): made when missing, its attributes brought up to the file's when they differ."""
        wanted = _realm_file_client(client_id)
        found = self.call("GET", "/clients", params={"clientId": client_id}).json()
        if not found:
            self.call("POST", "/clients", json=wanted)
            return
        live = found[0]
        if any(live["attributes"].get(k) != v for k, v in wanted["attributes"].items()):
            live["attributes"] = {**live["attributes"], **wanted["attributes"]}
            self.call("PUT", f"/clients/{live['id']}", json=live)

    def short_saml_client(self) -> str:
        """A SAML client like the hub's (same certificate, mappers, persistent NameIDs) whose assertions live
        one second: an expired assertion produced by Keycloak itself, without touching the hub's client that
        other tests sign in through. Its client id is the entity id a test configures the hub with."""
        if not self.call("GET", "/clients", params={"clientId": SHORT_SAML_CLIENT}).json():
            client = _realm_file_client("hhs-data-hub-saml")
            client["clientId"] = SHORT_SAML_CLIENT
            client["name"] = "hhs-data-hub-saml with one-second assertions"
            client["attributes"]["saml.assertion.lifespan"] = "1"
            self.call("POST", "/clients", json=client)
        return SHORT_SAML_CLIENT

    def short_lived_client(self) -> str:
        """A confidential client like the hub's (same key) whose tokens live one second: expiry tested
        without touching the hub's client that other tests sign in through."""
        if not self.call("GET", "/clients", params={"clientId": SHORT_CLIENT}).json():
            self.call("POST", "/clients", json=self._jwt_client(SHORT_CLIENT, {"access.token.lifespan": "1"}))
        return SHORT_CLIENT

    def piv_client(self) -> str:
        """A client like the hub's whose browser sign-in is Keycloak's X.509 client-certificate authenticator
        (the certificate's CN names the user): PIV, bound to this client only, so the realm's password form
        stays as it is for every other test."""
        if self.call("GET", "/clients", params={"clientId": PIV_CLIENT}).json():
            return PIV_CLIENT
        flows = {f["alias"]: f for f in self.call("GET", "/authentication/flows").json()}
        if PIV_FLOW not in flows:
            self.call(
                "POST",
                "/authentication/flows",
                json={
                    "alias": PIV_FLOW,
                    "providerId": "basic-flow",
                    "topLevel": True,
                    "builtIn": False,
                    "description": "PIV: X.509 client certificate",
                },
            )
            flow = urllib.parse.quote(PIV_FLOW)
            self.call(
                "POST",
                f"/authentication/flows/{flow}/executions/execution",
                json={"provider": "auth-x509-client-username-form"},
            )
            execution = self.call("GET", f"/authentication/flows/{flow}/executions").json()[0]
            self.call("PUT", f"/authentication/flows/{flow}/executions", json={**execution, "requirement": "REQUIRED"})
            self.call(
                "POST",
                f"/authentication/executions/{execution['id']}/config",
                json={
                    "alias": "piv-certificate",
                    "config": {
                        "x509-cert-auth.mapping-source-selection": "Match SubjectDN using regular expression",
                        "x509-cert-auth.regular-expression": "CN=(.*?)(?:,|$)",
                        "x509-cert-auth.mapper-selection": "Username or Email",
                        "x509-cert-auth.confirmation-page-disallowed": "true",
                        "x509-cert-auth.crl-checking-enabled": "false",
                        "x509-cert-auth.ocsp-checking-enabled": "false",
                        "x509-cert-auth.timestamp-validation-enabled": "true",
                    },
                },
            )
            flows = {f["alias"]: f for f in self.call("GET", "/authentication/flows").json()}
        hub = self.client(HUB_CLIENT)
        client = self._jwt_client(
            PIV_CLIENT,
            protocolMappers=[{k: v for k, v in m.items() if k != "id"} for m in hub["protocolMappers"]],
            authenticationFlowBindingOverrides={"browser": flows[PIV_FLOW]["id"]},
        )
        self.call("POST", "/clients", json=client)
        return PIV_CLIENT

    def cleanup(self) -> None:
        for user_id in self.made:
            self.http.delete(f"{self.base}/users/{user_id}", timeout=30)


@pytest.fixture
def keycloak():
    if not _up():
        pytest.skip(f"Keycloak is not running at {KEYCLOAK} (scripts/stack.sh keycloak starts it; it needs Java 21+)")
    admin = Admin()
    yield admin
    admin.cleanup()


def provider_login(
    browser: requests.Session, authorize_url: str, username: str, password: str = PASSWORD
) -> requests.Response:
    """Keycloak's own login form, filled in: the provider's answer (a redirect back to the hub, or its
    page saying why not)."""
    page = browser.get(authorize_url, timeout=30, allow_redirects=True)
    assert page.status_code == 200, page.text[:500]
    _plain_http(browser)
    action = re.search(r'<form[^>]+id="kc-form-login"[^>]+action="([^"]+)"', page.text)
    assert action, page.text[:2000]
    return browser.post(
        html.unescape(action.group(1)),
        data={"username": username, "password": password},
        timeout=30,
        allow_redirects=False,
    )


def _plain_http(browser: requests.Session) -> None:
    """Keycloak marks its cookies Secure; browsers send those to http://127.0.0.1 (a secure context), requests
    does not unless told."""
    for cookie in browser.cookies:
        cookie.secure = False


def back_to_hub(answer: requests.Response) -> str:
    """The path and query of the provider's redirect to the hub's callback."""
    assert answer.status_code == 302, answer.text[:1000]
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK), location
    parts = urllib.parse.urlsplit(location)
    return f"{parts.path}?{parts.query}"


def start(client, came_from: str = "/dataset/") -> str:
    """The hub's redirect to the provider, from a click on 'Sign in with HHS'."""
    response = client.get("/user/sso/login", query_string={"came_from": came_from}, follow_redirects=False)
    assert response.status_code == 302, response.body[:500]
    return response.headers["Location"]


def sign_in(client, username: str, came_from: str = "/dataset/"):
    """A whole sign-in: the hub's answer to the provider's redirect back."""
    browser = requests.Session()
    callback = back_to_hub(provider_login(browser, start(client, came_from), username))
    response = client.get(callback, follow_redirects=False)
    response.provider = browser
    response.callback = callback
    return response


def code_flow(username: str, *, client_id: str = HUB_CLIENT, base: str = KEYCLOAK, nonce: str = "the-nonce") -> dict:
    """A whole authorization-code flow with the provider, by hand, as another relying party would run it:
    the hub's own client authenticated with its key, or a public client. The token response."""
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc7523 import PrivateKeyJWT

    issuer = f"{base}/realms/{REALM}"
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=30).json()
    if client_id in (HUB_CLIENT, SHORT_CLIENT):
        session = OAuth2Session(
            client_id,
            (VAR / "hub-client.key").read_text(),
            scope="openid",
            redirect_uri=CALLBACK,
            code_challenge_method="S256",
            token_endpoint_auth_method="private_key_jwt",
        )
        session.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"]))
    else:
        session = OAuth2Session(
            client_id,
            scope="openid",
            redirect_uri=CALLBACK,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        )
    verifier = secrets.token_urlsafe(48)
    url, _state = session.create_authorization_url(
        metadata["authorization_endpoint"], nonce=nonce, code_verifier=verifier
    )
    answer = provider_login(requests.Session(), url, username)
    assert answer.status_code == 302, answer.text[:500]
    return session.fetch_token(
        metadata["token_endpoint"],
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
        timeout=30,
    )
