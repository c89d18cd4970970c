from __future__ import annotations

import contextlib
import http.server
import threading
import time

import pytest


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[bytes, str, float]] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body, content_type, delay = self.routes.get(self.path, (b"not found", "text/plain", 0))
        time.sleep(delay)
        self.send_response(404 if body == b"not found" else 200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class CatalogServer:
    """A real HTTP server on 127.0.0.1 serving what a test puts at a path."""

    def __init__(self):
        self.routes: dict[str, tuple[bytes, str, float]] = {}
        handler = type("Handler", (_Handler,), {"routes": self.routes})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, body: bytes | str, content_type: str = "application/json", delay: float = 0) -> str:
        self.routes[path] = (body.encode() if isinstance(body, str) else body, content_type, delay)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def catalog_server():
    server = CatalogServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
