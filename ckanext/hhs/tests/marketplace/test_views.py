"""Marketplace pages: search with facets, product page logged in and out, requesting access on the
form, the stewards' queue and decision, licences, needs and figures; private data never shown."""

from __future__ import annotations

import re

import pytest

from ckan.tests import helpers

from .conftest import ask, in_days

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _auth(user: dict) -> dict[str, str]:
    token = helpers.call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")
    return {"Authorization": token["token"]}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_search_page_lists_products_with_facets_and_a_nav_tab(app, world):
    page = _text(app.get("/marketplace"))
    assert "Medicare claims for research" in page
    assert "Dataset bundle (1)" in page and "Request with standard terms (1)" in page
    assert 'href="/marketplace"' in page  # the "Marketplace" tab
    filtered = _text(app.get("/marketplace", query_string={"product_type": "api"}))
    assert "Medicare claims for research" not in filtered
    # Retired products are left out unless asked for.
    helpers.call_action("package_patch", id=world.product["id"], product_status="retired")
    assert "Medicare claims for research" not in _text(app.get("/marketplace"))
    assert "Medicare claims for research" in _text(app.get("/marketplace", query_string={"product_status": "retired"}))


def test_product_page_logged_out_hides_private_components(app, world):
    page = _text(app.get(f"/marketplace/{world.product['name']}"))
    assert "Inpatient hospitals" in page
    assert "Medicare claims (identifiable)" not in page and world.secret["name"] not in page
    assert "Log in to request access" in page
    assert 'name="accept_terms"' not in page


def test_request_on_the_form_then_steward_approves_in_the_queue(app, world, mail_server):
    analyst, steward = _auth(world.analyst), _auth(world.steward)
    page = _text(app.get(f"/marketplace/{world.product['name']}", headers=analyst))
    assert 'name="accept_terms"' in page and "Use only for the stated purpose" in page
    forms = re.findall(r'<form method="post".*?</form>', page, flags=re.S)
    assert forms and all('name="_csrf_token"' in f for f in forms)

    # Without accepting the terms: the form says which field is wrong, nothing is stored.
    response = app.post(
        f"/marketplace/{world.product['name']}/request",
        headers=analyst,
        data={"purpose": "Flu study", "end_date": in_days(20)},
    )
    assert "accept terms" in _text(response) and "You must accept" in _text(response)
    assert helpers.call_action("hhs_marketplace_request_list", context={"user": world.analyst["name"]})["count"] == 0

    response = app.post(
        f"/marketplace/{world.product['name']}/request",
        headers=analyst,
        data={"purpose": "Flu study", "end_date": in_days(20), "accept_terms": "on"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    request_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    queue = _text(app.get("/marketplace/requests", headers=steward))
    assert "Requests you decide" in queue and f"/marketplace/requests/{request_id}" in queue
    detail = _text(app.get(f"/marketplace/requests/{request_id}", headers=steward))
    assert f"/marketplace/requests/{request_id}/decide" in detail
    # The requester cannot decide; an outsider cannot even look.
    assert f"/marketplace/requests/{request_id}/decide" not in _text(
        app.get(f"/marketplace/requests/{request_id}", headers=analyst)
    )
    assert app.get(f"/marketplace/requests/{request_id}", headers=_auth(world.outsider)).status_code == 403
    assert app.post(f"/marketplace/requests/{request_id}/approve", headers=analyst, data={}).status_code == 403

    app.post(
        f"/marketplace/requests/{request_id}/decide", headers=steward, data={"decision": "approve", "message": "ok"}
    )
    assert app.get(f"/dataset/{world.secret['name']}", headers=analyst).status_code == 200
    product = _text(app.get(f"/marketplace/{world.product['name']}", headers=analyst))
    assert "Medicare claims (identifiable)" in product  # now visible to the analyst
    assert "Centers for Disease Control and Prevention" in product  # who already uses it


def test_requests_page_needs_login_and_shows_only_own_requests(app, world):
    ask(world)
    assert app.get("/marketplace/requests", follow_redirects=False).status_code == 302
    page = _text(app.get("/marketplace/requests", headers=_auth(world.outsider)))
    assert "Medicare claims for research" not in page and "Requests you decide" not in page


def test_licence_and_need_pages(app, world):
    steward, analyst = _auth(world.steward), _auth(world.analyst)
    response = app.post(
        "/marketplace/licences/new",
        headers=steward,
        data={
            "vendor": "IQVIA",
            "product": "National Prescription Audit",
            "subject": "prescriptions",
            "holder": "cms",
            "start_date": in_days(-10),
            "end_date": in_days(300),
            "renewal": "manual",
        },
        follow_redirects=False,
    )
    assert response.status_code == 302
    found = _text(app.get("/marketplace/licences", query_string={"q": "prescriptions"}, headers=analyst))
    assert "IQVIA" in found
    bad = _text(app.post("/marketplace/licences/new", headers=steward, data={"vendor": "X", "holder": "cms"}))
    assert "product: Missing value" in bad

    response = app.post(
        "/marketplace/needs",
        headers=analyst,
        data={"title": "Claims for flu VE", "description": "2019-2024 claims", "asked": ["cms"]},
        follow_redirects=False,
    )
    assert response.status_code == 302
    need_url = response.headers["Location"]
    app.post(
        need_url + "/answer",
        headers=steward,
        data={"kind": "existing", "datasets": world.product["name"], "division": "cms"},
    )
    page = _text(app.get(need_url, headers=analyst))
    assert "Medicare claims for research" in page
    metrics = _text(app.get("/marketplace/metrics", headers=analyst))
    assert "1 answered with existing data" in metrics


def test_stewards_create_products_on_the_scheming_form(app, world):
    steward = _auth(world.steward)
    form = _text(app.get("/data-product/new", headers=steward))
    for field in ("product_status", "access_terms", "component_datasets", "contract_columns-0-name", "cost_model"):
        assert f'name="{field}' in form, field
    page = app.get(f"/data-product/{world.product['name']}", headers=steward)
    assert page.status_code == 200
    assert "Medicare claims for research" in _text(page)
    # The CKAN page of a product hides private components from those who may not see them, too.
    assert world.secret["name"] not in _text(app.get(f"/data-product/{world.product['name']}"))


def test_facets_read_in_words(app, world):
    helpers.call_action(
        "hhs_glossary_import",
        context={"user": world.sysadmin["name"]},
        rows=[
            {
                "name": "medicare-beneficiary",
                "displayName": "Medicare beneficiary",
                "description": "x",
                "status": "approved",
            }
        ],
    )
    helpers.call_action("package_patch", id=world.product["id"], glossary_terms=["medicare-beneficiary"])
    page = _text(app.get("/marketplace", query_string={"organization": "cms"}))
    assert "Medicare beneficiary (1)" in page
    assert "Owner division: Centers for Medicare &amp; Medicaid Services" in page


def test_every_marketplace_form_carries_the_csrf_token(app, world):
    request = ask(world)
    licence = helpers.call_action(
        "hhs_marketplace_licence_create",
        context={"user": world.steward["name"]},
        vendor="IQVIA",
        product="NPA",
        holder="cms",
        start_date=in_days(-1),
        end_date=in_days(100),
    )
    helpers.call_action(
        "hhs_marketplace_licence_request_create",
        context={"user": world.analyst["name"]},
        licence=licence["id"],
        division="cdc",
    )
    need = helpers.call_action(
        "hhs_marketplace_need_create", context={"user": world.analyst["name"]}, title="x", description="y"
    )
    pages = [
        (f"/marketplace/{world.product['name']}", world.analyst),
        (f"/marketplace/requests/{request['id']}", world.steward),
        (f"/marketplace/requests/{request['id']}", world.analyst),
        (f"/marketplace/licences/{licence['id']}", world.steward),
        (f"/marketplace/licences/{licence['id']}", world.analyst),
        ("/marketplace/licences/new", world.steward),
        ("/marketplace/needs", world.analyst),
        (f"/marketplace/needs/{need['id']}", world.analyst),
    ]
    for url, user in pages:
        page = _text(app.get(url, headers=_auth(user)))
        forms = re.findall(r'<form method="post".*?</form>', page, flags=re.S)
        assert forms, url
        assert all('name="_csrf_token"' in f for f in forms), url


def test_the_holder_changes_a_licence_on_its_form(app, world):
    licence = helpers.call_action(
        "hhs_marketplace_licence_create",
        context={"user": world.steward["name"]},
        vendor="IQVIA",
        product="NPA",
        subject="prescriptions",
        holder="cms",
        seats=10,
        start_date=in_days(-1),
        end_date=in_days(100),
    )
    url = f"/marketplace/licences/{licence['id']}/edit"
    form = _text(app.get(url, headers=_auth(world.steward)))
    assert 'value="IQVIA"' in form and 'value="prescriptions"' in form
    assert app.get(url, headers=_auth(world.analyst)).status_code == 403
    response = app.post(
        url,
        headers=_auth(world.steward),
        data={
            "vendor": "IQVIA",
            "product": "NPA",
            "subject": "",
            "holder": "cms",
            "covered": "cdc",
            "seats": "20",
            "start_date": in_days(-1),
            "end_date": in_days(200),
            "renewal": "auto",
        },
        follow_redirects=False,
    )
    assert response.status_code == 302
    shown = helpers.call_action(
        "hhs_marketplace_licence_show", context={"user": world.steward["name"]}, id=licence["id"]
    )
    assert (shown["seats"], shown["subject"], shown["renewal"]) == (20, "", "auto")
    assert [o["name"] for o in shown["covered"]] == ["cms", "cdc"]
    assert [e["action"] for e in shown["events"]] == ["create", "update"]


@pytest.mark.parametrize(
    "query",
    [{"q": "title:(claims"}, {"product_type": "api\\"}, {"product_type": 'x" OR *:*'}, {"sort": "nonsense desc"}],
)
def test_bad_search_input_gets_a_page_not_an_error(app, world, query):
    response = app.get("/marketplace", query_string=query)
    assert response.status_code == 200
    assert "data product" in _text(response)


def test_one_decision_form_with_who_asks(app, world, mail_server):
    """The steward's page: who asks (name, division and role, e-mail, earlier requests and grants, the
    purpose and terms accepted) and one form: the decision as a radio, one message box, one button."""
    earlier = ask(world)
    helpers.call_action(
        "hhs_marketplace_request_reject", context={"user": world.steward["name"]}, id=earlier["id"], message="No"
    )
    request = ask(world, purpose="Flu study, second try")
    url = f"/marketplace/requests/{request['id']}"
    page = _text(app.get(url, headers=_auth(world.steward)))
    forms = re.findall(r'<form method="post".*?</form>', page, flags=re.S)
    decision = [f for f in forms if "/decide" in f]
    assert len(decision) == 1 and not [f for f in forms if re.search(r"/(approve|reject|ask_info)\"", f)]
    assert decision[0].count('type="radio" name="decision"') == 3
    assert decision[0].count("<textarea") == 1 and decision[0].count('type="submit"') == 1
    for shown in (
        world.analyst["display_name"],
        "analyst@cdc.example.gov",
        "Centers for Disease Control and Prevention (member)",
        "Rejected",
        "0 live, 0 in all",
        "Flu study, second try",
        "Use only for the stated purpose",
    ):
        assert shown in page, shown

    # No decision chosen, or a rejection without a message: a clear error naming the field, nothing changes.
    response = app.post(url + "/decide", headers=_auth(world.steward), data={"message": "hm"})
    assert response.status_code == 200 and "decision: choose approve" in _text(response)
    response = app.post(url + "/decide", headers=_auth(world.steward), data={"decision": "reject"})
    assert "message: Missing value" in _text(response)
    shown = helpers.call_action(
        "hhs_marketplace_request_show", context={"user": world.steward["name"]}, id=request["id"]
    )
    assert shown["status"] == "submitted"

    app.post(url + "/decide", headers=_auth(world.steward), data={"decision": "ask_info", "message": "Which years?"})
    shown = helpers.call_action(
        "hhs_marketplace_request_show", context={"user": world.steward["name"]}, id=request["id"]
    )
    assert shown["status"] == "info_requested" and shown["events"][-1]["message"] == "Which years?"
    # The requester is not offered the decision; an outsider may not post one.
    assert "/decide" not in _text(app.get(url, headers=_auth(world.analyst)))
    assert app.post(url + "/decide", headers=_auth(world.outsider), data={"decision": "approve"}).status_code == 403


def test_the_decision_form_keeps_the_second_level_review(app, world, mail_server):
    helpers.call_action("package_patch", id=world.product["id"], access_terms="restricted")
    request = ask(world)
    url = f"/marketplace/requests/{request['id']}"
    page = _text(app.get(url, headers=_auth(world.steward)))
    assert "second-level review" in page
    app.post(url + "/decide", headers=_auth(world.steward), data={"decision": "approve"})
    show = lambda: helpers.call_action(  # noqa: E731
        "hhs_marketplace_request_show", context={"user": world.cms_admin["name"]}, id=request["id"]
    )
    assert show()["status"] == "awaiting_second"
    assert "/decide" not in _text(app.get(url, headers=_auth(world.steward)))  # not twice by the same steward
    assert "your approval gives access" in _text(app.get(url, headers=_auth(world.cms_admin)))
    app.post(url + "/decide", headers=_auth(world.cms_admin), data={"decision": "approve"})
    assert show()["status"] == "approved"
