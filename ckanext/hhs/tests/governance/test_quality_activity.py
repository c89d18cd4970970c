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
    pytest.mark.ckan_config("ckanext.hhs.glossary.similar_by_meaning", "false"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def test_accept_is_in_the_activity_stream_as_the_stewards_change(cms):
    dataset = factories.HhsDataset(owner_org=cms["org"]["id"], title="Medicare Open Enrollment Counts", notes=MOJIBAKE)
    helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
    repair = next(s for s in _suggestions(dataset["id"], cms["editor"]) if s["kind"] == "encoding")
    helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=repair["id"])
    activities = helpers.call_action(
        "package_activity_list", context=_ctx(cms["editor"]), id=dataset["id"], include_hidden_activity=True
    )
    said, changed = activities[0], activities[1]
    assert said["activity_type"] == "accepted quality suggestion"
    assert said["data"]["suggestion"]["field"] == "notes"
    assert changed["activity_type"] == "changed package"
    assert changed["user_id"] == said["user_id"] == cms["editor"]["id"]
    assert changed["data"]["package"]["notes"] == repair["suggested"]


def _activity_page(app, user: dict, name: str) -> str:
    token = helpers.call_action("api_token_create", context=_ctx(user), user=user["name"], name="t")
    return app.get(f"/dataset/activity/{name}", headers={"Authorization": token["token"]}, status=200).get_data(
        as_text=True
    )


def test_accepted_glossary_term_is_said_by_name_in_the_activity_stream(cms, app):
    test_quality._seed_glossary()
    dataset = factories.HhsDataset(
        owner_org=cms["org"]["id"],
        title="Part D Prescriber Counts",
        notes="Counts of Medicare beneficiaries who filled prescriptions, by prescriber and state.",
    )
    helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
    term = next(
        s
        for s in _suggestions(dataset["id"], cms["editor"], kind="glossary")
        if s["suggested"] == "medicare-beneficiary"
    )
    assert term["suggested_text"] == "Medicare beneficiary"  # its name, not its slug
    helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=term["id"])

    latest = helpers.call_action("package_activity_list", context=_ctx(cms["editor"]), id=dataset["id"])[0]
    assert latest["activity_type"] == "accepted quality suggestion"
    assert latest["user_id"] == cms["editor"]["id"]
    assert latest["data"]["suggestion"]["suggested_text"] == "Medicare beneficiary"
    page = _activity_page(app, cms["editor"], dataset["name"])
    assert 'accepted the suggested glossary term "Medicare beneficiary"' in page


def test_accept_on_a_harvested_dataset_is_recorded_on_it_as_going_onto_the_fix_list(cms, tmp_path, app):
    test_quality._import_cms(tmp_path, 1)
    helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["board"].editor), wait=True)
    steward = next(s for s in test_quality.model.Session.query(test_quality.qm.Suggestion) if s.kind == "steward")
    helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=steward.id)

    latest = helpers.call_action("package_activity_list", context=_ctx(cms["editor"]), id=steward.package_id)[0]
    assert latest["activity_type"] == "accepted quality suggestion"
    assert latest["data"]["suggestion"]["outcome"] == "fix_list"
    name = latest["data"]["package"]["name"]
    page = _activity_page(app, cms["editor"], name)
    assert "went onto the fix list of" in page
    assert cms["org"]["title"] in page
