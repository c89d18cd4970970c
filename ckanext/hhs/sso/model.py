"""Which provider identity is bound to which CKAN user: by the provider's issuer and subject, never by
e-mail (an e-mail can be reassigned or spoofed at another provider; a subject is the provider's own key)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ckan.model import domain_object
from ckan.model.base import BaseModel

__all__ = ["Identity"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Identity(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    __tablename__ = "hhs_sso_identity"

    issuer = sa.Column(sa.UnicodeText, primary_key=True)
    subject = sa.Column(sa.UnicodeText, primary_key=True)
    user_id = sa.Column(sa.UnicodeText, sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    protocol = sa.Column(sa.UnicodeText, nullable=False)  # oidc or saml
    # The provider's groups as last seen (space-separated paths): what the roles were made from.
    groups = sa.Column(sa.UnicodeText, nullable=False, default="")
    # Set by the sync when the provider disabled or removed the person; cleared when they sign in again.
    disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    created = sa.Column(sa.DateTime, nullable=False, default=_now)
    last_seen = sa.Column(sa.DateTime, nullable=False, default=_now)
