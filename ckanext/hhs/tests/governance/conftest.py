"""Fixtures of the governance tests: the Data Governance Board with a member and an editor."""

from __future__ import annotations

import threading
import types

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

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


@pytest.fixture
def purge_elsewhere():
    """Purge a dataset as another process would: in its own thread, so its own database session (the
    purge ends its session, which would detach the objects of the job under test)."""

    def purge_in_a_thread(package_id: str) -> None:
        def purge():
            try:
                helpers.call_action("dataset_purge", id=package_id)
            finally:
                model.Session.remove()

        worker = threading.Thread(target=purge)
        worker.start()
        worker.join()

    return purge_in_a_thread
