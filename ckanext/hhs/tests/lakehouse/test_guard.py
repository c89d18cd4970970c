"""The native readers (delta-rs, Arrow's S3 client, pyiceberg) reach object storage only through the core
fetch guard: the endpoint resolved once by the guard and every connection pinned to that address (a
rebinding resolver), one deadline that cuts a slow endpoint, reads only; and Iceberg queries read only
what the query needs."""

from __future__ import annotations

import socket
import threading
import time

import boto3
import pytest

import ckan.plugins.toolkit as tk

from ckanext.hhs import net
from ckanext.hhs.lakehouse import config as lake_config
from ckanext.hhs.lakehouse import query, readers

from .conftest import PLUGINS, act, cdc_cases, cms_enrollment, lake_dataset, register, write_delta, write_iceberg
from .test_s3 import KEY_ID, SECRET, _free_port, moto_server  # noqa: F401 (the module's moto server)

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _configure(monkeypatch, endpoint: str, allowed: str) -> str:
    bucket = f"lake-{_free_port()}"
    root = f"s3://{bucket}/tables"
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", root)
    monkeypatch.setitem(
        tk.config,
        "ckanext.hhs.lakehouse.s3_endpoints",
        f"{root} endpoint={endpoint} region=us-east-1 key_id={KEY_ID} secret={SECRET}",
    )
    monkeypatch.setitem(tk.config, "ckanext.hhs.allowed_private_hosts", allowed)
    return root


@pytest.fixture
def named_s3(moto_server, monkeypatch):  # noqa: F811
    """The moto endpoint under a name only the guard can resolve (Python's resolver, patched below):
    the native clients cannot resolve it themselves, so a read that works went through the guard."""
    direct, port = moto_server
    root = _configure(monkeypatch, f"http://lakestore:{port}", f"lakestore:{port}")
    bucket = root.split("/")[2]
    boto3.client(
        "s3", endpoint_url=direct, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name="us-east-1"
    ).create_bucket(Bucket=bucket)
    real = socket.getaddrinfo
    asked: list[str] = []

    def rebinding(host, *args, **kwargs):
        if host != "lakestore":
            return real(host, *args, **kwargs)
        asked.append(host)
        # The first answer is the allowed loopback endpoint; any later lookup would get another address.
        return real("127.0.0.1" if len(asked) == 1 else "10.255.255.1", *args, **kwargs)

    # Tables are written straight to moto; only the portal's reads go through the name.
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    return root, direct, asked


def _write_tables(root: str, direct: str) -> None:
    options = {
        "AWS_ENDPOINT_URL": direct,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
    write_delta(f"{root}/cms/enrollment", cms_enrollment(), storage_options=options)
    write_iceberg(
        f"{root}/cdc/cases",
        "cdc",
        "cases",
        cdc_cases(),
        **{
            "s3.endpoint": direct,
            "s3.region": "us-east-1",
            "s3.access-key-id": KEY_ID,
            "s3.secret-access-key": SECRET,
        },
    )


def test_readers_resolve_nothing_themselves_and_stay_pinned(people, named_s3):
    root, direct, asked = named_s3
    _write_tables(root, direct)
    asked.clear()
    _, cms = lake_dataset(people["cms"], "cms-enrollment", "delta")
    _, cdc = lake_dataset(people["cdc"], "cdc-cases", "iceberg")
    delta = register("cms-steward", cms, f"{root}/cms/enrollment", "delta")
    assert (delta["status"], delta["rows"]) == ("ok", 4), delta["error"]
    # One read (many connections: the log listing, log files, one request per connection) looked the
    # name up once; every connection went to that checked address.
    assert asked == ["lakestore"]
    asked.clear()
    iceberg = register("cdc-steward", cdc, f"{root}/cdc/cases", "iceberg")
    assert (iceberg["status"], iceberg["rows"]) == ("ok", 4), iceberg["error"]
    assert asked == ["lakestore"]
    asked.clear()
    result = act(
        "hhs_lakehouse_query",
        "analyst",
        sql="select count(*) as n from cms_enrollment__cms_enrollment_table e "
        "join cdc_cases__cdc_cases_table c on e.state_fips = c.StateFIPS",
    )
    assert result["rows"] == [[3]]
    assert asked == ["lakestore"]  # both tables, one query: one deadline, one lookup


def test_the_proxy_serves_reads_of_its_one_endpoint_only(moto_server, monkeypatch):  # noqa: F811
    endpoint, port = moto_server
    monkeypatch.setitem(tk.config, "ckanext.hhs.allowed_private_hosts", f"127.0.0.1:{port} 127.0.0.1:6379")
    with net.Guard(5) as guard, net.Proxy(guard, endpoint) as proxy:
        auth = proxy.url.split("//", 1)[1].split("@", 1)[0]
        import base64

        token = base64.b64encode(auth.encode()).decode()

        def ask(request: bytes) -> bytes:
            with socket.create_connection(("127.0.0.1", proxy.port), 5) as s:
                s.sendall(request)
                return s.recv(4096)

        head = f"Host: 127.0.0.1:{port}\r\nProxy-Authorization: Basic {token}\r\n\r\n"
        assert ask(f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\n{head}".encode()).startswith(b"HTTP/1.1 200")
        assert b"405" in ask(f"PUT http://127.0.0.1:{port}/bucket HTTP/1.1\r\n{head}".encode()).split(b"\r\n")[0]
        assert b"502" in ask(f"GET http://127.0.0.1:6379/ HTTP/1.1\r\n{head}".encode()).split(b"\r\n")[0]
        assert b"502" in ask(f"CONNECT 127.0.0.1:5432 HTTP/1.1\r\n{head}".encode()).split(b"\r\n")[0]
        no_auth = f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        assert b"407" in ask(no_auth).split(b"\r\n")[0]
        # CONNECT to the endpoint tunnels (what an https endpoint uses), bytes both ways.
        with socket.create_connection(("127.0.0.1", proxy.port), 5) as s:
            s.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n{head}".encode())
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            s.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            assert s.recv(4096).startswith(b"HTTP/1.1 200")


@pytest.fixture
def slow_endpoint():
    """An endpoint that accepts connections and answers one byte a second, forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def drip(conn):
        with conn:
            while not stop.is_set():
                try:
                    conn.sendall(b"H")
                except OSError:
                    return
                time.sleep(1)

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


@pytest.mark.ckan_config("ckanext.hhs.fetch_timeout", "3")
def test_a_slow_endpoint_is_cut_at_the_one_deadline(people, slow_endpoint, monkeypatch):
    root = _configure(monkeypatch, f"http://127.0.0.1:{slow_endpoint}", f"127.0.0.1:{slow_endpoint}")
    for fmt in ("delta", "iceberg", "parquet"):
        loc = lake_config.resolve(f"{root}/{fmt}/t")
        started = time.monotonic()
        with pytest.raises(readers.ReadError):
            readers.read_metadata(loc, fmt)
        # The libraries' own timeouts and retries would take several times the deadline.
        assert time.monotonic() - started < 3 + 2.5, fmt


def test_iceberg_queries_read_only_what_they_need(people, lake, monkeypatch):
    import pyarrow as pa

    path = str(lake / "cdc" / "big")
    rows = 5000
    table = pa.table(
        {
            "StateFIPS": pa.array([f"{i % 50:02d}" for i in range(rows)]),
            "cases": pa.array(range(rows), pa.int64()),
            "note": pa.array(["x" * 50] * rows),
        }
    )
    write_iceberg(path, "cdc", "big", table)
    loc = lake_config.resolve(path)
    seen = {}
    real = readers._iceberg_scan

    def spy(iceberg, limit, hints):
        out = real(iceberg, limit, hints)
        seen["rows"], seen["columns"] = out.num_rows, out.column_names
        return out

    monkeypatch.setattr(readers, "_iceberg_scan", spy)
    sql = "select cases from t where StateFIPS = '06'"
    with readers.reading():
        source = readers.arrow_source(loc, "iceberg", scan=query.scan_hints(sql, "t", 1000))
        result = query.run(sql, {"t": source}, query.Limits(rows=1000, timeout=10))
    assert len(result.rows) == rows // 50
    assert seen == {"rows": rows // 50, "columns": ["StateFIPS", "cases"]}
    sql = "select * from t"
    with readers.reading():
        source = readers.arrow_source(loc, "iceberg", scan=query.scan_hints(sql, "t", 10))
        result = query.run(sql, {"t": source}, query.Limits(rows=10, timeout=10))
    assert result.truncated and seen["rows"] == 11
    sql = "select count(*) from t where cases >= 100"
    with readers.reading():
        source = readers.arrow_source(loc, "iceberg", scan=query.scan_hints(sql, "t", 10))
        result = query.run(sql, {"t": source}, query.Limits(rows=10, timeout=10))
    assert result.rows == [[rows - 100]] and seen["columns"] == ["cases"]
