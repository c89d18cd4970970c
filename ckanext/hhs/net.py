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

A refusal or failure, whatever went wrong (a redirect to ftp://, a bad host name, a broken body), is a
FetchError and nothing else (a requests ConnectionError, so code written for requests, like
ckanext-dcat's harvester, reports it): its text tells a caller nothing about which internal addresses
or ports answer; `detail` says more, for logs and sysadmins.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import logging
import re
import secrets
import select
import socket
import socketserver
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
        response = guard.session().get(url)  # raises nothing but FetchError
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


# IPv6 forms that carry an IPv4 address in their last 32 bits: IPv4-compatible (::/96, deprecated but
# routed to the IPv4 host by some stacks; `is_global` is True for it), IPv4-mapped, IPv4-translated
# (RFC 2765), and NAT64 (RFC 6052's well-known prefix, RFC 8215's local-use one: on a NAT64 network
# 64:ff9b::7f00:1 reaches 127.0.0.1). The IPv4 address they carry is what is checked.
_EMBEDDING = tuple(
    ipaddress.ip_network(prefix)
    for prefix in ("::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is None and any(address in prefix for prefix in _EMBEDDING):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
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
        # One watchdog per guard shuts every socket it opened when the deadline passes (a proxy opens
        # one per request, so not a timer thread per socket).
        self._sockets: list[socket.socket] = []
        self._watchdog: threading.Timer | None = None
        # host:port -> the address checked for it: resolved once per guard, every connection pinned to it.
        self._pinned: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()

    def _expire(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shutdown(sock)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchError(
                f"The source did not answer within {self.seconds:g} s",
                f"The source did not answer within {self.seconds:g} s",
            )
        return left

    def session(self, text: bool = False) -> requests.Session:
        """A requests session whose every request and redirect goes through this guard; whatever goes
        wrong, its requests raise FetchError and nothing else.

        `text`: a body must be UTF-8 text (for callers that decode it themselves, as ckanext-dcat does,
        where a UnicodeDecodeError would stop the harvest consumer)."""
        session = _GuardedSession()
        if text:
            session.hooks["response"].append(_utf8_only)
        session.trust_env = False  # no proxies or .netrc from the environment
        session.max_redirects = MAX_REDIRECTS
        session.headers["User-Agent"] = USER_AGENT
        adapter = _GuardedAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def pin(self, host: str, port: int) -> str:
        """The checked address of host:port, resolved on first use; every later connection goes to it."""
        with self._lock:
            address = self._pinned.get((host, port))
            if address is None:
                address = self._pinned[(host, port)] = _resolve(host, port)
            return address

    def connect(self, host: str, port: int, timeout: Any, **options: Any) -> socket.socket:
        """A socket to the checked address of host, shut down when the deadline passes."""
        address = self.pin(host, port)
        limit = min(self.remaining(), timeout) if isinstance(timeout, (int, float)) else self.remaining()
        sock = u3_connection.create_connection((address, port), limit, **options)
        with self._lock:
            self._sockets = [s for s in self._sockets if s.fileno() != -1]  # forget closed ones
            self._sockets.append(sock)
            if self._watchdog is None:
                self._watchdog = threading.Timer(self.remaining(), self._expire)
                self._watchdog.daemon = True
                self._watchdog.start()
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
        except Exception as e:  # ChunkedEncodingError, ContentDecodingError, SSL errors, ...
            self.remaining()  # a socket shut down at the deadline says so
            raise FetchError(f"Reading {response.url} failed: {e!r}") from e
        self.remaining()
        response._content = b"".join(chunks)
        # The length of what was read: a Content-Length that is not a number, or that of the compressed
        # body, would mislead a caller that checks it (ckanext-dcat's int() of it stopped the harvest).
        response.headers["Content-Length"] = str(len(response._content))


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


def _utf8_only(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    try:
        response.content.decode("utf-8")
    except UnicodeDecodeError as e:
        message = f"{response.url} is not UTF-8 text (byte {e.start})"
        raise FetchError(message, "The source is not UTF-8 text") from e


class _GuardedSession(requests.Session):
    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        # Every error a fetch can raise becomes the guard's own, at the guard: a redirect to ftp:// is
        # requests' InvalidSchema, a bad host name InvalidURL or UnicodeError, a broken body
        # ChunkedEncodingError; a caller that catches only requests' ConnectionError (ckanext-dcat, the
        # harvest consumers) would otherwise stop on them.
        try:
            return super().request(method, url, *args, **kwargs)
        except FetchError:
            raise
        except Exception as e:
            found = _refusal(e)
            if found is not None:
                raise found from e
            raise FetchError(f"Cannot fetch {str(url)[:200]}: {e!r}") from e

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
        except Exception as e:
            self.guard.remaining()
            raise _refusal(e) or FetchError(f"Cannot fetch {request.url}: {e!r}") from e
        self.guard.read(response)
        return response


class Proxy:
    """A loopback HTTP proxy through which a native client (delta-rs, Arrow's S3 client, pyiceberg) reaches
    one endpoint under a guard, for clients that open their own connections.

    Clients set it as their HTTP proxy, so they never resolve or connect to the endpoint themselves: an
    https endpoint is reached by CONNECT (TLS stays end to end, the client checks the certificate), an
    http one by absolute-form GET/HEAD requests only (reads), one request per connection. Every request
    names its target again and is checked again (the URL shape, the one host:port this proxy serves,
    the guard's resolved and pinned address), so a redirect the client follows is checked like the
    first request; every socket is cut at the guard's deadline, and after it nothing is forwarded.
    Only the client given `url` (a random password) may use it.
    """

    def __init__(self, guard: Guard, endpoint: str):
        _parse(endpoint)
        parsed = urlsplit(endpoint)
        self.guard = guard
        self.scheme = parsed.scheme
        self.target = ((parsed.hostname or "").lower(), parsed.port or (443 if parsed.scheme == "https" else 80))
        self.password = secrets.token_urlsafe(18)
        self._auth = "Basic " + base64.b64encode(f"hhs:{self.password}".encode()).decode()
        guard.pin(*self.target)  # refused here, before any client is given the proxy
        self._sockets: list[socket.socket] = []
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://hhs:{self.password}@127.0.0.1:{self.port}"

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for sock in list(self._sockets):
            _shutdown(sock)

    def _upstream(self, host: str, port: int) -> socket.socket:
        if (host.lower().rstrip("."), port) != self.target:
            message = f"The storage client asked for {host}:{port}, not its endpoint"
            raise FetchError(message, message)
        sock = self.guard.connect(host, port, self.guard.remaining())
        sock.settimeout(None)
        self._sockets.append(sock)
        return sock


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: Proxy


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        proxy = self.server.proxy
        client: socket.socket = self.request
        proxy._sockets.append(client)
        try:
            client.settimeout(proxy.guard.remaining())
            head, rest = _read_head(client)
            method, target, headers = _request(head)
            if headers.get("proxy-authorization") != proxy._auth:
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n")
                return
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = proxy._upstream(host.strip("[]"), int(port))
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                upstream.sendall(rest)
            else:
                if method not in ("GET", "HEAD"):
                    client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n")
                    return
                _parse(target)
                url = urlsplit(target)
                if url.scheme != "http":
                    raise FetchError(f"{url.scheme} through the proxy must use CONNECT")
                upstream = proxy._upstream(url.hostname or "", url.port or 80)
                lines = [f"{method} {url.path or '/'}{'?' + url.query if url.query else ''} HTTP/1.1"]
                lines += [
                    f"{name}: {value}"
                    for name, value in headers.items()
                    if name not in ("proxy-authorization", "proxy-connection", "connection", "keep-alive")
                ]
                lines.append("Connection: close")
                upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            _relay(client, upstream, proxy.guard)
        except FetchError as e:
            log.warning("Storage request refused: %s", e.detail)
            with contextlib.suppress(OSError):
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        except (OSError, ValueError) as e:
            log.info("Storage request through the proxy ended: %s", e)
        finally:
            with contextlib.suppress(OSError):
                client.close()


_MAX_HEAD = 65536


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(8192)
        if not chunk:
            raise ValueError("the client closed the connection")
        data += chunk
        if len(data) > _MAX_HEAD:
            raise ValueError("request head too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _request(head: bytes) -> tuple[str, str, dict[str, str]]:
    first, *lines = head.decode("latin-1").split("\r\n")
    method, target, _version = first.split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method.upper(), target, headers


def _relay(client: socket.socket, upstream: socket.socket, guard: Guard) -> None:
    """Copy bytes both ways until one side closes or the guard's deadline passes."""
    pair = {client: upstream, upstream: client}
    try:
        while True:
            left = guard.deadline - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select(list(pair), [], [], min(left, 1.0))
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                pair[sock].sendall(data)
    finally:
        _shutdown(upstream)
        with contextlib.suppress(OSError):
            upstream.close()
