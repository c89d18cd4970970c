"""Mail through a real SMTP server: the demo's sink (aiosmtpd's Maildir handler) on a loopback port."""

from __future__ import annotations

import mailbox
import socket
from email.header import decode_header, make_header

import pytest

import ckan.plugins.toolkit as tk

from .conftest import ask

aiosmtpd = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.handlers import Mailbox  # noqa: E402

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def smtp_sink(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    maildir = tmp_path / "mail"
    controller = aiosmtpd.Controller(Mailbox(str(maildir)), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(tk.config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(tk.config, "smtp.test_server", "")
    yield mailbox.Maildir(str(maildir), create=False)
    controller.stop()


def test_stewards_get_the_request_by_mail(world, smtp_sink):
    request = ask(world)
    messages = list(smtp_sink)
    assert {m["To"].split("<")[-1].rstrip(">") for m in messages} == {
        "steward@cms.example.gov",
        "admin@cms.example.gov",
    }
    subject = str(make_header(decode_header(messages[0]["Subject"])))
    assert subject == "New access request: Medicare claims for research"
    body = messages[0].get_payload(decode=True).decode()
    assert f"/marketplace/requests/{request['id']}" in body
    assert "Study flu vaccination" in body
