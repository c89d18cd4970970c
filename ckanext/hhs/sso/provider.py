"""What the provider says now about people who signed in before: Keycloak's admin REST API, read with
the hub's own service account (client credentials, authenticated by `private_key_jwt`)."""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT

from . import config, oidc

log = logging.getLogger(__name__)

SAML_NAME_ID_ATTRIBUTE = "saml.persistent.name.id.for"

__all__ = ["AdminApi", "Person", "ProviderUnavailable"]


class ProviderUnavailable(Exception):
    """The provider could not be asked; nothing may be concluded about anyone."""


@dataclasses.dataclass
class Person:
    exists: bool
    enabled: bool = False
    groups: list[str] = dataclasses.field(default_factory=list)


class AdminApi:
    def __init__(self) -> None:
        try:
            metadata = oidc._metadata(oidc.client())
        except Exception as e:  # noqa: BLE001 (SignInRefused, or a client the configuration cannot make)
            raise ProviderUnavailable(str(e)) from e
        self.base = config.admin_api()
        try:
            auth = OAuth2Session(
                config.oidc_client_id(),
                oidc._private_key(),
                token_endpoint_auth_method="private_key_jwt",
            )
            auth.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"]))
            token = auth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials", timeout=oidc.TIMEOUT)
        except Exception as e:  # noqa: BLE001 (a key, a refusal or a broken answer: no sync, never a 500)
            log.warning("sync: the hub's service account got no token: %r", e)
            raise ProviderUnavailable(f"the provider refused the hub's service account: {e}") from e
        # The bearer token is sent as it is: a sync is shorter than any sensible token lifespan.
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token['access_token']}"

    def _get(self, path: str) -> requests.Response:
        try:
            return self.http.get(f"{self.base}{path}", timeout=oidc.TIMEOUT)
        except requests.RequestException as e:
            raise ProviderUnavailable(str(e)) from e

    def person(self, subject: str) -> Person:
        """The person an OpenID Connect subject names (Keycloak's user id)."""
        quoted = urllib.parse.quote(subject, safe="")
        found = self._get(f"/users/{quoted}")
        if found.status_code == 404:
            return Person(exists=False)
        if found.status_code != 200:
            raise ProviderUnavailable(f"GET user answered HTTP {found.status_code}")
        return self._with_groups(found.json())

    def saml_person(self, name_id: str, sp_entity_id: str) -> Person:
        """The person a persistent SAML NameID names. Keycloak makes that NameID once per person and service
        provider and keeps it as the user attribute `saml.persistent.name.id.for.<client id>` (a SAML client's
        id is the service provider's entity id), so the user is found by searching that attribute."""
        attribute = f"{SAML_NAME_ID_ATTRIBUTE}.{sp_entity_id}"
        found = self._get(
            "/users?" + urllib.parse.urlencode({"q": f"{_quoted(attribute)}:{_quoted(name_id)}", "exact": "true"})
        )
        if found.status_code != 200:
            raise ProviderUnavailable(f"GET users by SAML NameID answered HTTP {found.status_code}")
        people = found.json()
        if not people:
            return Person(exists=False)
        if len(people) > 1:  # a NameID names one person; more is a provider fault, not an answer
            raise ProviderUnavailable(f"{len(people)} users carry the SAML NameID {name_id}")
        return self._with_groups(people[0])

    def _with_groups(self, user: dict) -> Person:
        quoted = urllib.parse.quote(user["id"], safe="")
        groups = self._get(f"/users/{quoted}/groups?briefRepresentation=true&max=1000")
        if groups.status_code != 200:
            raise ProviderUnavailable(f"GET user groups answered HTTP {groups.status_code}")
        return Person(
            exists=True,
            enabled=bool(user.get("enabled")),
            groups=[g["path"] for g in groups.json() if g.get("path")],
        )


def _quoted(term: str) -> str:
    """A name or value of Keycloak's `q` user search, quoted: entity ids hold ':' and '/'."""
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'
