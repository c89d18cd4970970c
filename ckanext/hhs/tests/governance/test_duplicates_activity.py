"""Setting the authoritative-source flag is recorded in the dataset's activity stream as the board
editor's change, and a harvested dataset stays the division's record (its kept source record)."""

from __future__ import annotations

import json
import os

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.hhs.harvest import importer
from ckanext.hhs.tests import factories

PLUGINS = (
    "hhs hhs_catalog hhs_harvest hhs_glossary hhs_marketplace hhs_lakehouse hhs_governance scheming_datasets "
    "scheming_organizations dcat dcat_rdf_harvester structured_data harvest"
)
CMS_JSON = os.path.join(os.path.dirname(__file__), "..", "..", "data", "demo", "cms-data.json")

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", f"activity {PLUGINS}"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def test_flag_on_a_harvested_dataset_is_the_board_editors_activity(board):
    factories.Division(name="cms", bureau_code="009:38")
    with open(CMS_JSON, encoding="utf-8") as f:
        record = json.load(f)["dataset"][0]
    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    importer.import_catalog({"user": site}, {"dataset": [record]}, "cms", "https://data.cms.gov/data.json")
    pkg = model.Session.query(model.Package).filter_by(state="active").one()
    pod_record, source_hash = pkg.extras["pod_record"], pkg.extras["source_hash"]

    helpers.call_action(
        "hhs_governance_authoritative_set", context={"user": board.editor["name"]}, id=pkg.id, authoritative=True
    )

    activities = helpers.call_action("package_activity_list", id=pkg.id)
    assert activities[0]["activity_type"] == "changed package"
    assert activities[0]["user_id"] == board.editor["id"]
    shown = helpers.call_action("package_show", id=pkg.id)
    assert shown["authoritative_source"] is True
    assert shown["pod_record"] == pod_record and shown["source_hash"] == source_hash
    assert shown["source_catalog"]
