"""SAML 2.0 sign-in and single logout through pysaml2 (XML signatures checked by xmlsec1): the hub is a
service provider whose requests the identity provider answers with signed assertions; audience, recipient,
InResponseTo and time conditions are checked by pysaml2, and an assertion is accepted once (its id kept in
Redis until it expires). Logging out of the hub sends a signed LogoutRequest to the provider's single
logout service, which ends the provider's session and answers at the hub's SLS address."""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from typing import Any

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.ident import code, decode
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.sigver import verify_redirect_signature
from saml2.validate import ResponseLifetimeExceed

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from . import config
from .accounts import Claims, SignInRefused

log = logging.getLogger(__name__)

REQUEST_KEY = "hhs_sso:saml:request:{}"
ASSERTION_KEY = "hhs_sso:saml:assertion:{}"
LOGOUT_KEY = "hhs_sso:saml:logout:{}"
REQUEST_SECONDS = 600
TIMEOUT = 15


def _idp_metadata() -> str:
    try:
        response = requests.get(config.saml_idp_metadata(), timeout=TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as e:
        raise SignInRefused("The HHS identity service cannot be reached. Try again in a few minutes.") from e
    return response.text


def sp_config(with_idp: bool = True) -> SPConfig:
    acs = tk.url_for("hhs_sso.saml_acs", _external=True)
    sls = tk.url_for("hhs_sso.saml_sls", _external=True)
    settings: dict[str, Any] = {
        "entityid": config.saml_entity_id(),
        "key_file": config.saml_sp_key(),
        "cert_file": config.saml_sp_cert(),
        "xmlsec_binary": shutil.which("xmlsec1"),
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                    # Keycloak answers by POST when it found the browser's session, by HTTP-Redirect when it
                    # ended the session named by the SessionIndex instead (no session cookie came with the request).
                    "single_logout_service": [(sls, BINDING_HTTP_POST), (sls, BINDING_HTTP_REDIRECT)],
                },
                "want_assertions_signed": True,
                "want_response_signed": False,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "allow_unsolicited": False,
                "name_id_format": NAMEID_FORMAT_PERSISTENT,
            }
        },
        "accepted_time_diff": config.saml_leeway(),
        # The provider's attributes have plain names (email, groups): kept, not only the SAML profile's.
        "allow_unknown_attributes": True,
    }
    if with_idp:
        settings["metadata"] = {"inline": [_idp_metadata()]}
    sp = SPConfig()
    sp.load(settings)
    return sp


def metadata() -> str:
    return create_metadata_string(None, config=sp_config(with_idp=False), valid=24 * 7).decode()


def authn_redirect(came_from: str) -> str:
    """The redirect to the provider with a signed AuthnRequest; its id is kept (Redis, one use) under a
    RelayState, so the answer is matched to this request even when the browser drops the session cookie on
    the provider's cross-site POST."""
    client = Saml2Client(sp_config())
    relay = secrets.token_urlsafe(24)
    request_id, info = client.prepare_for_authenticate(relay_state=relay, binding=BINDING_HTTP_REDIRECT)
    connect_to_redis().set(REQUEST_KEY.format(relay), f"{request_id} {came_from}", ex=REQUEST_SECONDS)
    return dict(info["headers"])["Location"]


def complete(saml_response: str, relay_state: str) -> tuple[Claims, str, dict[str, str]]:
    """Finishes the sign-in the provider answered: (the verified claims, came_from, what a single logout
    of this session needs). Raises SignInRefused with a message for the person on every failure."""
    redis = connect_to_redis()
    pending = redis.getdel(REQUEST_KEY.format(relay_state)) if relay_state else None
    if not pending:
        raise SignInRefused("This sign-in was not started here or was already used. Start again.")
    request_id, _, came_from = pending.decode().partition(" ")
    client = Saml2Client(sp_config())
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: came_from}
        )
    except Exception as e:  # pysaml2 raises many kinds; each means the answer is not accepted
        log.warning("SAML response refused: %s: %s", type(e).__name__, e)
        raise SignInRefused(f"The SAML answer was not accepted ({_reason(e)}); sign-in refused.") from e
    if response is None or response.assertion is None:
        raise SignInRefused("The SAML answer holds no assertion; sign-in refused.")
    assertion = response.assertion
    if not getattr(assertion, "signature", None):
        raise SignInRefused("The SAML assertion is not signed; sign-in refused.")
    not_on_or_after = max(int(response.not_on_or_after or 0) - int(time.time()), 60)
    if not redis.set(ASSERTION_KEY.format(assertion.id), "1", nx=True, ex=not_on_or_after + 60):
        raise SignInRefused("This SAML assertion was already used; sign-in refused.")
    attributes = response.get_identity()
    name_id = response.name_id
    first = (attributes.get("firstName") or [""])[0]
    last = (attributes.get("lastName") or [""])[0]
    claims = Claims(
        protocol="saml",
        issuer=response.issuer(),
        subject=name_id.text if name_id is not None else "",
        email=(attributes.get("email") or [""])[0],
        # The provider vouches for what it signs; it says nothing of verification, so no e-mail linking.
        email_verified=False,
        username=(attributes.get("username") or [""])[0],
        fullname=f"{first} {last}".strip(),
        groups=list(attributes.get(config.groups_claim()) or []),
    )
    statements = assertion.authn_statement or []
    session_index = statements[0].session_index if statements else None
    logout = {"issuer": claims.issuer, "name_id": code(name_id) if name_id is not None else ""}
    if session_index:
        logout["session_index"] = session_index
    return claims, came_from, logout


def _reason(error: Exception) -> str:
    """pysaml2's exception in words a person can act on, its name kept for the log and support."""
    text = str(error).splitlines()[0][:160] if str(error) else ""
    name = type(error).__name__
    if isinstance(error, ResponseLifetimeExceed):
        return f"the assertion has expired ({name}); sign in again"
    return f"{name}{': ' + text if text else ''}"


def logout_redirect(signed_in: dict[str, str]) -> str | None:
    """The redirect to the provider's single logout service with a signed LogoutRequest (HTTP-Redirect
    binding) for the session `complete` started; None when the provider offers no single logout. The
    request id is kept (Redis, one use) under a RelayState, to match the provider's answer at the SLS."""
    client = Saml2Client(sp_config())
    issuer = signed_in["issuer"]
    services = client.metadata.single_logout_service(issuer, BINDING_HTTP_REDIRECT, "idpsso")
    if not services or not signed_in.get("name_id"):
        return None
    destination = services[0]["location"]
    session_index = signed_in.get("session_index")
    request_id, request = client.create_logout_request(
        destination,
        issuer,
        name_id=decode(signed_in["name_id"]),
        session_indexes=[session_index] if session_index else None,
        sign=False,  # the HTTP-Redirect binding signs the query, not the XML
    )
    relay = secrets.token_urlsafe(24)
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, relay, sign=True)
    connect_to_redis().set(LOGOUT_KEY.format(relay), request_id, ex=REQUEST_SECONDS)
    return dict(info["headers"])["Location"]


def logout_complete(saml_response: str, relay_state: str, query: dict[str, str] | None = None) -> None:
    """Checks the provider's LogoutResponse: it answers the LogoutRequest the hub sent under this RelayState,
    is signed by the provider (its XML when POSTed; the query, given as `query`, when redirected), addressed
    to the hub's SLS and says Success. Raises SignInRefused otherwise."""
    redis = connect_to_redis()
    # Read now, taken (one use) only once the answer is verified: a forged answer cannot cancel the real one.
    pending = redis.get(LOGOUT_KEY.format(relay_state)) if relay_state else None
    if not pending:
        raise SignInRefused("This sign-out answer does not belong to a sign-out started here, or was already used.")
    client = Saml2Client(sp_config())
    try:
        binding = BINDING_HTTP_POST if query is None else BINDING_HTTP_REDIRECT
        response = client.parse_logout_request_response(saml_response, binding)
        signed = query is None and bool(getattr(response and response.response, "signature", None))
        if query is not None and response is not None:
            signed = _query_signed(client, response.issuer(), query)
    except Exception as e:  # pysaml2 raises many kinds; each means the answer is not accepted
        log.warning("SAML logout response refused: %s: %s", type(e).__name__, e)
        raise SignInRefused(f"The provider's sign-out answer was not accepted ({_reason(e)}).") from e
    if response is None:
        raise SignInRefused("The provider's sign-out answer was not addressed to this site.")
    if not signed:
        raise SignInRefused("The provider's sign-out answer is not signed (SignatureError).")
    if response.in_response_to != pending.decode():
        raise SignInRefused("The provider's sign-out answer answers another request.")
    if redis.getdel(LOGOUT_KEY.format(relay_state)) is None:
        raise SignInRefused("This sign-out answer does not belong to a sign-out started here, or was already used.")


def _query_signed(client: Saml2Client, issuer: str, query: dict[str, str]) -> bool:
    """The HTTP-Redirect binding's signature (over SAMLResponse, RelayState and SigAlg) made by a signing key
    the issuer's metadata names."""
    if not query.get("Signature") or not query.get("SigAlg"):
        return False
    message = {k: query[k] for k in ("SAMLResponse", "RelayState", "SigAlg", "Signature") if k in query}
    certs = client.metadata.certs(issuer, "idpsso", "signing") if issuer else []
    return any(verify_redirect_signature(message, client.sec.sec_backend, cert) for _name, cert in certs)
