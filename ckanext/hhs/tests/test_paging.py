"""Paging, once (ckanext/hhs/logic/paging.py): every list action refuses an offset past MAX_OFFSET and a
limit past `ckan.search.rows_max` (or its own smaller cap) with an error naming the field."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers

from ckanext.hhs.logic import paging

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")

LIST_ACTIONS = {
    "hhs_glossary_term_list": {},
    "hhs_glossary_term_datasets": {"id": "any-term"},
    "hhs_governance_gap_list": {},
    "hhs_governance_duplicate_list": {},
    "hhs_governance_suggestion_list": {},
    "hhs_governance_linkcheck_list": {},
    "hhs_lakehouse_table_list": {},
    "hhs_marketplace_request_list": {},
    "hhs_marketplace_licence_search": {},
    "hhs_marketplace_need_list": {},
    "hhs_marketplace_use_record_export": {},
}


@pytest.mark.parametrize("action", sorted(LIST_ACTIONS))
@pytest.mark.parametrize(("field", "value"), [("offset", paging.MAX_OFFSET + 1), ("limit", 1001), ("limit", -1)])
def test_list_actions_refuse_pages_past_the_caps(action, field, value):
    sysadmin = factories.Sysadmin()
    with pytest.raises(tk.ValidationError) as e:
        helpers.call_action(action, {"user": sysadmin["name"], "ignore_auth": False}, **LIST_ACTIONS[action],
                            **{field: value})  # fmt: skip
    assert field in e.value.error_dict


@pytest.mark.ckan_config("ckan.search.rows_max", "5")
def test_the_configured_maximum_caps_every_list():
    sysadmin = factories.Sysadmin()
    context = {"user": sysadmin["name"], "ignore_auth": False}
    with pytest.raises(tk.ValidationError) as e:
        helpers.call_action("hhs_glossary_term_list", context, limit=6)
    assert "limit" in e.value.error_dict
    assert helpers.call_action("hhs_glossary_term_list", context, limit=5, offset=paging.MAX_OFFSET)["results"] == []
