"""Accepting a suggestion on a hub-authored dataset is the steward's own change in its activity stream."""

from __future__ import annotations

import pytest

from ckan.tests import helpers

from ckanext.hhs.tests import factories

from . import test_quality
from .test_quality import MOJIBAKE, PLUGINS, _ctx, _suggestions

cms = test_quality.cms

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", f"activity {PLUGINS}"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """The shared clean_db, plus the activity plugin's tables (the demo keeps activity streams)."""
    reset_db()
    for plugin in ("activity", "harvest", "hhs_glossary", "hhs_governance"):
        migrate_db_for(plugin)


def test_accept_is_in_the_activity_stream_as_the_stewards_change(cms):
    dataset = factories.HhsDataset(owner_org=cms["org"]["id"], title="Medicare Open Enrollment Counts", notes=MOJIBAKE)
    helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
    repair = next(s for s in _suggestions(dataset["id"], cms["editor"]) if s["kind"] == "encoding")
    helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=repair["id"])
    activities = helpers.call_action(
        "package_activity_list", context=_ctx(cms["editor"]), id=dataset["id"], include_hidden_activity=True
    )
    latest = activities[0]
    assert latest["activity_type"] == "changed package"
    assert latest["user_id"] == cms["editor"]["id"]
    assert latest["data"]["package"]["notes"] == repair["suggested"]
