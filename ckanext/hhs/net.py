"""The one guard every outbound fetch goes through: catalog imports, both harvesters, later tables and
link checks.

A fetch is refused unless:
- the URL is http(s) with a host, has no user info, backslash, whitespace or control character, and
  Python's parser and urllib3's (the one requests fetches with) read the same scheme, host and port;
- every address the host resolves to is global (`ipaddress`: not private, loopback, link-local, shared
  100.64/10, multicast, reserved, ...), unless its `host:port` is in `ckanext.hhs.allowed_private_hosts`;
  the socket connects to the address that was checked, so DNS cannot answer differently in between;
- every redirect hop passes the same checks, and there are at most MAX_REDIRECTS of them;
- connect, redirects and reading the body all finish within one deadline, under the size cap.

A refusal or failure is a FetchError (a requests ConnectionError, so code written for requests, like
ckanext-dcat's harvester, reports it): its text tells a caller nothing about which internal addresses
or ports answer; `detail` says more, for logs and sysadmins.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as u3_connection

from . import config

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
USER_AGENT = "ckanext-hhs (HHS Data Hub)"
PUBLIC_FAILURE = "The source could not be read: it did not answer with a document in time."
_UNSAFE = re.compile(r"[\\\s\x00-\x1f\x7f]")


class FetchError(requests.ConnectionError):
    """The source was refused or could not be fetched."""

    def __init__(self, detail: str, public: str | None = None):
        self.public = public or PUBLIC_FAILURE
        self.detail = detail
        super().__init__(self.public)


def check_url(url: str) -> None:
    """Refuse a URL that is not a plain public http(s) address, before anything is fetched."""
    _parse(url)
    parsed = urlsplit(url)
    _resolve(parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80))


def fetch_bytes(url: str) -> bytes:
    """GET url through the guard: one deadline for the whole fetch, redirects re-checked, size capped."""
    _parse(url)
    with Guard() as guard:
        response = guard.session().get(url)
        if response.status_code != 200:
            message = f"{url} answered HTTP {response.status_code}"
            raise FetchError(message, message)
        return response.content


def _parse(url: str) -> None:
    """Check the URL's shape: the same reading for Python and for urllib3, no tricks."""
    shape = f"Only plain http(s) URLs can be fetched, not {url[:200]!r}"
    if not isinstance(url, str) or _UNSAFE.search(url):
        raise FetchError(shape, shape)
    try:
        ours, theirs = urlsplit(url), urllib3.util.parse_url(url)
        port = ours.port
    except ValueError as e:
        raise FetchError(shape, shape) from e
    if ours.scheme not in ("http", "https") or not ours.hostname or "@" in ours.netloc:
        raise FetchError(shape, shape)
    same = (
        (theirs.scheme or "").lower() == ours.scheme
        and (theirs.host or "").lower().strip("[]") == ours.hostname
        and theirs.port == port
        and theirs.auth is None
    )
    if not same:
        raise FetchError(shape, shape)


def _allowed(host: str, port: int) -> bool:
    host = host.lower().rstrip(".")
    entry = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return entry in {e.lower() for e in config.allowed_private_hosts()}


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return _is_public(embedded)
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> str:
    """The address to connect to: resolved once, every answer checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise FetchError(f"Cannot resolve host {host!r}: {e}", f"The host {host!r} is unknown") from e
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not _allowed(host, port):
        refused = [a for a in addresses if not _is_public(a)]
        if refused:
            message = (
                f"Refusing to fetch from {host}:{port}: it resolves to the non-public address {refused[0]}; "
                "an admin may allow that host:port in ckanext.hhs.allowed_private_hosts"
            )
            raise FetchError(message, f"Refusing to fetch from {host}: it is not a public address")
    return str(addresses[0])


class Guard:
    """One fetch budget: a deadline from now, and the sessions and sockets that spend it."""

    def __init__(self, seconds: float | None = None):
        self.seconds = float(seconds if seconds is not None else config.fetch_timeout())
        self.deadline = time.monotonic() + self.seconds
        self._timers: list[threading.Timer] = []

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchError(
                f"The source did not answer within {self.seconds:g} s",
                f"The source did not answer within {self.seconds:g} s",
            )
        return left

    def session(self) -> requests.Session:
        """A requests session whose every request and redirect goes through this guard."""
        session = _GuardedSession()
        session.trust_env = False  # no proxies or .netrc from the environment
        session.max_redirects = MAX_REDIRECTS
        session.headers["User-Agent"] = USER_AGENT
        adapter = _GuardedAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def connect(self, host: str, port: int, timeout: Any, **options: Any) -> socket.socket:
        """A socket to the checked address of host, shut down when the deadline passes."""
        address = _resolve(host, port)
        limit = min(self.remaining(), timeout) if isinstance(timeout, (int, float)) else self.remaining()
        sock = u3_connection.create_connection((address, port), limit, **options)
        timer = threading.Timer(self.remaining(), _shutdown, [sock])
        timer.daemon = True
        timer.start()
        self._timers.append(timer)
        return sock

    def read(self, response: requests.Response) -> None:
        """Read the whole body now, within the deadline and the size cap."""
        limit, chunks, size = config.max_fetch_bytes(), [], 0
        try:
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{response.url} is larger than the {limit} byte limit", "The source is too large")
                chunks.append(chunk)
        except FetchError:
            raise
        except requests.RequestException as e:
            self.remaining()  # a socket shut down at the deadline says so
            raise FetchError(f"Reading {response.url} failed: {e}") from e
        self.remaining()
        response._content = b"".join(chunks)


def _refusal(error: BaseException | None, depth: int = 0) -> FetchError | None:
    """The guard's refusal inside the errors urllib3 and requests wrap it in."""
    if isinstance(error, FetchError) or error is None or depth > 5:
        return error
    for inner in (*error.args, error.__cause__, error.__context__):
        if isinstance(inner, BaseException) and (found := _refusal(inner, depth + 1)):
            return found
    return None


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _GuardedSession(requests.Session):
    def resolve_redirects(self, response: requests.Response, *args: Any, **kwargs: Any):
        try:
            yield from super().resolve_redirects(response, *args, **kwargs)
        except requests.TooManyRedirects as e:
            message = f"{response.url} redirects more than {MAX_REDIRECTS} times"
            raise FetchError(message, message) from e


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: Guard):
        self.guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        guard = self.guard

        def _new_conn(conn: HTTPConnection) -> socket.socket:
            try:
                return guard.connect(
                    conn._dns_host,
                    conn.port,
                    conn.timeout,
                    source_address=conn.source_address,
                    socket_options=conn.socket_options,
                )
            except FetchError:
                raise  # an OSError too, through requests
            except TimeoutError as e:
                raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out") from e
            except OSError as e:
                raise NewConnectionError(conn, f"Failed to establish a new connection: {e}") from e

        http = type("GuardedHTTPConnection", (HTTPConnection,), {"_new_conn": _new_conn})
        https = type("GuardedHTTPSConnection", (HTTPSConnection,), {"_new_conn": _new_conn})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any):
        _parse(request.url or "")
        left = self.guard.remaining()
        kwargs["proxies"] = {}
        try:
            response = super().send(request, stream=True, timeout=(left, left), **kwargs)
        except FetchError:
            raise
        except requests.RequestException as e:
            self.guard.remaining()
            raise _refusal(e) or FetchError(f"Cannot fetch {request.url}: {e}") from e
        self.guard.read(response)
        return response
