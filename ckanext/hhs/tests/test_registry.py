"""What the hhs plugins register: only `hhs_*` actions (and the core actions they chain on purpose), each
with an auth function of the same name (issue #26: the lakehouse published its internal helpers
`location`, `upsert` and `enqueue_refresh` as API actions, and anonymous POST /api/3/action/upsert was an
HTTP 500)."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from ckanext.hhs.catalog import copies

# Core (or ckanext-harvest) actions and auth functions a plugin wraps with tk.chained_action /
# tk.chained_auth_function, on purpose. Anything else not named hhs_* is a leak.
CHAINED_ACTIONS = {
    "hhs": {
        "package_create",
        "package_update",
        "resource_view_list",
        "tag_autocomplete",
        "tag_list",
        "tag_search",
        "tag_show",
    },
    "hhs_harvest": {
        "harvest_job_create",
        "harvest_jobs_run",
        "harvest_source_list",
        "harvest_source_show_status",
        "package_create",
        "package_update",
    },
    "hhs_marketplace": {"package_collaborator_list_for_user"},
    # Refused while Redis, which keeps the stored catalog copies, does not answer.
    "hhs_catalog": set(copies.WRITES),
}
CHAINED_AUTH = {
    "hhs": {"package_show", "package_update"},
    "hhs_harvest": {"harvest_job_abort", "harvest_object_show"},
}


def _plugins() -> dict[str, object]:
    found = {ep.name: ep for ep in entry_points(group="ckan.plugins") if ep.name.startswith("hhs")}
    return {name: found[name].load()() for name in sorted(found)}


PLUGINS = _plugins()


def _registered(plugin: object, kind: str) -> dict[str, object]:
    return getattr(plugin, kind)() if hasattr(plugin, kind) else {}


def test_the_seven_features_are_found():
    assert {
        "hhs",
        "hhs_catalog",
        "hhs_harvest",
        "hhs_glossary",
        "hhs_marketplace",
        "hhs_lakehouse",
        "hhs_governance",
    } <= set(PLUGINS)


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_only_hhs_actions_and_chained_core_actions(name):
    actions = _registered(PLUGINS[name], "get_actions")
    others = {a for a in actions if not a.startswith("hhs_")}
    assert others == CHAINED_ACTIONS.get(name, set())
    assert all(getattr(actions[a], "chained_action", False) for a in others)


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_every_hhs_action_has_its_auth_function(name):
    actions = _registered(PLUGINS[name], "get_actions")
    auth = _registered(PLUGINS[name], "get_auth_functions")
    assert sorted(a for a in actions if a.startswith("hhs_") and a not in auth) == []
    others = {a for a in auth if not a.startswith("hhs_")}
    assert others == CHAINED_AUTH.get(name, set())
    assert all(getattr(auth[a], "chained_auth_function", False) for a in others)


@pytest.mark.ckan_config("ckan.plugins", "hhs hhs_lakehouse scheming_datasets scheming_organizations")
@pytest.mark.usefixtures("with_plugins")
@pytest.mark.parametrize("helper", ["upsert", "location", "enqueue_refresh", "claim_errors", "may_guard_phi"])
def test_internal_helpers_are_not_api_actions(app, helper):
    response = app.post(f"/api/3/action/{helper}", json={}, status=400)
    assert "Action name not known" in response.body
