from __future__ import annotations

from . import config


def hhs_sso_enabled() -> bool:
    return config.oidc_enabled()


def hhs_sso_button_label() -> str:
    return config.button_label()


def hhs_sso_local_login() -> str:
    return config.local_login()


def hhs_sso_saml_enabled() -> bool:
    return config.saml_enabled()
