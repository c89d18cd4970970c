"""Marketplace actions end to end on the real database, Solr and CKAN's collaborator actions."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

from .conftest import ask, in_days, make_product

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def call(action: str, user: dict | None, **data):
    # CKAN's call_action skips auth unless told not to: these calls are checked as the user's own.
    return helpers.call_action(action, context={"user": user["name"] if user else "", "ignore_auth": False}, **data)


def can_see(user: dict, dataset: dict) -> bool:
    try:
        tk.check_access("package_show", {"user": user["name"]}, {"id": dataset["id"]})
    except tk.NotAuthorized:
        return False
    return True


class TestProduct:
    def test_product_has_the_schema_fields(self, world):
        shown = call("package_show", world.sysadmin, id=world.product["name"])
        assert shown["type"] == "data-product"
        assert shown["product_status"] == "active"
        assert shown["access_terms"] == "standard"
        assert shown["component_datasets"] == [world.secret["name"], world.public["name"]]

    def test_private_components_are_hidden_from_people_without_access(self, world):
        shown = call("package_show", world.analyst, id=world.product["name"])
        assert shown["component_datasets"] == [world.public["name"]]
        assert call("package_show", world.steward, id=world.product["name"])["component_datasets"] == [
            world.secret["name"],
            world.public["name"],
        ]

    def test_search_neither_finds_nor_returns_private_component_names(self, world):
        found = call("package_search", world.analyst, q="identifiable", fq="+dataset_type:data-product")
        assert found["count"] == 0
        found = call("package_search", world.analyst, fq="+dataset_type:data-product", include_private=True)
        assert found["count"] == 1
        assert "component_datasets" not in found["results"][0]
        assert "medicare-claims-identifiable" not in str(found["results"][0])

    def test_facets_count_product_fields(self, world):
        found = call(
            "package_search",
            None,
            fq="+dataset_type:data-product",
            **{"facet.field": ["product_type", "access_terms", "cost_model", "product_status"]},
        )
        facets = found["search_facets"]
        assert facets["product_type"]["items"][0]["name"] == "dataset_bundle"
        assert facets["access_terms"]["items"][0]["name"] == "standard"

    def test_component_must_be_a_dataset_the_author_can_see(self, world):
        other = factories.Division(name="ihs", users=[{"name": world.outsider["name"], "capacity": "editor"}])
        with pytest.raises(tk.ValidationError) as e:
            helpers.call_action(
                "package_create",
                context={"user": world.outsider["name"], "ignore_auth": False},
                type="data-product",
                name="ihs-product",
                title="IHS product",
                notes="x",
                owner_org=other["id"],
                product_status="active",
                product_type="api",
                access_terms="standard",
                cost_model="free",
                component_datasets=[world.secret["name"]],
            )
        assert "not a dataset you can see" in str(e.value.error_dict["component_datasets"])


class TestRequestLifecycle:
    def test_approval_grants_access_until_expiry(self, world, mail_server):
        assert not can_see(world.analyst, world.secret)
        request = ask(world)
        assert request["status"] == "submitted"
        # The stewards got it by e-mail.
        recipients = {m[2][0] for m in mail_server.get_smtp_messages()}
        assert {"steward@cms.example.gov", "admin@cms.example.gov"} <= recipients

        approved = call("hhs_marketplace_request_approve", world.steward, id=request["id"], message="OK for flu study")
        assert approved["status"] == "approved"
        assert [g["dataset"]["name"] for g in approved["grants"]] == [world.secret["name"]]
        assert can_see(world.analyst, world.secret)
        assert call("package_show", world.analyst, id=world.secret["name"])["private"] is True
        assert "analyst@cdc.example.gov" in {m[2][0] for m in mail_server.get_smtp_messages()}

        # Before the end date nothing happens; after it, the grant goes, once.
        assert call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(30))["revoked"] == 0
        assert can_see(world.analyst, world.secret)
        result = call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(31))
        assert result["expired"] == [request["id"]] and result["revoked"] == 1
        assert not can_see(world.analyst, world.secret)
        again = call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(31))
        assert again == {"revoked": 0, "expired": [], "provisioned": 0, "removed": 0}

        shown = call("hhs_marketplace_request_show", world.analyst, id=request["id"])
        assert shown["status"] == "expired"
        assert [e["action"] for e in shown["events"]] == ["submit", "approve", "grant", "expire", "revoke"]
        assert shown["grants"][0]["revoked"] and shown["grants"][0]["dataset"] is None  # no longer visible

    def test_double_submit_creates_one_request(self, world):
        first = ask(world)
        second = ask(world)
        assert second["id"] == first["id"] and second["duplicate"] is True
        assert call("hhs_marketplace_request_list", world.analyst)["count"] == 1

    def test_deciders_see_the_requesters_divisions_with_roles(self, world):
        fda = factories.Division(name="fda", title="Aa Food and Drug Administration")
        helpers.call_action("organization_member_create", id=fda["id"], username=world.analyst["name"], role="editor")
        gone = factories.Division(name="gone", users=[{"name": world.analyst["name"], "capacity": "admin"}])
        helpers.call_action("organization_delete", id=gone["id"])
        request = ask(world)
        who = call("hhs_marketplace_request_show", world.steward, id=request["id"])["requester_details"]
        assert who["divisions"] == [
            {"name": "fda", "title": "Aa Food and Drug Administration", "role": "editor"},
            {"name": "cdc", "title": "Centers for Disease Control and Prevention", "role": "member"},
        ]

    def test_ask_info_respond_reject(self, world, mail_server):
        request = ask(world)
        call("hhs_marketplace_request_ask_info", world.steward, id=request["id"], message="Which years?")
        assert call("hhs_marketplace_request_show", world.analyst, id=request["id"])["status"] == "info_requested"
        call("hhs_marketplace_request_respond", world.analyst, id=request["id"], message="2019-2024")
        rejected = call("hhs_marketplace_request_reject", world.steward, id=request["id"], message="Use the PUF")
        assert rejected["status"] == "rejected"
        assert not can_see(world.analyst, world.secret)
        assert [e["action"] for e in rejected["events"]] == ["submit", "ask_info", "respond", "reject"]
        subjects = [m[3] for m in mail_server.get_smtp_messages()]
        assert any("More information needed" in s for s in subjects)

    def test_withdraw_approved_request_gives_access_back(self, world):
        request = ask(world)
        call("hhs_marketplace_request_approve", world.steward, id=request["id"])
        assert can_see(world.analyst, world.secret)
        call("hhs_marketplace_request_withdraw", world.analyst, id=request["id"])
        assert not can_see(world.analyst, world.secret)

    def test_second_level_review_for_restricted_products(self, world):
        helpers.call_action(
            "package_patch", context={"user": world.sysadmin["name"]}, id=world.product["id"], access_terms="restricted"
        )
        request = ask(world)
        first = call("hhs_marketplace_request_approve", world.steward, id=request["id"])
        assert first["status"] == "awaiting_second"
        assert not can_see(world.analyst, world.secret)
        # An editor is no second-level approver; the division's admin is.
        with pytest.raises(tk.NotAuthorized):
            call("hhs_marketplace_request_approve", world.steward, id=request["id"])
        final = call("hhs_marketplace_request_approve", world.cms_admin, id=request["id"])
        assert final["status"] == "approved"
        assert can_see(world.analyst, world.secret)

    def test_open_products_are_granted_at_once(self, world):
        helpers.call_action(
            "package_patch", context={"user": world.sysadmin["name"]}, id=world.product["id"], access_terms="open"
        )
        assert ask(world)["status"] == "approved"
        assert can_see(world.analyst, world.secret)

    def test_expiry_keeps_a_collaboration_that_predates_the_grant(self, world):
        call(
            "package_collaborator_create",
            world.sysadmin,
            id=world.secret["id"],
            user_id=world.analyst["id"],
            capacity="editor",
        )
        request = ask(world)
        call("hhs_marketplace_request_approve", world.steward, id=request["id"])
        call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(40))
        collaborators = call("package_collaborator_list", world.sysadmin, id=world.secret["id"])
        assert [(c["user_id"], c["capacity"]) for c in collaborators] == [(world.analyst["id"], "editor")]

    def test_a_lost_collaboration_is_provisioned_again(self, world):
        request = ask(world)
        call("hhs_marketplace_request_approve", world.steward, id=request["id"])
        # As if the worker died between recording the grant and making the collaborator.
        call("package_collaborator_delete", world.sysadmin, id=world.secret["id"], user_id=world.analyst["id"])
        assert not can_see(world.analyst, world.secret)
        assert call("hhs_marketplace_grants_expire", world.sysadmin)["provisioned"] == 1
        assert can_see(world.analyst, world.secret)

    def test_other_divisions_private_data_is_not_provisioned(self, world):
        ihs = factories.Division(name="ihs")
        foreign = factories.HhsDataset(
            name="ihs-private", owner_org=ihs["id"], private=True, access_level="non-public", access_rights="x"
        )
        helpers.call_action(
            "package_patch",
            context={"user": world.sysadmin["name"]},
            id=world.product["id"],
            component_datasets=[world.secret["name"], foreign["name"]],
        )
        request = ask(world)
        call("hhs_marketplace_request_approve", world.steward, id=request["id"])
        assert can_see(world.analyst, world.secret)
        assert not can_see(world.analyst, foreign)


class TestBadInput:
    @pytest.mark.parametrize(
        ("fields", "field", "words"),
        [
            ({"accept_terms": False}, "accept_terms", "accept"),
            ({"end_date": "2020-01-01"}, "end_date", "after today"),
            ({"end_date": "tomorrow"}, "end_date", "not a date"),
            ({"end_date": in_days(400)}, "end_date", "at most 180 days"),
            ({"end_date": None, "duration_days": 181}, "duration_days", "at most 180 days"),
            ({"end_date": None}, "end_date", "until when"),
            ({"purpose": ""}, "purpose", "Missing value"),
            ({"product": "no-such-product"}, "product", "not a data product"),
            ({"datasets": ["other-dataset"]}, "datasets", "not part of this product"),
        ],
    )
    def test_clear_errors_naming_the_field(self, world, fields, field, words):
        fields = {k: v for k, v in fields.items()}
        if fields.get("end_date", "") is None:
            fields.pop("end_date")
            data = {
                "product": world.product["name"],
                "purpose": "x",
                "accept_terms": True,
                **fields,
            }
            with pytest.raises(tk.ValidationError) as e:
                call("hhs_marketplace_request_create", world.analyst, **data)
        else:
            with pytest.raises(tk.ValidationError) as e:
                ask(world, **fields)
        assert words in str(e.value.error_dict[field])
        assert call("hhs_marketplace_request_list", world.analyst)["count"] == 0

    @pytest.mark.parametrize("status", ["retired", "draft"])
    def test_retired_and_draft_products_take_no_requests(self, world, status):
        helpers.call_action(
            "package_patch", context={"user": world.sysadmin["name"]}, id=world.product["id"], product_status=status
        )
        with pytest.raises(tk.ValidationError) as e:
            ask(world)
        assert status in str(e.value.error_dict["product"])

    def test_private_component_unseen_by_requester_cannot_be_named(self, world):
        with pytest.raises(tk.ValidationError) as e:
            ask(world, datasets=[world.secret["name"]])
        assert "not part of this product" in str(e.value.error_dict["datasets"])


class TestLicences:
    def test_check_before_you_buy_and_ask_to_be_added(self, world, mail_server):
        licence = call(
            "hhs_marketplace_licence_create",
            world.steward,
            vendor="IQVIA",
            product="National Prescription Audit",
            subject="retail prescriptions opioids",
            holder="cms",
            seats=25,
            cost="1,250,000",
            start_date=in_days(-30),
            end_date=in_days(335),
        )
        assert licence["cost"] == "1250000.00"
        found = call("hhs_marketplace_licence_search", world.analyst, q="opioids")
        assert [r["id"] for r in found["results"]] == [licence["id"]]
        assert call("hhs_marketplace_licence_search", world.analyst, vendor="iqvia")["count"] == 1
        assert call("hhs_marketplace_licence_search", world.analyst, q="vaccines")["count"] == 0

        ask_ = call("hhs_marketplace_licence_request_create", world.analyst, licence=licence["id"], division="cdc")
        again = call("hhs_marketplace_licence_request_create", world.analyst, licence=licence["id"], division="cdc")
        assert again["id"] == ask_["id"]
        assert "steward@cms.example.gov" in {m[2][0] for m in mail_server.get_smtp_messages()}
        with pytest.raises(tk.NotAuthorized):
            call("hhs_marketplace_licence_request_approve", world.analyst, id=ask_["id"])
        call("hhs_marketplace_licence_request_approve", world.steward, id=ask_["id"])
        shown = call("hhs_marketplace_licence_show", world.analyst, id=licence["id"])
        assert [o["name"] for o in shown["covered"]] == ["cms", "cdc"]
        assert call("hhs_marketplace_licence_search", world.analyst, division="cdc")["count"] == 1
        assert call("hhs_marketplace_metrics", world.analyst)["licences"]["divisions_reusing"] == 1

    def test_licence_bad_input(self, world):
        with pytest.raises(tk.ValidationError) as e:
            call(
                "hhs_marketplace_licence_create",
                world.steward,
                vendor="X",
                product="Y",
                holder="cms",
                start_date="2026-05-01",
                end_date="2026-01-01",
                cost="lots",
            )
        assert "cost" in e.value.error_dict
        with pytest.raises(tk.ValidationError) as e:
            call(
                "hhs_marketplace_licence_create",
                world.steward,
                vendor="X",
                product="Y",
                holder="cms",
                start_date="2026-05-01",
                end_date="2026-01-01",
            )
        assert "after the start date" in str(e.value.error_dict["end_date"])

    def test_only_the_holder_records_licences(self, world):
        with pytest.raises(tk.NotAuthorized):
            call(
                "hhs_marketplace_licence_create",
                world.analyst,
                vendor="X",
                product="Y",
                holder="cms",
                start_date="2026-01-01",
                end_date="2027-01-01",
            )

    def test_renewal_reminder_once_per_end_date(self, world, mail_server):
        licence = call(
            "hhs_marketplace_licence_create",
            world.steward,
            vendor="Definitive",
            product="Hospital view",
            holder="cms",
            start_date=in_days(-300),
            end_date=in_days(30),
        )
        assert call("hhs_marketplace_licence_remind", world.sysadmin)["reminded"] == [licence["id"]]
        assert call("hhs_marketplace_licence_remind", world.sysadmin)["reminded"] == []
        assert any("Licence ends in 30 days" in m[3] for m in mail_server.get_smtp_messages())


class TestNeeds:
    def test_need_answered_with_an_existing_product_then_closed(self, world, mail_server):
        need = call(
            "hhs_marketplace_need_create",
            world.analyst,
            title="Medicare claims for flu vaccine effectiveness",
            description="Claims with vaccination and outcomes, 2019-2024",
            needed_by=in_days(60),
            asked=["cms"],
        )
        assert need["status"] == "open"
        assert "steward@cms.example.gov" in {m[2][0] for m in mail_server.get_smtp_messages()}
        answered = call(
            "hhs_marketplace_need_answer",
            world.steward,
            id=need["id"],
            kind="existing",
            datasets=[world.product["name"]],
            division="cms",
            note="Request access through the product",
        )
        assert answered["answers"][0]["datasets"][0]["name"] == world.product["name"]
        closed = call("hhs_marketplace_need_close", world.analyst, id=need["id"], message="Met by the CMS product")
        assert closed["status"] == "closed"
        metrics = call("hhs_marketplace_metrics", world.analyst)
        assert metrics["needs"]["answered_by_existing_data"] == 1 and metrics["needs"]["closed"] == 1

    def test_answer_naming_a_private_dataset_shows_it_only_to_those_who_may_see_it(self, world):
        need = call("hhs_marketplace_need_create", world.analyst, title="Claims", description="Claims")
        call(
            "hhs_marketplace_need_answer",
            world.steward,
            id=need["id"],
            kind="existing",
            datasets=[world.secret["name"]],
        )
        assert call("hhs_marketplace_need_show", world.analyst, id=need["id"])["answers"][0]["datasets"] == []
        assert call("hhs_marketplace_need_show", world.steward, id=need["id"])["answers"][0]["datasets"][0]["name"]

    def test_need_bad_input(self, world):
        with pytest.raises(tk.ValidationError) as e:
            call("hhs_marketplace_need_create", world.analyst, title="x", description="y", needed_by="2020-01-01")
        assert "past" in str(e.value.error_dict["needed_by"])
        need = call("hhs_marketplace_need_create", world.analyst, title="x", description="y")
        with pytest.raises(tk.ValidationError) as e:
            call("hhs_marketplace_need_answer", world.steward, id=need["id"], kind="commit")
        assert "publish_by" in e.value.error_dict
        with pytest.raises(tk.ValidationError) as e:
            call(
                "hhs_marketplace_need_answer",
                world.outsider,
                id=need["id"],
                kind="existing",
                datasets=[world.secret["name"]],
            )
        assert "not a dataset you can see" in str(e.value.error_dict["datasets"])


class TestMetrics:
    def test_requests_by_status_and_times(self, world):
        approved = ask(world)
        call("hhs_marketplace_request_approve", world.steward, id=approved["id"])
        # A private component: the request waits for a decision (a product of public datasets opens at once).
        make_product(world.cms, world.sysadmin, name="second-product", component_datasets=[world.secret["name"]])
        ask(world, product="second-product")
        metrics = call("hhs_marketplace_metrics", world.analyst)
        assert metrics["requests_by_status"]["approved"] == 1
        assert metrics["requests_by_status"]["submitted"] == 1
        assert metrics["hours_to_decision"]["count"] == 1
        assert 0 <= metrics["hours_to_decision"]["median"] == metrics["hours_to_decision"]["mean"] < 1
        assert metrics["hours_to_access"]["count"] == 1
        assert metrics["grants_active"] == 1 and metrics["users_with_access"] == 1


@pytest.fixture
def activity_tables(clean_db, migrate_db_for):
    migrate_db_for("activity")


@pytest.mark.ckan_config(
    "ckan.plugins",
    "activity hhs hhs_catalog hhs_harvest hhs_glossary hhs_marketplace scheming_datasets scheming_organizations dcat "
    "dcat_rdf_harvester structured_data harvest",
)
@pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", "true")
def test_activity_snapshots_of_a_product_keep_only_public_components(activity_tables, world, app):
    """The steward who may see the private component edits the product through the web API: CKAN puts
    the steward in the snapshot's context, and the snapshot is shown to everyone."""
    token = ckan_factories.APIToken(user=world.steward["name"])["token"]
    response = app.post(
        "/api/3/action/package_patch",
        json={"id": world.product["id"], "notes": "New"},
        headers={"Authorization": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    activities = call("package_activity_list", world.outsider, id=world.product["id"])
    assert activities
    for activity in activities:
        detail = call("activity_show", world.outsider, id=activity["id"], include_data=True)
        components = detail["data"]["package"].get("component_datasets", [])
        assert world.secret["name"] not in components


def test_the_database_refuses_a_second_open_request_of_the_same_person(world):
    """What keeps two simultaneous submits to one request: a partial unique index, not only the check."""
    import sqlalchemy as sa

    import ckan.model as model

    from ckanext.hhs.marketplace import model as mm

    first = ask(world)
    original = model.Session.get(mm.AccessRequest, first["id"])
    twin = mm.AccessRequest(
        product_id=original.product_id,
        owner_org_id=original.owner_org_id,
        requester_id=original.requester_id,
        purpose="again",
        end_date=original.end_date,
    )
    model.Session.add(twin)
    with pytest.raises(sa.exc.IntegrityError):
        model.Session.flush()
    model.Session.rollback()
    # Once the first is decided, a new request may be made.
    call("hhs_marketplace_request_reject", world.steward, id=first["id"], message="no")
    assert ask(world)["id"] != first["id"]


def test_second_level_approvers_are_mailed(world, mail_server):
    board = factories.Division(name="data-governance-board", kind="governance", bureau_code="009:90")
    helpers.call_action("organization_member_create", id=board["id"], username=world.outsider["name"], role="editor")
    helpers.call_action(
        "package_patch", context={"user": world.sysadmin["name"]}, id=world.product["id"], access_terms="restricted"
    )
    request = ask(world)
    before = len(mail_server.get_smtp_messages())
    call("hhs_marketplace_request_approve", world.steward, id=request["id"])
    sent = mail_server.get_smtp_messages()[before:]
    assert {m[2][0] for m in sent} == {"admin@cms.example.gov", "outsider@example.gov"}
    # The board's editor may give the second approval and now sees the request in the queue.
    assert call("hhs_marketplace_request_list", world.outsider, scope="queue")["count"] == 1
    assert call("hhs_marketplace_request_approve", world.outsider, id=request["id"])["status"] == "approved"
