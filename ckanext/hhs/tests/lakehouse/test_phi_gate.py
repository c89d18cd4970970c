"""The PHI preview gate holds against editors (issue #23): a table (its resolved location) is registered
once, on one resource; moving a registered table and declassifying a dataset that has tables take the
right to allow PHI previews (the division's admins)."""

from __future__ import annotations

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.lakehouse import model as lm

from .conftest import PLUGINS, act, cms_enrollment, lake_dataset, register, write_parquet

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def phi(people, lake):
    """A CMS dataset holding identifiable PHI with its table registered by the division's admin, and an
    editor of CMS who is not an admin."""
    ckan_factories.User(name="cms-editor")
    helpers.call_action("organization_member_create", id=people["cms"]["id"], username="cms-editor", role="editor")
    path = write_parquet(str(lake / "cms" / "phi" / "claims"), cms_enrollment())
    dataset, resource = lake_dataset(people["cms"], "phi-claims", "parquet", phi_classification="identifiable-phi")
    register("cms-steward", resource, path, "parquet")
    return {"path": path, "dataset": dataset, "resource": resource}


def test_a_phi_table_cannot_be_registered_again_on_a_public_dataset(people, lake, phi):
    _, public = lake_dataset(people["cms"], "not-phi", "parquet", phi_classification="none")
    for uri in (phi["path"], str(lake / "cms" / "phi"), str(lake / "cms"), phi["path"] + "/../claims/."):
        with pytest.raises(tk.ValidationError) as e:
            register("cms-editor", public, uri, "parquet")
        assert e.value.error_dict.get("table_uri"), uri
    # Not by the division's admin either: one table, one registration.
    with pytest.raises(tk.ValidationError, match="registered once"):
        register("cms-steward", public, phi["path"], "parquet")
    # Nor by saving the resource with the URI (the route the plugin registers by itself).
    with pytest.raises(tk.ValidationError) as e:
        act("resource_patch", "cms-editor", id=public["id"], table_uri=phi["path"], table_format="parquet")
    assert "registered once" in e.value.error_dict["table_uri"][0]
    with pytest.raises(tk.ValidationError):
        helpers.call_action(
            "resource_create", context={"user": "cms-editor", "ignore_auth": False},
            package_id=public["package_id"], name="again", url="https://example.com/y",
            resource_kind="lakehouse", table_uri=phi["path"], table_format="parquet",
        )  # fmt: skip
    # So the analyst still previews nothing of it.
    with pytest.raises(tk.ObjectNotFound):
        act("hhs_lakehouse_preview", "analyst", id=public["id"])
    with pytest.raises(tk.NotAuthorized, match="identifiable PHI"):
        act("hhs_lakehouse_preview", "analyst", id=phi["resource"]["id"])
    # A table of its own beside it is fine.
    other = write_parquet(str(lake / "cms" / "public" / "t"), cms_enrollment())
    assert register("cms-editor", public, other, "parquet")["status"] == "ok"


def test_declassifying_a_dataset_with_tables_is_for_the_divisions_admins(people, phi):
    for phi_class in ("none", "de-identified", ""):
        with pytest.raises(tk.ValidationError) as e:
            act("package_patch", "cms-editor", id=phi["dataset"]["id"], phi_classification=phi_class)
        assert "admins" in e.value.error_dict["phi_classification"][0]
    assert helpers.call_action("package_show", id=phi["dataset"]["id"])["phi_classification"] == "identifiable-phi"
    with pytest.raises(tk.NotAuthorized, match="identifiable PHI"):
        act("hhs_lakehouse_preview", "analyst", id=phi["resource"]["id"])
    # Other edits by the editor still go through, and the admin may declassify.
    act("package_patch", "cms-editor", id=phi["dataset"]["id"], notes="Updated notes.")
    act("package_patch", "cms-steward", id=phi["dataset"]["id"], phi_classification="de-identified")
    assert len(act("hhs_lakehouse_preview", "analyst", id=phi["resource"]["id"])["rows"]) == 4


def test_moving_a_registered_table_is_for_the_divisions_admins(people, lake, phi):
    elsewhere = write_parquet(str(lake / "cms" / "elsewhere"), cms_enrollment())
    with pytest.raises(tk.ValidationError) as e:
        register("cms-editor", phi["resource"], elsewhere, "parquet")
    assert "move" in e.value.error_dict["table_uri"][0]
    with pytest.raises(tk.ValidationError):
        act("resource_patch", "cms-editor", id=phi["resource"]["id"], table_uri=elsewhere)
    # Registering it again where it is, or editing the resource otherwise, is not a move.
    register("cms-editor", phi["resource"], phi["path"], "parquet")
    act("resource_patch", "cms-editor", id=phi["resource"]["id"], description="Claims.")
    assert register("cms-steward", phi["resource"], elsewhere, "parquet")["status"] == "ok"
    assert model.Session.get(lm.LakehouseTable, phi["resource"]["id"]).table_uri == elsewhere


def test_a_deleted_resources_table_is_not_queried_nor_taken(people, lake, phi):
    register("cms-steward", phi["resource"], phi["path"], "parquet", allow_phi_preview=True)
    sql = "select count(*) from phi_claims__phi_claims_table"
    assert act("hhs_lakehouse_query", "analyst", sql=sql)["rows"] == [[4]]
    act("resource_delete", "cms-editor", id=phi["resource"]["id"])
    with pytest.raises(tk.ValidationError, match="no registered table phi_claims__phi_claims_table"):
        act("hhs_lakehouse_query", "analyst", sql=sql)
    # Its location stays taken: deleting the resource is not a way to move the table.
    _, public = lake_dataset(people["cms"], "after-delete", "parquet", phi_classification="none")
    with pytest.raises(tk.ValidationError, match="registered once"):
        register("cms-editor", public, phi["path"], "parquet")
