"""The "Imported catalogs" table shows a catalog imported from a file on the server by its file name to
Board members (the server path is for sysadmins only, as in package_show); a URL is shown as it is."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.governance.metrics.figures import compute_figures
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PATH = "/srv/hhs/imports/private-staging/cms-catalog.json"
URL = "https://cms.example.gov/data.json"


def _headers(user: dict) -> dict:
    token = helpers.call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")
    return {"Authorization": token["token"]}


def test_a_server_path_is_shown_by_its_file_name_except_to_sysadmins(app, board):
    cms = factories.Division(name="cms", bureau_code="009:38")
    factories.HhsDataset(owner_org=cms["id"], name="cms-from-file", source_catalog=PATH)
    factories.HhsDataset(owner_org=cms["id"], name="cms-from-url", source_catalog=URL)
    compute_figures()
    sysadmin = ckan_factories.Sysadmin()

    def shown(user):
        figures = helpers.call_action(
            "hhs_governance_metrics_show", context={"user": user["name"], "ignore_auth": False}, division="cms"
        )["figures"]
        return sorted(c["source_catalog"] for c in figures["imported"])

    assert shown(board.member) == ["cms-catalog.json (file)", URL]
    assert shown(sysadmin) == [PATH, URL]
    for path in ("/governance/?division=cms", "/governance/imported.csv?division=cms", "/governance/"):
        member_view = app.get(path, headers=_headers(board.member), status=200).get_data(as_text=True)
        assert "/srv/hhs" not in member_view and "cms-catalog.json" in member_view and URL in member_view
    admin_view = app.get("/governance/?division=cms", headers=_headers(sysadmin), status=200).get_data(as_text=True)
    assert PATH in admin_view


def test_the_fix_list_and_suggestions_name_a_file_source_by_its_file_name():
    import ckan.model as model

    from ckanext.hhs.governance.quality import model as qm

    cms = factories.Division(name="cms", bureau_code="009:38")
    dataset = factories.HhsDataset(owner_org=cms["id"], name="cms-from-file", source_catalog=PATH)
    model.Session.add(
        qm.Suggestion(
            package_id=dataset["id"],
            owner_org=cms["id"],
            key="missing:notes:x",
            kind="missing",
            field="notes",
            reason="No description",
            status="accepted",
            outcome="fix_list",
            source=PATH,
            identifier="cms-1",
        )
    )
    model.Session.commit()
    rows = helpers.call_action("hhs_governance_fixlist_show", division="cms")["rows"]
    assert [r["source"] for r in rows] == ["cms-catalog.json (file)"]
    listed = helpers.call_action("hhs_governance_suggestion_list", id=dataset["id"], status="accepted")
    assert "/srv/hhs" not in str(listed) and "cms-catalog.json (file)" in str(listed)
