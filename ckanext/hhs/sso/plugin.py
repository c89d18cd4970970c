"""`hhs_sso`: staff sign in with their HHS identity (OpenID Connect with PKCE and private_key_jwt, or SAML
2.0); the user, their division roles and Board membership follow the provider's groups."""

from __future__ import annotations

from typing import Any

from flask import session

import ckan.lib.helpers as h
import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import current_user, logout_user

from . import config, oidc, saml
from . import model as _model  # noqa: F401 (the table, for migrations and the session)
from .accounts import SignInRefused
from .views import ID_TOKEN, SAML_SESSION


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class HhsSsoPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IAuthenticator, inherit=True)

    # IConfigurer

    def update_config(self, config_: Any) -> None:
        tk.add_template_directory(config_, "templates")

    # IAuthenticator

    def login(self) -> Any:
        """Local passwords only for whom `local_login` allows (break-glass sysadmins on an SSO site)."""
        if tk.request.method != "POST" or config.local_login() == "all":
            return None
        login = tk.request.form.get("login") or ""
        user = model.User.by_name(login) or model.User.by_email(login) if login else None
        if config.local_login() == "sysadmins" and user is not None and user.sysadmin:
            return None
        h.flash_error(tk._("Local passwords are for break-glass administrator accounts only. Use Sign in with HHS."))
        return tk.render("user/login.html", {})

    def logout(self) -> Any:
        """Ends the provider's session too, when the user signed in through it: RP-initiated logout (OpenID
        Connect) or a single logout request (SAML)."""
        id_token = session.pop(ID_TOKEN, None)
        saml_session = session.pop(SAML_SESSION, None)
        if not current_user.is_authenticated:
            return None
        if id_token and config.oidc_enabled():
            logout_user()
            url = oidc.logout_url(id_token, tk.url_for("user.logged_out_page", _external=True))
            return tk.redirect_to(url) if url else tk.redirect_to("user.logged_out_page")
        if saml_session and config.saml_enabled():
            logout_user()
            try:
                url = saml.logout_redirect(saml_session)
            except SignInRefused:  # the provider cannot be reached: the hub's side is ended all the same
                url = None
            return tk.redirect_to(url) if url else tk.redirect_to("user.logged_out_page")
        return None
