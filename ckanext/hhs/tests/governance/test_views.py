"""The governance pages: for board members and sysadmins only."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def test_dashboard_is_for_the_board_and_sysadmins(app, board):
    # anonymous: to the login page (with the way back); logged in outside the Board: 403
    assert "/user/login" in app.get("/governance/", status=302, follow_redirects=False).headers["Location"]
    assert app.get("/governance/", headers={"Authorization": _token(board.outsider)}, status=403)
    for user in (board.member, board.editor, ckan_factories.Sysadmin()):
        page = app.get("/governance/", headers={"Authorization": _token(user)}, status=200).get_data(as_text=True)
        assert "Governance dashboard" in page
        assert 'href="/governance/"' in page  # the header tab


def _token(user: dict) -> str:
    from ckan.tests import helpers

    return helpers.call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")["token"]
