"""OpenID Connect sign-in through authlib: authorization code with PKCE (S256), `state` and `nonce`, the
hub authenticated at the token endpoint by `private_key_jwt`, and the ID token's signature, issuer,
audience, expiry and nonce verified against the provider's discovery document and JWKS. No token or
signature code of our own: authlib (and joserfc under it) does every check."""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import session
from joserfc.errors import JoseError

from . import config
from .accounts import Claims, SignInRefused

log = logging.getLogger(__name__)

NAME = "hhs_oidc"
TIMEOUT = 15


def _private_key() -> str:
    path = config.oidc_private_key()
    if not path:
        raise SignInRefused("Sign-in with HHS is not set up: no client key (ckanext.hhs.sso.oidc.private_key).")
    with open(path, encoding="utf-8") as f:
        return f.read()


def client() -> FlaskOAuth2App:
    """The provider as authlib sees it; metadata and keys are read from the provider on each sign-in, so a
    key rotation there needs nothing here."""
    return FlaskOAuth2App(
        FlaskIntegration(NAME),
        name=NAME,
        client_id=config.oidc_client_id(),
        client_secret=_private_key(),
        server_metadata_url=f"{config.oidc_issuer()}/.well-known/openid-configuration",
        client_kwargs={
            "scope": config.oidc_scope(),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "private_key_jwt",
            "timeout": TIMEOUT,
        },
        client_auth_methods=[PrivateKeyJWT()],
    )


def _metadata(app: FlaskOAuth2App) -> dict[str, Any]:
    try:
        metadata = app.load_server_metadata()
    except (requests.RequestException, ValueError) as e:
        log.warning("OpenID Connect discovery failed: %s", e)
        raise SignInRefused("The HHS identity service cannot be reached. Try again in a few minutes.") from e
    # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it was fetched for.
    if metadata.get("issuer") != config.oidc_issuer():
        log.warning("discovery names issuer %r, configured %r", metadata.get("issuer"), config.oidc_issuer())
        raise SignInRefused("The HHS identity service answered as another issuer; sign-in refused.")
    return metadata


def authorization_redirect(redirect_uri: str, came_from: str) -> Any:
    """The redirect to the provider's sign-in page; state, nonce and the PKCE verifier stay in the session."""
    app = client()
    _metadata(app)
    rv = app.create_authorization_url(redirect_uri)
    app.save_authorize_data(redirect_uri=redirect_uri, came_from=came_from, **rv)
    return rv["url"]


def complete() -> tuple[Claims, str, str]:
    """Finishes the sign-in the provider sent back: (the verified claims, came_from, the ID token for logout).
    Raises SignInRefused with a message for the person on every failure."""
    from flask import request

    if request.args.get("error"):
        raise SignInRefused(
            "The HHS identity service did not sign you in: "
            f"{request.args.get('error_description') or request.args.get('error')}."
        )
    app = client()
    metadata = _metadata(app)
    state = request.args.get("state") or ""
    data = app.framework.get_state_data(session, state) if state else None
    if not data:
        raise SignInRefused(
            "This sign-in was not started here or was already used (the state does not match). Start again."
        )
    issuer = config.oidc_issuer()
    try:
        token = app.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "values": [issuer]},
                "aud": {"essential": True, "values": [app.client_id]},
                "exp": {"essential": True},
                "sub": {"essential": True},
            },
            leeway=config.oidc_leeway(),
        )
    except OAuthError as e:
        log.info("OpenID Connect token request refused: %s %s", e.error, e.description)
        raise SignInRefused(
            f"The HHS identity service refused to complete the sign-in ({e.description or e.error}). Start again."
        ) from e
    except JoseError as e:
        log.warning("ID token refused: %s", e)
        raise SignInRefused(f"The identity token could not be verified ({_reason(e)}); sign-in refused.") from e
    except requests.RequestException as e:
        raise SignInRefused("The HHS identity service cannot be reached. Try again in a few minutes.") from e
    userinfo = token.get("userinfo")
    if not userinfo:
        raise SignInRefused("The HHS identity service sent no identity token; sign-in refused.")
    return claims_of(userinfo, metadata["issuer"]), data.get("came_from") or "", token["id_token"]


def verify_id_token(id_token: str, nonce: str, access_token: str | None = None) -> dict[str, Any]:
    """The checks `complete` makes on an ID token, for a token already in hand (the security tests)."""
    app = client()
    metadata = _metadata(app)
    token = {"id_token": id_token}
    if access_token:
        token["access_token"] = access_token
    try:
        return dict(
            app.parse_id_token(
                token,
                nonce=nonce,
                claims_options={
                    "iss": {"essential": True, "values": [metadata["issuer"]]},
                    "aud": {"essential": True, "values": [app.client_id]},
                    "exp": {"essential": True},
                },
                leeway=config.oidc_leeway(),
            )
        )
    except JoseError as e:
        raise SignInRefused(f"The identity token could not be verified ({_reason(e)}); sign-in refused.") from e


def _reason(error: JoseError) -> str:
    claim = getattr(error, "claim", None)
    if error.error == "invalid_claim" and claim == "iss":
        return "wrong issuer"
    if error.error == "invalid_claim" and claim == "aud":
        return "wrong audience"
    if error.error == "invalid_claim" and claim == "nonce":
        return "nonce mismatch"
    if error.error == "expired_token":
        return "expired"
    if error.error in {"bad_signature", "invalid_key_id"}:
        return "bad signature"
    return error.description or error.error


def claims_of(userinfo: dict[str, Any], issuer: str) -> Claims:
    groups = userinfo.get(config.groups_claim()) or []
    return Claims(
        protocol="oidc",
        issuer=issuer,
        subject=userinfo["sub"],
        email=userinfo.get("email") or "",
        email_verified=userinfo.get("email_verified") is True,
        username=userinfo.get("preferred_username") or "",
        fullname=userinfo.get("name") or "",
        groups=[g for g in groups if isinstance(g, str)],
    )


def logout_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    """RP-initiated logout at the provider, which ends its session too; None when it offers none."""
    try:
        metadata = _metadata(client())
    except (SignInRefused, OSError):
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    return (
        requests.Request(
            "GET",
            endpoint,
            params={
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "client_id": config.oidc_client_id(),
            },
        )
        .prepare()
        .url
    )
