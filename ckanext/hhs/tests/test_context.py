"""The core's contexts (ckanext/hhs/context.py): the one site-user context every CLI command, job and seed
uses acts as the site user with auth still checked."""

from __future__ import annotations

import pytest

from ckan import authz
from ckan.tests import helpers

from ckanext.hhs import context

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


def test_the_site_context_is_the_site_user_with_auth_checked():
    site = context.site_context()
    assert site == {"user": helpers.call_action("get_site_user")["name"], "ignore_auth": False}
    assert authz.is_sysadmin(site["user"])
    # Sibling calls made from it carry no ignore_auth either.
    assert "ignore_auth" not in context.fresh(site)


def test_each_call_is_a_new_context_for_the_same_site_user():
    first, second = context.site_context(), context.site_context()
    first["auth_user_obj"] = object()  # an action fills in what it looked up
    assert "auth_user_obj" not in second
    assert context.site_user().name == second["user"]
