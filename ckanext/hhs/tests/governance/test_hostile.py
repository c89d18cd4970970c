"""Hostile values the security probe sent to governance actions (each was an HTTP 500): now a clear
validation error naming the field."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("hhs_governance_metrics_show", {"date": "9999-12-31"}, "date"),
        ("hhs_governance_duplicate_list", {"offset": 10**23}, "offset"),
        ("hhs_governance_duplicate_list", {"offset": "99999999999999999999999"}, "offset"),
        ("hhs_governance_suggestion_list", {"offset": "9223372036854775808"}, "offset"),
        ("hhs_governance_fixlist_show", {"division": "cdc", "source": "x\x00"}, "source"),
    ],
)
def test_out_of_range_and_nul_values_are_validation_errors(action, data, field):
    factories.Division(name="cdc", bureau_code="009:20")
    sysadmin = ckan_factories.Sysadmin()
    with pytest.raises(tk.ValidationError) as e:
        helpers.call_action(action, context={"user": sysadmin["name"], "ignore_auth": False}, **data)
    assert field in e.value.error_dict


def test_the_board_cannot_link_to_a_dataset_it_may_not_see(board):
    """hhs_governance_authoritative_set outside a duplicate pair: a private dataset the caller may not see
    answers as a missing one (the link would publish its id; the answer would confirm it exists)."""
    cms = factories.Division(name="cms", bureau_code="009:38")
    copy = factories.HhsDataset(owner_org=factories.Division(name="cdc", bureau_code="009:20")["id"])
    hidden = factories.HhsDataset(owner_org=cms["id"], private=True)
    editor = {"user": board.editor["name"], "ignore_auth": False}
    for target in (hidden["name"], "no-such-dataset"):
        with pytest.raises(tk.ValidationError) as e:
            helpers.call_action(
                "hhs_governance_authoritative_set", context=dict(editor), id=copy["id"], authoritative_dataset=target
            )
        assert e.value.error_dict == {"authoritative_dataset": ["No such dataset"]}


@pytest.mark.usefixtures("clean_index")
def test_a_public_copy_does_not_give_its_private_sources_id_away(app):
    """The Board linked a public CDC copy to a private CMS source: anonymous callers, and users who may not
    open the source, get the copy without ``authoritative_dataset``; those who may open it get it from
    package_show (search results never carry it, and the index cannot be probed for it); an editor of the
    copy who may not see the source saves it without losing the link."""
    sysadmin = ckan_factories.Sysadmin()
    member, cdc_editor = ckan_factories.User(), ckan_factories.User()
    cms = factories.Division(name="cms", users=[{"name": member["name"], "capacity": "member"}])
    cdc_users = [{"name": cdc_editor["name"], "capacity": "editor"}]
    cdc = factories.Division(name="cdc", bureau_code="009:20", users=cdc_users)
    source = factories.HhsDataset(owner_org=cms["id"], private=True)
    copy = factories.HhsDataset(owner_org=cdc["id"])
    helpers.call_action(
        "hhs_governance_authoritative_set",
        context={"user": sysadmin["name"], "ignore_auth": False},
        id=copy["id"],
        authoritative_dataset=source["id"],
    )

    def shown(user=None):
        headers = {"Authorization": ckan_factories.APIToken(user=user)["token"]} if user else {}
        response = app.get(f"/api/3/action/package_show?id={copy['id']}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:800]
        got = response.json["result"]
        found = app.get(f"/api/3/action/package_search?fq=id:{copy['id']}", headers=headers).json["result"]
        return got.get("authoritative_dataset"), found["results"][0].get("authoritative_dataset")

    assert shown() == (None, None)
    assert shown(cdc_editor["name"]) == (None, None)
    assert shown(member["name"]) == (source["id"], None)  # search results never carry it (unindexed.py)
    assert source["id"] not in app.get(f"/dataset/{copy['name']}").get_data(as_text=True)
    for query in ("fl=id,extras_authoritative_dataset", "fl=data_dict", "fl=validated_data_dict", "fl=*"):
        raw = app.get(f"/api/3/action/package_search?fq=id:{copy['id']}&{query}")
        assert raw.status_code == 200 and source["id"] not in raw.get_data(as_text=True), query
    probe = app.get(f"/api/3/action/package_search?fq=authoritative_dataset:{source['id'][:2]}*").json["result"]
    assert probe["count"] == 0  # the index cannot be probed for the id either
    helpers.call_action(
        "package_patch", context={"user": cdc_editor["name"], "ignore_auth": False}, id=copy["id"], notes="Edited"
    )
    assert helpers.call_action("package_show", id=copy["id"])["authoritative_dataset"] == source["id"]
