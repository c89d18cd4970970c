from __future__ import annotations

import logging
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from .. import accounts, config, provider
from ..model import Identity

log = logging.getLogger(__name__)


def hhs_sso_sync(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Apply the identity provider's current groups to every user who signed in through it: roles a group
    no longer gives are taken away, and a person the provider disabled or removed is closed in the hub
    (signed out at their next request, API tokens revoked). Nobody is touched when the provider cannot be
    asked.

    :returns: counts: ``checked``, ``updated`` (roles applied), ``disabled``, and ``errors`` (subjects the
        provider could not answer for)
    :rtype: dictionary
    """
    tk.check_access("hhs_sso_sync", context, data_dict)
    if not config.oidc_enabled():
        raise tk.ValidationError({"issuer": ["Sign-in with HHS is not configured (ckanext.hhs.sso.oidc.issuer)."]})
    try:
        api = provider.AdminApi()
    except provider.ProviderUnavailable as e:
        raise tk.ValidationError({"provider": [f"The identity provider cannot be asked: {e}"]}) from e
    counts = {"checked": 0, "updated": 0, "disabled": 0, "errors": 0}
    identities = (
        model.Session.query(Identity).filter(Identity.issuer == config.oidc_issuer()).order_by(Identity.user_id).all()
    )
    for identity in identities:
        counts["checked"] += 1
        try:
            person = _person(api, identity)
        except provider.ProviderUnavailable as e:
            log.warning("sync: no answer for subject %s: %s", identity.subject, e)
            counts["errors"] += 1
            continue
        if not person.exists or not person.enabled:
            if not identity.disabled:
                accounts.disable(identity)
                counts["disabled"] += 1
            continue
        user = model.Session.get(model.User, identity.user_id)
        if user is not None and identity.disabled:  # enabled again at the provider
            user.state = "active"
            identity.disabled = False
        if user is None or user.state != "active":
            continue
        identity.groups = " ".join(sorted(person.groups))
        accounts.apply_roles(user, person.groups)
        counts["updated"] += 1
    return counts


def _person(api: provider.AdminApi, identity: Identity) -> provider.Person:
    """What the provider says of the person now: an OpenID Connect subject is Keycloak's user id, a SAML
    subject the persistent NameID Keycloak made for the hub's SAML entity id."""
    if identity.protocol == "saml":
        return api.saml_person(identity.subject, config.saml_entity_id())
    return api.person(identity.subject)
