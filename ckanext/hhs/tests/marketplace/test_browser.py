"""Marketplace pages in a real browser (Debian's chromium through Playwright), logged out and in,
checked with axe-core for WCAG 2.1 A/AA; and requesting access the way a person does it."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests.browser import axe_check

from .conftest import ask, in_days

PASSWORD = "marketplace-test-1"

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _check(page, base: str, path: str) -> None:
    response = page.goto(base + path)
    assert response.status == 200, path
    axe_check(page, f"marketplace{path}")


def test_marketplace_pages_pass_axe_logged_out_and_in(live_server, browser, world):
    person = ckan_factories.User(name="browser-analyst", password=PASSWORD, email="b@cdc.example.gov")
    helpers.call_action("organization_member_create", id="cdc", username=person["name"], role="member")
    need = helpers.call_action(
        "hhs_marketplace_need_create", context={"user": world.analyst["name"]}, title="Claims", description="Claims"
    )
    licence = helpers.call_action(
        "hhs_marketplace_licence_create",
        context={"user": world.steward["name"]},
        vendor="IQVIA",
        product="National Prescription Audit",
        holder="cms",
        start_date=in_days(-1),
        end_date=in_days(300),
    )
    ask(world)
    product = f"/marketplace/{world.product['name']}"

    # The live server is the site URL (tests/conftest.py), so CKAN's redirects and cookies stay on it.
    page = browser.new_page()
    site = live_server
    for path in ("/marketplace", "/marketplace?product_type=dataset_bundle", product):
        _check(page, site, path)

    page.goto(site + "/user/login")
    page.fill("#field-login", person["name"])
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()

    for path in (
        "/marketplace",
        product,
        "/marketplace/requests",
        "/marketplace/licences",
        f"/marketplace/licences/{licence['id']}",
        "/marketplace/needs",
        f"/marketplace/needs/{need['id']}",
        "/marketplace/metrics",
    ):
        _check(page, site, path)

    # Request access as a person does: the form, the terms, the button.
    page.goto(site + product)
    page.get_by_label("Purpose").fill("Flu vaccine effectiveness")
    page.get_by_label("Access needed until").fill(in_days(30))
    page.get_by_label("I accept the product's standard terms").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Request access").click()
    assert "/marketplace/requests/" in page.url, page.inner_text("[role=main]")[:1500]
    assert page.get_by_text("Your request was sent to the product's stewards.").is_visible()
    axe_check(page, "marketplace-request-sent")


def _login(page, site: str, name: str) -> None:
    page.context.clear_cookies()
    page.goto(site + "/user/login")
    page.fill("#field-login", name)
    page.fill("#field-password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()


def _walk_data(world, tmp_path, monkeypatch) -> SimpleNamespace:
    """The restricted dataset with a listing title, an uploaded file and a registered lakehouse table; a CMS
    steward and an FDA analyst who sign in with a password."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from werkzeug.datastructures import FileStorage

    import ckan.plugins.toolkit as tk

    from ckanext.hhs.tests import factories

    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", str(tmp_path))
    steward = ckan_factories.User(name="cms-walk-steward", password=PASSWORD, email="walk-steward@cms.example.gov")
    helpers.call_action("organization_member_create", id="cms", username=steward["name"], role="editor")
    analyst = ckan_factories.User(name="fda-analyst", password=PASSWORD, email="analyst@fda.example.gov")
    factories.Division(name="fda", title="Food and Drug Administration", bureau_code="009:10",
                       users=[{"name": analyst["name"], "capacity": "member"}])  # fmt: skip
    helpers.call_action("package_patch", id=world.secret["id"], listing_title="Medicare FFS claims, line level")
    site_user = {"user": world.sysadmin["name"]}
    file = helpers.call_action(
        "resource_create", context=dict(site_user), package_id=world.secret["id"], name="Claims sample",
        url="claims.csv",
        upload=FileStorage(io.BytesIO(b"bene_id,clm_pmt_amt\nB1,120.50\nB2,80.00\n"), filename="claims.csv"),
    )  # fmt: skip
    folder = tmp_path / "cms" / "claims"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"bene_id": ["B1", "B2"], "clm_pmt_amt": [120.5, 80.0]}), str(folder / "part-0.parquet"))
    table_resource = helpers.call_action(
        "resource_create", context=dict(site_user), package_id=world.secret["id"], name="Claims table",
        url="https://example.com/claims", resource_kind="lakehouse",
    )  # fmt: skip
    sql_name = helpers.call_action(
        "hhs_lakehouse_table_register", context=dict(site_user), id=table_resource["id"], table_uri=str(folder),
        table_format="parquet", queue=False,
    )["sql_name"]  # fmt: skip
    return SimpleNamespace(
        steward=steward,
        analyst=analyst,
        site_user=site_user,
        download=f"/dataset/{world.secret['id']}/resource/{file['id']}/download/claims.csv",
        sql=f"SELECT count(*) AS n FROM {sql_name}",
    )


def _mail_to(mail_server, address: str) -> str:
    """The body of the one mail sent to the address."""
    import email

    # CKAN's FakeSMTP keeps (None, from, to, message).
    (sent,) = [m for m in mail_server.get_smtp_messages() if address in m[2]]
    message = email.message_from_string(sent[3] if isinstance(sent[3], str) else sent[3].decode())
    return message.get_payload(decode=True).decode()


def _run_query(page, site: str, sql: str) -> str:
    page.goto(site + "/lakehouse/query")
    page.get_by_label("SQL").fill(sql)
    with page.expect_navigation():
        page.get_by_role("button", name="Run").click()
    return page.inner_text("[role=main]")


def _fill_the_request(page, purpose: str) -> str:
    """Request access on the product page as a person does; returns the request's page address."""
    page.get_by_label("Purpose").fill(purpose)
    page.get_by_label("Access needed until").fill(in_days(30))
    page.get_by_label("I accept the product's standard terms").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Request access").click()
    return page.url


def test_the_walk_from_request_to_rows_and_back(live_server, browser, world, mail_server, tmp_path, monkeypatch):
    """Issue #27, done when: the FDA analyst finds the CMS product, sees the restricted component named,
    requests; the CMS steward approves in one form; the analyst follows the mail's link, downloads the
    file and queries the table; after expiry both are refused; the data-use record shows every step;
    axe-core finds no WCAG 2.1 A/AA violation on any page."""
    w = _walk_data(world, tmp_path, monkeypatch)
    site, page = live_server, browser.new_page()

    # The FDA analyst finds the CMS product and sees the restricted component by its listing title.
    _login(page, site, w.analyst["name"])
    page.goto(site + "/marketplace?q=Medicare+claims")
    axe_check(page, "walk-1-search")
    with page.expect_navigation():
        page.get_by_role("link", name="Medicare claims for research").first.click()
    main = page.inner_text("[role=main]")
    assert "Medicare FFS claims, line level" in main and "Restricted: access on request" in main
    assert world.secret["title"] not in page.content()
    axe_check(page, "walk-2-product")
    request_url = _fill_the_request(page, "Post-market safety signal study")
    request_id = request_url.rstrip("/").rsplit("/", 1)[-1]
    axe_check(page, "walk-3-requested")

    # The CMS steward sees who asks and approves in the one form.
    _login(page, site, w.steward["name"])
    page.goto(request_url)
    main = page.inner_text("[role=main]")
    assert "analyst@fda.example.gov" in main and "Food and Drug Administration (member)" in main
    axe_check(page, "walk-4-decide")
    page.get_by_label("Approve").check()
    page.get_by_label("Message to the requester (required to ask or reject)").fill("Approved for the study")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the decision").click()
    assert "Approved" in page.inner_text("[role=main]")
    axe_check(page, "walk-5-approved")

    # The analyst follows the mail's link to the data, downloads the file and runs a query.
    link = re.search(
        rf"{re.escape(site)}/dataset/{re.escape(world.secret['name'])}", _mail_to(mail_server, w.analyst["email"])
    )
    assert link
    _login(page, site, w.analyst["name"])
    page.goto(link.group(0))
    assert "You have access until" in page.inner_text("[role=main]")
    axe_check(page, "walk-6-dataset")
    response = page.request.get(site + w.download)
    assert response.status == 200 and "B1,120.50" in response.text()
    _run_query(page, site, w.sql)
    assert page.locator("table").count() >= 1 and "2" in page.locator("table").first.inner_text()
    axe_check(page, "walk-7-query")

    # After the grant's end both are refused.
    helpers.call_action("hhs_marketplace_grants_expire", context=dict(w.site_user), as_of=in_days(31))
    assert page.request.get(site + w.download).status in (403, 404)
    _run_query(page, site, w.sql)
    assert page.locator("table").count() == 0
    axe_check(page, "walk-8-query-refused")

    # The data-use record shows every step, and prints without the site's frame.
    page.goto(f"{site}/marketplace/requests/{request_id}/record")
    record = page.inner_text("[role=main]")
    for step in ("submit by fda-analyst", "approve by cms-walk-steward", "use by fda-analyst", "expire by system"):
        assert step in record, (step, record)
    assert "Version 2 of 2: expired" in record and "Medicare FFS claims, line level" in record
    axe_check(page, "walk-9-record")
    page.emulate_media(media="print")
    assert not page.locator(".hhs-record-noprint").first.is_visible()
