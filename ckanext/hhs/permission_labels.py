"""Search permission labels that keep draft datasets to those who may open them.

CKAN labels a draft of a division like its private datasets (``member-<division>``), so
``package_search(include_drafts=True)`` listed a division's drafts to all its members, while
``package_show`` opens a draft only to those who may edit it (the division's editors and admins, and
the dataset's editor collaborators). Drafts get labels of their own that only those people carry.
Existing drafts take the labels when indexed again (``ckan search-index rebuild``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flask
from psycopg2.extensions import adapt, register_adapter

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.lib.plugins import DefaultPermissionLabels

# package_update lets these collaborators edit, hence open, a draft.
EDITING_COLLABORATORS = ("admin", "editor")


class DraftPermissionLabels(DefaultPermissionLabels):
    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        if not (dataset_obj.state or "").startswith("draft") or not dataset_obj.owner_org:
            return super().get_dataset_labels(dataset_obj)
        labels = [f"draft-editor-{dataset_obj.owner_org}"]
        if authz.check_config_permission("allow_dataset_collaborators"):
            labels.append(f"draft-collaborator-{dataset_obj.id}")
        return labels

    def get_user_dataset_labels(self, user_obj: model.User) -> Sequence[str]:
        if not user_obj or user_obj.is_anonymous:
            return ["public"]
        cache = _request_cache()
        if cache is None:
            return _Labels(lambda: self._signed_in_labels(user_obj))
        # Once per web request: a signed-in search asked twice (CKAN's filter, the nearest by meaning),
        # a private dataset's page once per resource (CKAN's package_show auth).
        if user_obj.id not in cache:
            cache[user_obj.id] = _Labels(lambda: self._signed_in_labels(user_obj))
        return cache[user_obj.id]

    def _signed_in_labels(self, user_obj: model.User) -> list[str]:
        labels = ["public"]
        labels.append(f"creator-{user_obj.id}")
        editing = set(authz.get_roles_with_permission("update_dataset"))
        for org in tk.get_action("organization_list_for_user")({"user": user_obj.id}, {"permission": "read"}):
            labels.append(f"member-{org['id']}")
            if org.get("capacity") in editing:
                labels.append(f"draft-editor-{org['id']}")
        if authz.check_config_permission("allow_dataset_collaborators"):
            for row in tk.get_action("package_collaborator_list_for_user")({"ignore_auth": True}, {"id": user_obj.id}):
                labels.append(f"collaborator-{row['package_id']}")
                if row.get("capacity") in EDITING_COLLABORATORS:
                    labels.append(f"draft-collaborator-{row['package_id']}")
        return labels


class _Labels(Sequence):
    """A signed-in user's labels, worked out only when a label other than "public" is asked about.

    CKAN's package_show auth asks for them on every check, and a dataset page checks each of its
    resources (about 30 for a CMS dataset): two actions and some ten queries each time, which a public
    dataset (label "public") never needed. Load test, issue #23.
    """

    def __init__(self, compute: Callable[[], list[str]]):
        self._compute = compute
        self._labels: list[str] | None = None

    def _all(self) -> list[str]:
        if self._labels is None:
            self._labels = self._compute()
        return self._labels

    def __contains__(self, label: object) -> bool:
        return label == "public" or label in self._all()

    def __getitem__(self, index):  # type: ignore[override]
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


# Actions after which a user's labels may differ: the request's labels are worked out again.
CHANGE_LABELS = (
    "member_create",
    "member_delete",
    "organization_create",
    "organization_delete",
    "organization_purge",
    "organization_member_create",
    "organization_member_delete",
    "package_collaborator_create",
    "package_collaborator_delete",
    "user_delete",
)
_REQUEST_KEY = "_hhs_permission_labels"


def _request_cache() -> dict[str, _Labels] | None:
    """This web request's labels by user id; None outside a request (commands, jobs)."""
    if not flask.has_request_context():
        return None
    if not hasattr(flask.g, _REQUEST_KEY):
        setattr(flask.g, _REQUEST_KEY, {})
    return getattr(flask.g, _REQUEST_KEY)


def labels_changed(sender: str, **kwargs: object) -> None:
    """Receiver of CHANGE_LABELS' action_succeeded signal."""
    if flask.has_request_context() and hasattr(flask.g, _REQUEST_KEY):
        delattr(flask.g, _REQUEST_KEY)


# The activity plugin passes a user's labels to PostgreSQL as a bound array parameter.
register_adapter(_Labels, lambda labels: adapt(list(labels)))
