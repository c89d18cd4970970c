"""Typed getters for the sign-in options; defaults live in config_declaration.yaml."""

from __future__ import annotations

import ckan.plugins.toolkit as tk


def oidc_issuer() -> str:
    return tk.config["ckanext.hhs.sso.oidc.issuer"].rstrip("/")


def oidc_enabled() -> bool:
    return bool(oidc_issuer())


def oidc_client_id() -> str:
    return tk.config["ckanext.hhs.sso.oidc.client_id"]


def oidc_private_key() -> str:
    return tk.config["ckanext.hhs.sso.oidc.private_key"]


def oidc_scope() -> str:
    return tk.config["ckanext.hhs.sso.oidc.scope"]


def oidc_leeway() -> int:
    return tk.asint(tk.config["ckanext.hhs.sso.oidc.leeway"])


def groups_claim() -> str:
    return tk.config["ckanext.hhs.sso.groups_claim"]


def group_roles() -> list[str]:
    return tk.aslist(tk.config["ckanext.hhs.sso.group_roles"])


def manage_memberships() -> bool:
    return tk.asbool(tk.config["ckanext.hhs.sso.manage_memberships"])


def link_verified_email() -> bool:
    return tk.asbool(tk.config["ckanext.hhs.sso.link_verified_email"])


def local_login() -> str:
    return tk.config["ckanext.hhs.sso.local_login"]


def admin_api() -> str:
    configured = tk.config["ckanext.hhs.sso.admin_api"].rstrip("/")
    if configured:
        return configured
    base, _, realm = oidc_issuer().rpartition("/realms/")
    return f"{base}/admin/realms/{realm}" if realm else ""


def button_label() -> str:
    return tk.config["ckanext.hhs.sso.button_label"]


def saml_idp_metadata() -> str:
    return tk.config["ckanext.hhs.sso.saml.idp_metadata"]


def saml_enabled() -> bool:
    return bool(saml_idp_metadata())


def saml_entity_id() -> str:
    return tk.config["ckanext.hhs.sso.saml.entity_id"] or tk.url_for("hhs_sso.saml_metadata", _external=True)


def saml_leeway() -> int:
    return tk.asint(tk.config["ckanext.hhs.sso.saml.leeway"])


def saml_sp_key() -> str:
    return tk.config["ckanext.hhs.sso.saml.sp_key"]


def saml_sp_cert() -> str:
    return tk.config["ckanext.hhs.sso.saml.sp_cert"]
