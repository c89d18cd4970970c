"""Outbound requests to sources an admin configured (catalogs, later tables and link checks).

Only http(s); hosts that resolve to private, loopback or link-local addresses are refused unless
allow-listed in `ckanext.hhs.allowed_private_hosts`; a timeout and a size cap always apply.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

import requests

from . import config


class FetchError(Exception):
    """The source could not be fetched; the message says why, for a job report."""


def check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FetchError(f"Only http(s) URLs can be fetched, not {url!r}")
    host = parsed.hostname
    if host in config.allowed_private_hosts():
        return
    try:
        infos = socket.getaddrinfo(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except socket.gaierror as e:
        raise FetchError(f"Cannot resolve host {host!r}: {e}") from e
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise FetchError(
                f"Refusing to fetch {url}: {host} resolves to the non-public address {address}; "
                "an admin may allow it in ckanext.hhs.allowed_private_hosts"
            )


def fetch_bytes(url: str) -> bytes:
    """GET url with the configured timeout and size cap; redirects are checked like the first URL."""
    check_url(url)
    limit = config.max_fetch_bytes()
    try:
        with requests.get(
            url,
            timeout=config.fetch_timeout(),
            stream=True,
            allow_redirects=False,
            headers={"User-Agent": "ckanext-hhs catalog harvester"},
        ) as response:
            if response.is_redirect:
                return fetch_bytes(requests.compat.urljoin(url, response.headers["location"]))
            if response.status_code != 200:
                raise FetchError(f"{url} answered HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{url} is larger than the {limit} byte limit")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.Timeout as e:
        raise FetchError(f"{url} did not answer within {config.fetch_timeout()} s") from e
    except requests.RequestException as e:
        raise FetchError(f"Cannot fetch {url}: {e}") from e
