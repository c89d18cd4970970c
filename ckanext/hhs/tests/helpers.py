"""Plain functions the tests share: calling an action as someone, authenticating a request or signing a client
in, a division with a member in a role, the governance board, POD records and catalogs (the demo CMS one, a
file imported), a harvest source, a mail sink. Fixtures stay in conftest.py and the test files (a fixture calls
these)."""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import mailbox
import os
import pathlib
import re
import socket
from collections.abc import Iterator
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import vocab
from ckanext.hhs.tests import factories

CMS_CATALOG = os.path.join(vocab.DATA, "demo", "cms-data.json")
PASSWORD = "hhs-test-password-1"
POD_CATALOG = {
    "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
    "@type": "dcat:Catalog",
    "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
}


def act(action: str, user: str, **data: Any) -> Any:
    """`action` called as the user named `user` ("" for anonymous), its auth function checked as in a request."""
    return helpers.call_action(action, context={"user": user, "ignore_auth": False}, **data)


def auth_headers(user: str) -> dict[str, str]:
    """Request headers that authenticate as the user named `user` (a new API token of theirs)."""
    token = helpers.call_action("api_token_create", context={"user": user}, user=user, name="t")
    return {"Authorization": token["token"]}


def logged_in(app, user: dict):
    """A client that keeps its cookies (session, CSRF token, flash messages), signed in through the login form
    (`app.get` starts a new client each time)."""
    import ckan.model as model

    obj = model.User.get(user["name"])
    obj.password = PASSWORD
    model.Session.commit()
    client = app.test_client()
    login = client.get("/user/login").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', login).group(1)
    client.post("/user/login", data={"login": user["name"], "password": PASSWORD, "_csrf_token": token})
    return client


def division_with(capacity: str, name: str = "cms", **fields: Any) -> tuple[dict, dict]:
    """A new user and a new division (`fields` go to the Division factory) where they have `capacity`
    (member, editor, admin): (user, division)."""
    user = ckan_factories.User()
    division = factories.Division(name=name, users=[{"name": user["name"], "capacity": capacity}], **fields)
    return user, division


@functools.cache
def _cms() -> dict:
    with open(CMS_CATALOG, encoding="utf-8") as f:
        return json.load(f)


def cms_demo_catalog(records: int | None = None) -> dict:
    """The demo CMS data.json (POD v1.1), a copy of one's own, with its first `records` records only if given."""
    catalog = copy.deepcopy(_cms())
    if records is not None:
        catalog["dataset"] = catalog["dataset"][:records]
    return catalog


def pod_record(identifier: str, title: str, description: str, **changes: Any) -> dict:
    """A POD v1.1 dataset record of CMS (bureau 009:38) with `changes` made."""
    return {
        "@type": "dcat:Dataset",
        "identifier": identifier,
        "title": title,
        "description": description,
        "keyword": ["claims"],
        "modified": "2024-01-01",
        "publisher": {"@type": "org:Organization", "name": "Centers for Medicare & Medicaid Services"},
        "contactPoint": {"@type": "vcard:Contact", "fn": "Data Team", "hasEmail": "mailto:data@cms.hhs.gov"},
        "bureauCode": ["009:38"],
        "programCode": ["009:000"],
        "accessLevel": "public",
        **changes,
    }


def governance_board(*reviewers: str) -> dict:
    """The data governance board, the division whose editors review glossary terms: the named users."""
    board = factories.Division(name="data-governance-board", kind="governance", bureau_code="009:90")
    for name in reviewers:
        helpers.call_action("organization_member_create", id=board["id"], username=name, role="editor")
    return board


def harvest_source(
    url: str, division: dict, name: str, title: str, source_type: str = "hhs_datajson", config: dict | None = None
) -> dict:
    """A new harvest source of `division` that reads `url` (`config`: the source's options)."""
    return helpers.call_action(
        "harvest_source_create",
        name=name,
        title=title,
        url=url,
        source_type=source_type,
        owner_org=division["id"],
        config=json.dumps(config) if config else None,
    )


def import_pod_records(user: str, path: pathlib.Path, records: list[dict], division: str) -> dict:
    """`records` written to `path` as a POD v1.1 catalog and imported from there into `division` by the user
    named `user` (the import job, deleting what the file no longer lists): the job's report."""
    from ckanext.hhs.harvest import jobs

    path.write_text(json.dumps({**POD_CATALOG, "dataset": records}))
    return jobs.import_catalog(user, str(path), division, "delete")


@contextlib.contextmanager
def smtp_sink(folder: pathlib.Path, monkeypatch) -> Iterator[mailbox.Maildir]:
    """A real SMTP server on loopback (aiosmtpd) that CKAN's mailer is set to for the test: what it received,
    as a Maildir in `folder`."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Mailbox(str(folder)), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(tk.config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(tk.config, "smtp.test_server", "")
    try:
        yield mailbox.Maildir(str(folder), create=False)
    finally:
        controller.stop()
