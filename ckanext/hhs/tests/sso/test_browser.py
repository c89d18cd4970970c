"""Signing in through Keycloak's own login page in a real browser: a CDC editor and a Board member land
back on the page they came from and can do what their groups allow; the sync takes a removed role away;
the hub's login and refusal pages pass axe-core."""

from __future__ import annotations

import pytest

from ckan.cli.cli import ckan

from ckanext.hhs.tests.browser import axe_check
from ckanext.hhs.tests.factories import Division

from .conftest import PASSWORD


def _sign_in_at_keycloak(page, username: str) -> None:
    page.click("#hhs-sso-signin")
    page.wait_for_selector("#kc-login")
    assert page.url.startswith("http://127.0.0.1:8180/realms/hhs/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#kc-login")


@pytest.mark.usefixtures("clean_db", "with_plugins")
class TestBrowserSignIn:
    def test_a_cdc_editor_signs_in_at_keycloak_and_lands_where_they_came_from(self, live_server, browser,
                                                                              keycloak, cli):
        Division(name="cdc", title="Centers for Disease Control and Prevention")
        Division(name="data-governance-board", title="Data Governance Board")
        person = keycloak.user(["/divisions/cdc/editor"], prefix="cdc")
        page = browser.new_page()
        page.goto(f"{live_server}/user/login?came_from=/organization/cdc")
        axe_check(page, "sso/login")
        _sign_in_at_keycloak(page, person["username"])
        page.wait_for_url(f"{live_server}/organization/cdc")
        # An editor of CDC may add datasets to CDC, and is no Board member.
        assert page.locator("a[href*='/dataset/new']").count() >= 1
        assert page.goto(f"{live_server}/governance/duplicates").status == 403

        keycloak.leave(person["id"], "/divisions/cdc/editor")
        assert cli.invoke(ckan, ["hhs", "sso", "sync"]).exit_code == 0
        page.goto(f"{live_server}/organization/cdc")
        assert page.locator("a[href*='/dataset/new']").count() == 0

    def test_a_board_member_is_sent_to_sign_in_and_comes_back_to_the_board_page(self, live_server, browser,
                                                                                 keycloak):
        Division(name="cms", title="Centers for Medicare & Medicaid Services")
        Division(name="data-governance-board", title="Data Governance Board")
        person = keycloak.user(["/board/member", "/divisions/cms/member"], prefix="board")
        page = browser.new_page()
        page.goto(f"{live_server}/governance/duplicates")
        assert "/user/login" in page.url  # anonymous visitors are asked to sign in, and come back
        _sign_in_at_keycloak(page, person["username"])
        page.wait_for_url(f"{live_server}/governance/duplicates")
        assert page.locator("h1").first.is_visible()
        assert page.goto(f"{live_server}/governance/duplicates").status == 200

    def test_the_refusal_page_says_why_and_passes_axe(self, live_server, browser):
        page = browser.new_page()
        response = page.goto(f"{live_server}/user/sso/callback?state=forged&code=x")
        assert response.status == 400
        assert "state does not match" in page.inner_text("#hhs-sso-refused")
        axe_check(page, "sso/refused")

    def test_the_sign_out_not_confirmed_page_says_why_and_passes_axe(self, live_server, browser):
        """What /user/saml/sls shows for a logout answer it does not accept (here one for no sign-out of the
        hub's), the one SSO page the SAML single logout adds."""
        page = browser.new_page()
        response = page.goto(f"{live_server}/user/saml/sls?SAMLResponse=x&RelayState=never-issued")
        assert response.status == 400
        assert "does not belong to a sign-out started here" in page.inner_text("#hhs-sso-refused")
        assert page.inner_text("h1") == "Sign-out not confirmed"
        axe_check(page, "sso/sign-out-not-confirmed")
