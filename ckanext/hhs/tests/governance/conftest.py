"""Fixtures of the governance tests: the Data Governance Board with a member and an editor."""

from __future__ import annotations

import types

import pytest

from ckan.tests import factories as ckan_factories

from ckanext.hhs.tests import factories


@pytest.fixture
def board():
    """The board organization, a board member (sees figures), a board editor (decides) and an outsider."""
    member, editor, outsider = ckan_factories.User(), ckan_factories.User(), ckan_factories.User()
    org = factories.Division(
        name="data-governance-board",
        kind="governance",
        bureau_code="009:90",
        users=[{"name": member["name"], "capacity": "member"}, {"name": editor["name"], "capacity": "editor"}],
    )
    return types.SimpleNamespace(org=org, member=member, editor=editor, outsider=outsider)
