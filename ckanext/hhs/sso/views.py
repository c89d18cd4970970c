"""Sign-in pages: /user/sso/login starts the sign-in at the provider, /user/sso/callback finishes it; the
/user/saml/* addresses do the same in SAML 2.0, and /user/saml/sls takes the provider's logout answer."""

from __future__ import annotations

import logging

from flask import Blueprint, make_response, session

import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk
from ckan.common import login_user
from ckan.config.middleware.flask_app import csrf
from ckan.views.user import regenerate_session, rotate_token

from . import config, oidc, saml
from .accounts import SignInRefused, sign_in

log = logging.getLogger(__name__)

hhs_sso = Blueprint("hhs_sso", __name__)

# What the logout needs from the sign-in: the ID token (the provider's end-session hint), or the SAML
# issuer, NameID and session index (the provider's single logout).
ID_TOKEN = "hhs_sso_id_token"
SAML_SESSION = "hhs_sso_saml_session"


def _safe(came_from: str | None) -> str:
    """came_from if it stays on this site, else the dashboard: no redirect to another host from here."""
    local = came_from and came_from.startswith("/") and not came_from.startswith(("//", "/\\"))
    if local and h.url_is_local(came_from):
        return came_from
    return tk.url_for("dashboard.datasets")


def _refused(message: str, status: int = 400, title: str | None = None) -> tuple[str, int]:
    return tk.render("hhs_sso/refused.html", {"message": message, "title": title}), status


@hhs_sso.route("/user/sso/login")
def login():
    if not config.oidc_enabled():
        return _refused("Sign-in with HHS is not switched on for this site.", 404)
    came_from = _safe(tk.request.args.get("came_from"))
    try:
        url = oidc.authorization_redirect(tk.url_for("hhs_sso.callback", _external=True), came_from)
    except SignInRefused as e:
        return _refused(str(e), 503)
    return tk.redirect_to(url)


@hhs_sso.route("/user/sso/callback")
def callback():
    if not config.oidc_enabled():
        return _refused("Sign-in with HHS is not switched on for this site.", 404)
    try:
        claims, came_from, id_token = oidc.complete()
        return _finish(claims, came_from, id_token)
    except SignInRefused as e:
        log.info("sign-in refused: %s", e)
        return _refused(str(e))


def _finish(claims, came_from: str, id_token: str | None = None, saml_session: dict[str, str] | None = None):
    user = sign_in(claims)
    regenerate_session()
    login_user(user)
    rotate_token()
    if id_token:
        session[ID_TOKEN] = id_token
    if saml_session:
        session[SAML_SESSION] = saml_session
    log.info("user %s signed in through %s (subject %s)", user.name, claims.issuer, claims.subject)
    return tk.redirect_to(_safe(came_from))


@hhs_sso.route("/user/saml/metadata")
def saml_metadata():
    if not config.saml_enabled():
        return _refused("SAML sign-in is not switched on for this site.", 404)
    return make_response((saml.metadata(), 200, {"Content-Type": "application/samlmetadata+xml"}))


@hhs_sso.route("/user/saml/login")
def saml_login():
    if not config.saml_enabled():
        return _refused("SAML sign-in is not switched on for this site.", 404)
    try:
        return tk.redirect_to(saml.authn_redirect(_safe(tk.request.args.get("came_from"))))
    except SignInRefused as e:
        return _refused(str(e), 503)


@hhs_sso.route("/user/saml/acs", methods=["POST"])
def saml_acs():
    """The provider's answer, POSTed by the browser from the provider's page: no CSRF token can be in it;
    the signed assertion, its InResponseTo and the one-use RelayState are what protect it."""
    if not config.saml_enabled():
        return _refused("SAML sign-in is not switched on for this site.", 404)
    try:
        claims, came_from, saml_session = saml.complete(
            tk.request.form.get("SAMLResponse") or "", tk.request.form.get("RelayState") or ""
        )
        return _finish(claims, came_from, saml_session=saml_session)
    except SignInRefused as e:
        log.info("SAML sign-in refused: %s", e)
        return _refused(str(e))


@hhs_sso.route("/user/saml/sls", methods=["GET", "POST"])
def saml_sls():
    """The provider's LogoutResponse to the hub's LogoutRequest: POSTed from the provider's page (no CSRF
    token, as at the ACS; the signature, InResponseTo and one-use RelayState protect it) or redirected with
    a signed query. The person was signed out of the hub before the request left; this confirms the
    provider's side."""
    if not config.saml_enabled():
        return _refused("SAML sign-in is not switched on for this site.", 404)
    fields = tk.request.form if tk.request.method == "POST" else tk.request.args
    try:
        saml.logout_complete(
            fields.get("SAMLResponse") or "",
            fields.get("RelayState") or "",
            query=None if tk.request.method == "POST" else fields.to_dict(),
        )
    except SignInRefused as e:
        log.info("SAML logout answer refused: %s", e)
        return _refused(
            f"{e} You are signed out of the hub; close the browser to be sure the HHS sign-in ends too.",
            title=tk._("Sign-out not confirmed"),
        )
    return tk.redirect_to("user.logged_out_page")


csrf.exempt(saml_acs)
csrf.exempt(saml_sls)
