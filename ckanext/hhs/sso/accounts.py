"""Provider identities and CKAN users: binding by subject, creating and updating the user, and the roles
that follow from the provider's groups through `ckanext.hhs.sso.group_roles`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import secrets

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs import roles
from ckanext.hhs.context import site_context
from ckanext.hhs.roles import ROLES

from . import config
from .model import Identity

log = logging.getLogger(__name__)

__all__ = ["Claims", "SignInRefused", "apply_roles", "disable", "roles_from_groups", "sign_in"]


class SignInRefused(Exception):
    """A sign-in or link the hub refuses; the message is for the person signing in."""


@dataclasses.dataclass
class Claims:
    """What a provider vouched for, whichever protocol carried it."""

    protocol: str
    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False
    username: str = ""
    fullname: str = ""
    groups: list[str] = dataclasses.field(default_factory=list)


def _match(pattern: str, group: str) -> str | None:
    """The segment a `*` in PATTERN matched in GROUP ('' when PATTERN has none), or None if no match."""
    want, have = pattern.strip("/").split("/"), group.strip("/").split("/")
    if len(want) != len(have):
        return None
    caught = ""
    for w, h in zip(want, have, strict=True):
        if w == "*":
            caught = h
        elif w != h:
            return None
    return caught


def roles_from_groups(groups: list[str]) -> tuple[dict[str, str], bool]:
    """({organization name: capacity}, sysadmin) that the groups give through the mapping."""
    orgs: dict[str, str] = {}
    sysadmin = False
    for pair in config.group_roles():
        pattern, _, target = pair.partition("=")
        for group in groups:
            caught = _match(pattern, group)
            if caught is None:
                continue
            role = target.replace("*", caught)
            if role == "sysadmin":
                sysadmin = True
                continue
            org, _, capacity = role.partition(":")
            if capacity in ROLES and ROLES[capacity] > ROLES.get(orgs.get(org, ""), 0):
                orgs[org] = capacity
    return orgs, sysadmin


def apply_roles(user: model.User, groups: list[str]) -> None:
    """Makes the user's organization roles and sysadmin flag what the groups give (and, with
    manage_memberships, takes away what they no longer give). A deleted organization gives no role, so
    its memberships are neither counted nor touched (roles.memberships: active organizations only)."""
    wanted, sysadmin = roles_from_groups(groups)
    current = {org.id: capacity for org, capacity in roles.memberships(user)}
    context = site_context()
    kept = set()
    for org_name, capacity in wanted.items():
        org = model.Group.get(org_name)
        if org is None or not org.is_organization or org.state != "active":
            log.warning("group mapping names organization %r, which the hub does not have", org_name)
            continue
        kept.add(org.id)
        if current.get(org.id) != capacity:
            tk.get_action("organization_member_create")(
                dict(context), {"id": org.id, "username": user.name, "role": capacity}
            )
    if config.manage_memberships():
        for org_id in set(current) - kept:
            tk.get_action("organization_member_delete")(dict(context), {"id": org_id, "username": user.name})
    if sysadmin != bool(user.sysadmin) and (sysadmin or config.manage_memberships()):
        user.sysadmin = sysadmin
    model.Session.commit()


def _name_for(claims: Claims) -> str:
    base = re.sub(r"[^a-z0-9_-]+", "-", (claims.username or claims.email.split("@")[0]).lower()).strip("-_")
    base = (base or "staff")[:90]
    if len(base) < 2:
        base = f"staff-{base}"
    name = base
    while model.User.get(name) is not None:
        name = f"{base}-{secrets.token_hex(3)}"
    return name


def _existing_by_email(email: str) -> model.User | None:
    if not email:
        return None
    # Case-insensitively: Casey@CDC and casey@cdc are one mailbox, and one account.
    return (
        model.Session.query(model.User)
        .filter(sa.func.lower(model.User.email) == email.lower(), model.User.state != "deleted")
        .first()
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def sign_in(claims: Claims) -> model.User:
    """The CKAN user of a verified identity: found by (issuer, subject), else linked or created; updated
    from the claims, roles applied. Refuses, leaving nothing behind, what must not sign in."""
    if not claims.subject:
        raise SignInRefused("The HHS identity service sent no subject; sign-in refused.")
    identity = model.Session.get(Identity, (claims.issuer, claims.subject))
    if identity is not None:
        user = model.Session.get(model.User, identity.user_id)
        if user is None or (user.state != "active" and not identity.disabled):
            raise SignInRefused("Your account in the hub is disabled. Ask a hub administrator.")
        if identity.disabled:  # disabled by the sync; the provider signs the person in again, so it re-enabled them
            user.state = "active"
            identity.disabled = False
    else:
        user = _existing_by_email(claims.email)
        if user is not None:
            linked = model.Session.query(Identity).filter(Identity.user_id == user.id).first()
            if not (config.link_verified_email() and claims.email_verified and linked is None):
                raise SignInRefused(
                    "An account with your e-mail address already exists in the hub and is not linked to your HHS "
                    "identity. Ask a hub administrator to link them."
                )
        else:
            if not claims.email:
                raise SignInRefused("Your HHS identity has no e-mail address; the hub needs one to make your account.")
            created = tk.get_action("user_create")(
                site_context(),
                {
                    "name": _name_for(claims),
                    "email": claims.email,
                    "fullname": claims.fullname,
                    "password": secrets.token_urlsafe(32),
                },
            )
            user = model.User.get(created["id"])
        identity = Identity(issuer=claims.issuer, subject=claims.subject, user_id=user.id, protocol=claims.protocol)
        model.Session.add(identity)
    if claims.fullname and user.fullname != claims.fullname:
        user.fullname = claims.fullname
    if claims.email and user.email != claims.email:
        holder = _existing_by_email(claims.email)
        if holder is None or holder.id == user.id:
            user.email = claims.email
        else:
            log.warning(
                "user %s: provider e-mail %s belongs to another account; kept %s", user.name, claims.email, user.email
            )
    identity.groups = " ".join(sorted(claims.groups))
    identity.last_seen = _now()
    model.Session.commit()
    apply_roles(user, claims.groups)
    return user


def disable(identity: Identity) -> None:
    """The provider disabled or removed the person: the account is closed (sessions end at their next
    request, since CKAN signs out inactive users) and every API token is revoked."""
    user = model.Session.get(model.User, identity.user_id)
    if user is None:
        return
    model.Session.query(model.ApiToken).filter(model.ApiToken.user_id == user.id).delete()
    user.state = "deleted"
    identity.disabled = True
    model.Session.commit()
