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
