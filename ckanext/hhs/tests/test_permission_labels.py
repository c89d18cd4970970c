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


def _label_queries(app, url: str, user: dict) -> int:
    """How often the page's request worked out the user's labels (organization_list_for_user is their query)."""
    import ckan.plugins.toolkit as tk

    calls = []

    def count(sender, **kwargs):
        calls.append(sender)

    tk.signals.action_succeeded.connect(count, sender="organization_list_for_user")
    try:
        app.get(url, headers={"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}, status=200)
    finally:
        tk.signals.action_succeeded.disconnect(count, sender="organization_list_for_user")
    return len(calls)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_private_dataset_page_works_out_the_labels_once_however_many_resources(app):
    user = ckan_factories.User()
    division = factories.Division(users=[{"name": user["name"], "capacity": "member"}])
    resources = [{"url": f"https://example.com/{n}.csv", "name": f"part {n}"} for n in range(8)]
    few = factories.HhsDataset(owner_org=division["id"], private=True, resources=resources[:1])
    many = factories.HhsDataset(owner_org=division["id"], private=True, resources=resources)
    # CKAN's package_show auth asks for the labels once per resource; before, each ask ran the queries.
    assert _label_queries(app, f"/dataset/{many['name']}", user) == _label_queries(app, f"/dataset/{few['name']}", user)


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_labels_kept_for_a_request_are_worked_out_again_after_a_membership_changes(app):
    from ckan.tests import helpers

    user = ckan_factories.User()
    admin = ckan_factories.Sysadmin()
    division = factories.Division()
    with app.flask_app.test_request_context():
        labels = DraftPermissionLabels()
        assert f"member-{division['id']}" not in labels.get_user_dataset_labels(model.User.get(user["name"]))
        helpers.call_action(
            "organization_member_create",
            {"user": admin["name"]},
            id=division["id"],
            username=user["name"],
            role="member",
        )
        assert f"member-{division['id']}" in labels.get_user_dataset_labels(model.User.get(user["name"]))
