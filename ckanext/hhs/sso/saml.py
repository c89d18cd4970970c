"""SAML 2.0 sign-in through pysaml2 (XML signatures checked by xmlsec1): the hub is a service provider
whose requests the identity provider answers with signed assertions; audience, recipient, InResponseTo and
time conditions are checked by pysaml2, and an assertion is accepted once (its id kept in Redis until it
expires)."""

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
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from . import config
from .accounts import Claims, SignInRefused

log = logging.getLogger(__name__)

REQUEST_KEY = "hhs_sso:saml:request:{}"
ASSERTION_KEY = "hhs_sso:saml:assertion:{}"
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
    settings: dict[str, Any] = {
        "entityid": config.saml_entity_id(),
        "key_file": config.saml_sp_key(),
        "cert_file": config.saml_sp_cert(),
        "xmlsec_binary": shutil.which("xmlsec1"),
        "service": {
            "sp": {
                "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                "want_assertions_signed": True,
                "want_response_signed": False,
                "authn_requests_signed": True,
                "allow_unsolicited": False,
                "name_id_format": NAMEID_FORMAT_PERSISTENT,
            }
        },
        "accepted_time_diff": 60,
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


def complete(saml_response: str, relay_state: str) -> tuple[Claims, str]:
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
        reason = str(e).splitlines()[0][:160] if str(e) else ""
        raise SignInRefused(
            f"The SAML answer was not accepted ({type(e).__name__}{': ' + reason if reason else ''}); sign-in refused."
        ) from e
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
    return claims, came_from
