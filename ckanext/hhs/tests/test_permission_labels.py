"""Search permission labels of a signed-in user (permission_labels.py): worked out only when needed."""

from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories

from ckanext.hhs.permission_labels import DraftPermissionLabels
from ckanext.hhs.tests import factories


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_signed_in_labels_are_worked_out_only_for_a_label_other_than_public():
    user = ckan_factories.User()
    division = factories.Division(users=[{"name": user["name"], "capacity": "editor"}])
    labels = DraftPermissionLabels().get_user_dataset_labels(model.User.get(user["name"]))

    # A public dataset (CKAN's package_show auth, once per resource on a dataset page) needs no query.
    assert "public" in labels
    assert labels._labels is None

    assert f"member-{division['id']}" in labels
    assert list(labels) == ["public", f"creator-{user['id']}", f"member-{division['id']}",
                            f"draft-editor-{division['id']}"]  # fmt: skip
    assert "member-elsewhere" not in labels
    assert DraftPermissionLabels().get_user_dataset_labels(None) == ["public"]


@pytest.mark.ckan_config("ckan.plugins", "activity hhs scheming_datasets scheming_organizations dcat")
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_a_signed_in_users_labels_reach_postgresql_in_the_activity_queries():
    """The activity plugin binds the labels as an SQL array: they must adapt like a list."""
    from ckan.tests import helpers

    user = ckan_factories.User()
    division = factories.Division(users=[{"name": user["name"], "capacity": "editor"}])
    dataset = factories.HhsDataset(owner_org=division["id"], private=True)
    context = {"user": user["name"], "ignore_auth": False}
    # Before, psycopg2 refused the lazy label list ("can't adapt type '_Labels'"): an HTTP 500 on
    # every page with an activity stream for a signed-in user.
    assert isinstance(helpers.call_action("package_activity_list", context, id=dataset["id"]), list)
    assert isinstance(helpers.call_action("dashboard_activity_list", context), list)
