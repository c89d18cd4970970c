"""The quality pages as the Board and the stewards see them: only the dataset's stewards get Accept and
Dismiss (a Board member sees the suggestions), a refusal is a message on the page rather than a bare 403,
a finding without a value offers no Accept, values and divisions are shown by name."""

from __future__ import annotations

import re

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.hhs.tests import factories

from . import test_quality
from .test_quality import MOJIBAKE, PLUGINS, _ctx, _suggestions

cms = test_quality.cms

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckanext.hhs.glossary.similar_by_meaning", "false"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _login(app, user: dict):
    obj = model.User.get(user["name"])
    obj.password = "quality-test-password-1"
    model.Session.commit()
    client = app.test_client()
    client.post(
        "/user/login",
        data={"login": user["name"], "password": "quality-test-password-1", **_csrf(client, "/user/login")},
    )
    return client


def _csrf(client, url: str) -> dict:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="_csrf_token" (?:value|content)="([^"]+)"', page)
    return {"_csrf_token": match.group(1)} if match else {}


@pytest.fixture
def checked(cms):
    """A hub dataset of CMS with a mojibake repair and a steward finding (CMS names no steward here)."""
    model.Group.get("cms").extras.pop("steward_email", None)
    model.Session.commit()
    dataset = factories.HhsDataset(owner_org=cms["org"]["id"], title="Medicare Open Enrollment Counts", notes=MOJIBAKE)
    helpers.call_action("hhs_governance_quality_check", context=_ctx(cms["editor"]), id=dataset["id"], wait=True)
    return dataset


def test_a_board_editor_sees_suggestions_but_no_accept(cms, checked, app):
    repair = next(s for s in _suggestions(checked["id"], cms["board"].editor) if s["kind"] == "encoding")
    for verb in ("accept", "dismiss"):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action(f"hhs_governance_suggestion_{verb}", context=_ctx(cms["board"].editor), id=repair["id"])
    client = _login(app, cms["board"].editor)
    page = client.get(f"/dataset/{checked['name']}").get_data(as_text=True)
    assert "Quality suggestions" in page
    assert "/governance/quality/suggestion/" not in page  # no Accept, no Dismiss
    # A stale page's button: a message on the dataset page, not a bare 403.
    form = _csrf(client, f"/dataset/{checked['name']}")
    response = client.post(f"/governance/quality/suggestion/{repair['id']}/accept", data=form, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert checked["title"] in page
    assert "may decide on its suggestions" in page
    assert model.Session.get(test_quality.qm.Suggestion, repair["id"]).status == "open"


def test_the_steward_gets_primary_accept_with_unique_labels_and_findings_without_accept(cms, checked, app):
    found = _suggestions(checked["id"], cms["editor"])
    finding = next(s for s in found if s["suggested"] is None)
    client = _login(app, cms["editor"])
    page = client.get(f"/dataset/{checked['name']}").get_data(as_text=True)
    assert f"/governance/quality/suggestion/{finding['id']}/accept" not in page
    assert f"/governance/quality/suggestion/{finding['id']}/dismiss" in page
    assert "a finding to fix by hand" in page
    accepts = re.findall(r'<button class="([^"]+)" type="submit" aria-label="(Accept [^"]+)"', page)
    assert accepts and all(cls == "usa-button" for cls, _ in accepts)
    labels = re.findall(r'aria-label="((?:Accept|Dismiss) [^"]+)"', page)
    assert len(labels) == len(set(labels))
    with pytest.raises(tk.ValidationError):
        helpers.call_action("hhs_governance_suggestion_accept", context=_ctx(cms["editor"]), id=finding["id"])


def test_the_board_page_names_divisions_by_title(cms, checked, app):
    client = _login(app, cms["board"].member)
    page = client.get("/governance/quality").get_data(as_text=True)
    assert cms["org"]["title"] in page
    assert ">cms</a>" not in page
    assert "usa-table--stacked" in page
