"""Every action the extension registers has an auth function, exercised for an anonymous caller and for
a logged-in outsider (a user of no division). A new action fails here until its expected answers are
written down below."""

from __future__ import annotations

import pytest

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

DRAFT = {"id": "draft-term"}
# action: (data dict, may an anonymous caller, may an outsider). `{dataset}` is a private CMS dataset.
EXPECTED: dict[str, tuple[dict, bool, bool]] = {
    "hhs_divisions_seed": ({}, False, False),
    "hhs_vocabulary_list": ({}, True, True),
    "hhs_dataset_completeness": ({"id": "{dataset}"}, False, False),
    "hhs_resource_guess": ({"url": "https://example.com/data/beneficiaries.csv"}, True, True),  # reads only the link
    "hhs_catalog_validate": ({"inventory": True}, False, False),
    "hhs_catalog_import": ({"source": "https://example.com/data.json", "division": "cms"}, False, False),
    "hhs_catalog_import_status": ({"id": "some-job"}, False, True),  # the action shows only the caller's jobs
    "hhs_harvest_source_overlap": ({"id": "none"}, False, False),  # its editors (tests/harvest/test_overlap.py)
    "hhs_glossary_term_show": (DRAFT, False, False),
    "hhs_glossary_term_list": ({}, True, True),  # the action lists only what the caller may see
    "hhs_glossary_term_search": ({}, True, True),
    "hhs_glossary_term_autocomplete": ({"q": "d"}, True, True),  # approved terms only
    "hhs_glossary_term_datasets": (DRAFT, False, False),
    "hhs_glossary_term_columns": (DRAFT, False, False),
    "hhs_glossary_revision_list": (DRAFT, False, False),
    "hhs_glossary_revision_compare": ({**DRAFT, "old": 1, "new": 1}, False, False),
    "hhs_glossary_term_similar": ({"label": "Draft term"}, False, True),  # lists only what the caller may see
    "hhs_glossary_term_create": ({"label": "x", "definition": "y"}, False, True),
    "hhs_glossary_term_update": (DRAFT, False, False),  # on an approved term anyone logged in proposes
    "hhs_glossary_term_propose": (DRAFT, False, False),
    "hhs_glossary_term_approve": (DRAFT, False, False),
    "hhs_glossary_term_reject": (DRAFT, False, False),
    "hhs_glossary_term_deprecate": (DRAFT, False, False),
    "hhs_glossary_review_queue": ({}, False, False),
    "hhs_glossary_import": ({}, False, False),
    "hhs_glossary_embed": ({}, False, False),
    # Marketplace: every action but the usage figures is for logged-in staff, so an anonymous caller is
    # refused by each (also through the API: tests/marketplace/test_security.py); for the logged-in,
    # objects that do not exist pass auth so that the action answers 404 (`none`); who decides an
    # existing request is tested in tests/marketplace/test_auth.py.
    "hhs_marketplace_request_create": ({"product": "p"}, False, True),
    "hhs_marketplace_request_list": ({}, False, True),  # the action lists only the caller's own or queue
    "hhs_marketplace_grant_list": ({}, False, True),  # the action lists only the caller's own live grants
    "hhs_marketplace_component_list": ({"id": "none"}, False, True),
    "hhs_marketplace_request_show": ({"id": "none"}, False, True),
    "hhs_marketplace_request_approve": ({"id": "none"}, False, True),
    "hhs_marketplace_request_reject": ({"id": "none"}, False, True),
    "hhs_marketplace_request_ask_info": ({"id": "none"}, False, True),
    "hhs_marketplace_request_respond": ({"id": "none"}, False, True),
    "hhs_marketplace_request_withdraw": ({"id": "none"}, False, True),
    "hhs_marketplace_request_extend": ({"id": "none"}, False, True),
    "hhs_marketplace_request_revoke": ({"id": "none"}, False, True),
    "hhs_marketplace_use_record_show": ({"id": "none"}, False, True),  # readers: tests/marketplace/test_use_record.py
    "hhs_marketplace_use_record_export": ({}, False, False),  # the Data Governance Board and sysadmins
    "hhs_search_rebuild": ({}, False, False),
    "hhs_search_suggest": ({"q": "x"}, True, True),  # as package_search; shows only what the caller may see
    "hhs_sso_sync": ({}, False, False),  # sysadmins and the scheduler's CLI only
    "hhs_marketplace_grants_expire": ({}, False, False),
    "hhs_marketplace_product_usage": ({"id": "p"}, True, True),  # aggregates of a product the caller sees
    "hhs_marketplace_licence_create": ({"holder": "cms"}, False, False),
    "hhs_marketplace_licence_update": ({"id": "none"}, False, True),
    "hhs_marketplace_licence_show": ({"id": "none"}, False, True),
    "hhs_marketplace_licence_search": ({}, False, True),
    "hhs_marketplace_licence_request_create": ({"licence": "none", "division": "cms"}, False, True),
    "hhs_marketplace_licence_request_approve": ({"id": "none"}, False, True),
    "hhs_marketplace_licence_request_reject": ({"id": "none"}, False, True),
    "hhs_marketplace_licence_remind": ({}, False, False),
    "hhs_marketplace_need_create": ({"title": "x", "description": "y"}, False, True),
    "hhs_marketplace_need_show": ({"id": "none"}, False, True),
    "hhs_marketplace_need_list": ({}, False, True),
    "hhs_marketplace_need_answer": ({"id": "none"}, False, True),
    "hhs_marketplace_need_close": ({"id": "none"}, False, True),
    "hhs_marketplace_metrics": ({}, False, True),
    # Lakehouse: `{dataset}` is no resource; reads of a missing resource pass auth so that the action
    # answers 404 (reads of real tables follow package_show: tests/lakehouse).
    "hhs_lakehouse_table_register": ({"id": "{dataset}"}, False, False),
    "hhs_lakehouse_table_refresh": ({"id": "{dataset}"}, False, False),
    "hhs_lakehouse_table_show": ({"id": "{dataset}"}, True, True),
    "hhs_lakehouse_table_list": ({}, True, True),  # the action lists only tables of datasets the caller may see
    "hhs_lakehouse_column_suggest": ({"id": "{dataset}"}, False, False),
    "hhs_lakehouse_column_confirm": ({"id": "{dataset}"}, False, False),
    "hhs_lakehouse_join_keys": ({"id": "{dataset}"}, True, True),
    "hhs_lakehouse_preview": ({"id": "{dataset}"}, False, True),
    "hhs_lakehouse_query": ({"sql": "select 1"}, False, True),  # the action checks each table it reads
    # Governance quality: a dataset's suggestions are for its editors and the Board; `none` is no suggestion.
    "hhs_governance_quality_check": ({"id": "{dataset}"}, False, False),
    "hhs_governance_suggestion_list": ({"id": "{dataset}"}, False, False),
    "hhs_governance_suggestion_accept": ({"id": "none"}, False, False),
    "hhs_governance_suggestion_dismiss": ({"id": "none"}, False, False),
    "hhs_governance_fixlist_show": ({"division": "cms"}, False, False),
    "hhs_governance_quality_summary": ({}, False, False),
    # Governance figures: the Data Governance Board and sysadmins only (tests/governance/test_metrics.py).
    "hhs_governance_metrics_show": ({}, False, False),
    "hhs_governance_metrics_history": ({}, False, False),
    "hhs_governance_metrics_refresh": ({}, False, False),
    "hhs_governance_linkcheck_list": ({}, False, False),
    # Governance gaps: the Board sees and comments, its editors decide, owner division admins comment and
    # start work (tests/governance/test_gaps.py); an outsider gets nothing, not even a missing gap's 404.
    "hhs_governance_gap_create": ({"title": "x", "division": "cms"}, False, False),
    "hhs_governance_gap_update": ({"id": "none", "status": "in_progress"}, False, False),
    "hhs_governance_gap_show": ({"id": "none"}, False, False),
    "hhs_governance_gap_list": ({}, False, False),
    "hhs_governance_gap_comment_create": ({"id": "none", "text": "x"}, False, False),
    "hhs_governance_gap_summary": ({}, False, False),
    # Duplicates: board members see pairs, board editors decide; no one else.
    "hhs_governance_duplicate_list": ({}, False, False),
    "hhs_governance_duplicate_show": ({"id": "none"}, False, False),
    "hhs_governance_duplicate_summary": ({}, False, False),
    "hhs_governance_duplicate_decide": ({"id": "none", "decision": "distinct"}, False, False),
    "hhs_governance_duplicate_scan": ({}, False, False),
    "hhs_governance_authoritative_set": ({"id": "{dataset}", "authoritative": True}, False, False),
}


def _registered() -> set[str]:
    """The actions our plugins add (chained core actions keep core's auth and are not ours)."""
    names = set()
    for plugin in p.PluginImplementations(p.IActions):
        if type(plugin).__module__.startswith("ckanext.hhs"):
            names |= {n for n in plugin.get_actions() if n.startswith("hhs_")}
    return names


@pytest.fixture
def world():
    cms = factories.Division(name="cms")
    dataset = factories.HhsDataset(owner_org=cms["id"], private=True)
    proposer = ckan_factories.User()
    if p.plugin_loaded("hhs_glossary"):
        helpers.call_action(
            "hhs_glossary_term_create",
            context={"user": proposer["name"], "ignore_auth": False},
            slug="draft-term",
            label="Draft term",
            definition="A term nobody but its proposer and the board should see yet.",
        )
    return {"dataset": dataset["id"], "outsider": ckan_factories.User()["name"]}


def test_every_action_has_an_auth_function_and_a_written_down_answer():
    registered = _registered()
    assert registered, "no hhs_ actions found: are the plugins loaded?"
    assert registered - set(EXPECTED) == set(), "write down who may call these actions"
    for name in registered:
        assert name in authz.auth_functions_list(), f"{name} has no auth function"


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_each_auth_function_answers_as_written(world, who):
    wrong = []
    for name in sorted(_registered()):
        data, anonymous_may, outsider_may = EXPECTED[name]
        data = {k: (v.format(**world) if isinstance(v, str) else v) for k, v in data.items()}
        if who == "anonymous":
            # As the API builds it in CKAN 2.11: an AnonymousUser object, not an empty context.
            context = {"user": "", "auth_user_obj": model.AnonymousUser(), "model": model}
            expected = anonymous_may
        else:
            context = {"user": world["outsider"], "model": model}
            expected = outsider_may
        try:
            tk.check_access(name, context, data)
            allowed = True
        except tk.NotAuthorized:
            allowed = False
        if allowed != expected:
            wrong.append(f"{name}: {'allowed' if allowed else 'refused'}, expected the opposite")
    assert wrong == []


def test_anonymous_api_calls_are_refused_with_403(app, world):
    """Through the real API as well: the refusals above are what a caller gets."""
    for name in ("hhs_glossary_term_similar", "hhs_catalog_import", "hhs_glossary_term_create"):
        data, anonymous_may, _ = EXPECTED[name]
        assert not anonymous_may
        assert app.post(f"/api/3/action/{name}", json=data).status_code == 403, name


def test_tags_only_private_datasets_carry_are_not_listed(app):
    """CKAN core's tag_list, tag_search, tag_autocomplete and tag_show listed every tag: a private
    dataset's keyword was there for anyone. Members of its division and sysadmins still see it."""
    member = ckan_factories.User()
    cms = factories.Division(name="cms", users=[{"name": member["name"], "capacity": "member"}])
    factories.HhsDataset(owner_org=cms["id"], private=True, tag_string="zqxsecret,shared")
    factories.HhsDataset(owner_org=cms["id"], tag_string="shared")
    for user, sees in ((None, False), (ckan_factories.User()["name"], False), (member["name"], True)):

        def call(action, user=user, **data):
            return helpers.call_action(action, context={"user": user or "", "ignore_auth": False}, **data)

        assert ("zqxsecret" in call("tag_list")) is sees
        assert ("zqxsecret" in call("tag_list", query="zqx")) is sees
        assert "shared" in call("tag_list")
        assert (call("tag_autocomplete", q="zqx") == ["zqxsecret"]) is sees
        found = call("tag_search", query="zqx")
        assert (found["count"], [t["name"] for t in found["results"]]) == ((1, ["zqxsecret"]) if sees else (0, []))
        if sees:
            assert call("tag_show", id="zqxsecret")["name"] == "zqxsecret"
        else:
            with pytest.raises(tk.ObjectNotFound):
                call("tag_show", id="zqxsecret")
    # The page helper the dataset form's tag field calls, anonymously.
    response = app.get("/api/2/util/tag/autocomplete?incomplete=zqx")
    assert "zqxsecret" not in response.get_data(as_text=True)
