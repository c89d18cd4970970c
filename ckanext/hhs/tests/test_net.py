"""The fetch guard (ckanext/hhs/net.py), against real servers on 127.0.0.1: the probe's findings."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time

import pytest

from ckanext.hhs import net

pytestmark = pytest.mark.usefixtures("with_plugins")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/data.json",
        "gopher://example.com/",
        "http://localhost:18080\\@127.0.0.1/cat.json",  # urllib and urllib3 read different hosts
        "http://example.com\\@127.0.0.1/",
        "http://user:secret@example.com/data.json",
        "http://example.com@127.0.0.1/data.json",
        "http://exa mple.com/",
        "http://example.com/\x00",
        "http://example.com:99999/",
        "http:///data.json",
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url):
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(url)
    assert "Only plain http(s) URLs" in str(e.value)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",
        "224.0.0.1",
        "198.18.0.1",
        "192.0.2.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[fe80::1]",
        "[fd00::1]",
        "[2002:7f00:1::]",  # 6to4 wrapping 127.0.0.1
        "[64:ff9b::7f00:1]",  # NAT64 wrapping 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 wrapping the metadata address
    ],
)
def test_special_purpose_addresses_are_refused(address):
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(f"http://{address}:8983/solr/")
    assert "not a public address" in str(e.value)
    assert "8983" not in str(e.value)  # the caller learns nothing of the port


def test_the_allow_list_opens_one_port_not_the_host(catalog_server):
    url = catalog_server.serve("/data.json", json.dumps({"dataset": []}))
    assert json.loads(net.fetch_bytes(url)) == {"dataset": []}
    # Solr answers on the same host; allow-listing the catalog server must not open it.
    with pytest.raises(net.FetchError):
        net.fetch_bytes("http://127.0.0.1:8983/solr/ckan_test/select?q=*:*")


def test_a_redirect_to_a_refused_address_is_refused(catalog_server):
    url = catalog_server.redirect("/data.json", "http://127.0.0.1:8983/solr/ckan_test/select?q=*:*")
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(url)
    assert "not a public address" in str(e.value)


def test_a_redirect_within_the_allowed_server_is_followed(catalog_server):
    target = catalog_server.serve("/real.json", b"[]")
    assert net.fetch_bytes(catalog_server.redirect("/data.json", target)) == b"[]"


def test_a_redirect_loop_ends_with_a_clear_error(catalog_server):
    url = catalog_server.redirect("/loop", "/loop")
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(url)
    assert f"redirects more than {net.MAX_REDIRECTS} times" in str(e.value)


@pytest.mark.ckan_config("ckanext.hhs.fetch_timeout", "1")
def test_a_dripping_source_is_cut_off_at_the_deadline(catalog_server):
    # 60 bytes, one every 0.5 s: each read is quick, the whole would take 30 s.
    url = catalog_server.serve("/data.json", b"x" * 60, drip=0.5)
    started = time.monotonic()
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(url)
    assert "did not answer within 1 s" in str(e.value)
    assert time.monotonic() - started < 10


@pytest.mark.ckan_config("ckanext.hhs.fetch_timeout", "1")
def test_a_silent_source_times_out(catalog_server):
    url = catalog_server.serve("/data.json", b"[]", delay=3)
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(url)
    assert "did not answer within 1 s" in str(e.value)


@pytest.mark.ckan_config("ckanext.hhs.max_fetch_bytes", "100")
def test_a_source_over_the_size_cap_is_refused(catalog_server):
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(catalog_server.serve("/big.json", b"[" + b"1," * 100 + b"1]"))
    assert "too large" in str(e.value)


def test_the_checked_address_is_the_one_connected_to(catalog_server, monkeypatch):
    """The host is resolved once, by the guard; the socket connects to that address (no DNS rebinding)."""
    catalog_server.serve("/data.json", b"[]")
    real = socket.getaddrinfo
    asked = []

    def rebinding(host, *args, **kwargs):
        if host != "catalog.test":
            return real(host, *args, **kwargs)
        asked.append(host)
        # The first answer is the allowed loopback server; a second lookup would get another host.
        return real("127.0.0.1" if len(asked) == 1 else "10.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setitem(
        net.config.tk.config, "ckanext.hhs.allowed_private_hosts", f"catalog.test:{catalog_server.port}"
    )
    assert net.fetch_bytes(f"http://catalog.test:{catalog_server.port}/data.json") == b"[]"
    assert asked == ["catalog.test"]


def test_details_are_kept_for_the_log_not_shown(catalog_server):
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes("http://127.0.0.1:6379/")
    assert "6379" in e.value.detail
    assert "6379" not in str(e.value)


@pytest.mark.parametrize(
    "address",
    [
        "[::127.0.0.1]",  # IPv4-compatible: is_global is True for ::/96
        "[::a9fe:a9fe]",  # IPv4-compatible metadata address
        "[::ffff:0:127.0.0.1]",  # IPv4-translated (RFC 2765)
        "[::ffff:a9fe:a9fe]",  # IPv4-mapped metadata address
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
        "[64:ff9b:1::7f00:1]",  # local-use NAT64
    ],
)
def test_ipv4_carried_in_every_ipv6_form_is_checked(address):
    with pytest.raises(net.FetchError) as e:
        net.fetch_bytes(f"http://{address}:8983/solr/")
    assert "not a public address" in str(e.value)


def test_a_public_ipv4_carried_in_ipv6_is_public():
    assert net._is_public(ipaddress.ip_address("::8.8.8.8"))


@pytest.mark.parametrize(
    "location",
    [
        "ftp://127.0.0.1/data.json",  # CKAN's /download of an ftp resource answers 302 to it
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "http://[::1",  # not a URL
        "http://" + "a" * 70 + ".example/",  # a DNS label over 63 characters: UnicodeError in IDNA
        "http://xn--/",  # bad punycode
    ],
)
def test_a_redirect_anywhere_odd_is_the_guards_error(catalog_server, location):
    url = catalog_server.redirect("/data.json", location)
    with pytest.raises(net.FetchError):
        net.fetch_bytes(url)
    with net.Guard() as guard, pytest.raises(net.FetchError):  # callers with their own session (ckanext-dcat)
        guard.session().head(url, allow_redirects=True)


def test_a_body_that_does_not_decode_is_the_guards_error(catalog_server):
    url = catalog_server.serve("/data.json", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(net.FetchError):
        net.fetch_bytes(url)


def _raw_server(answer: bytes):
    """A one-connection server that answers any request with `answer`, bytes as given."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(answer)
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def test_broken_chunked_encoding_is_the_guards_error(monkeypatch):
    port = _raw_server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbroken\r\n")
    monkeypatch.setitem(net.config.tk.config, "ckanext.hhs.allowed_private_hosts", f"127.0.0.1:{port}")
    with pytest.raises(net.FetchError):
        net.fetch_bytes(f"http://127.0.0.1:{port}/data.json")


def test_text_sessions_refuse_bytes_that_are_not_utf8(catalog_server):
    url = catalog_server.serve("/data.rdf", b"<rdf:RDF>\xff\xfe</rdf:RDF>", headers={})
    with net.Guard() as guard:
        assert guard.session().get(url).content.endswith(b"</rdf:RDF>")
        with pytest.raises(net.FetchError) as e:
            guard.session(text=True).get(url)
    assert str(e.value) == "The source is not UTF-8 text"


def test_content_length_is_that_of_what_was_read(monkeypatch):
    # ckanext-dcat does int(Content-Length); urllib3 lets a bogus one through.
    port = _raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\nConnection: close\r\n\r\n[]")
    monkeypatch.setitem(net.config.tk.config, "ckanext.hhs.allowed_private_hosts", f"127.0.0.1:{port}")
    with net.Guard() as guard:
        assert guard.session().get(f"http://127.0.0.1:{port}/").headers["Content-Length"] == "2"
