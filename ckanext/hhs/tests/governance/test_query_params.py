"""Hostile query strings on every GET page of the glossary and governance blueprints (issue #23: HTTP 500
for /glossary?status=foo): a bad enum, page number, date or id is a 400 naming the field, or is
ignored, never a server error. The route list is checked against the blueprints, so a new page joins."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

GET_ROUTES = [
    "/glossary",
    "/glossary/<slug>",
    "/glossary/<slug>/history",
    "/glossary/new",
    "/glossary/<slug>/edit",
    "/glossary/review",
    "/glossary.<any(ttl, jsonld):fmt>",
    "/glossary/<slug>.<any(ttl, jsonld):fmt>",
    "/glossary.csv",
    "/api/2/util/hhs_glossary/autocomplete",
    "/governance/",
    "/governance/<section>.csv",
    "/governance/duplicates",
    "/governance/gaps",
    "/governance/gaps.csv",
    "/governance/gaps/new",
    "/governance/gaps/<id>/edit",
    "/governance/gaps/<id>",
    "/governance/quality",
    "/governance/quality/fixlist/<division>.<fmt>",
]
HOSTILE = [
    "status=foo",
    "status=%00",
    "page=abc",
    "page=-3",
    "page=99999999999999999999999999",
    "page=1e3",
    "limit=abc&offset=-1",
    "date=2024-13-45",
    "date=yesterday",
    "division=..%2F..%2Fetc",
    "division=%00",
    "q=%00&letter=%00&steward=%00",
    "q=" + "x" * 5000,
    "view=hierarchy&status=foo",
    "a=foo&b=bar",
    "a=1&b=99999999999999999999",
    "severity=foo&sort=foo&order=foo&overdue=maybe",
    "kind=foo&field=foo&source=%00",
    "incomplete=%00",
    "status=open&status=foo",
]


def test_the_route_list_is_every_get_page(app):
    rules = {
        rule.rule
        for rule in app.flask_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("hhs_glossary", "hhs_governance") and "GET" in rule.methods
    }
    assert rules == set(GET_ROUTES)


@pytest.fixture
def world(board):
    sysadmin = ckan_factories.Sysadmin()
    factories.Division(name="cms", bureau_code="009:38")
    fields = {"label": "Medicare beneficiary", "definition": "A person covered by Medicare.", "slug": "beneficiary"}
    member = {"user": board.member["name"], "ignore_auth": False}
    helpers.call_action("hhs_glossary_term_create", context=member, **fields)
    gap = helpers.call_action(
        "hhs_governance_gap_create",
        context={"user": board.editor["name"], "ignore_auth": False},
        title="No steward",
        division="cms",
        severity="high",
    )
    return {"sysadmin": sysadmin, "member": board.member, "slug": "beneficiary", "gap": gap["id"]}


def _url(route: str, world: dict) -> str:
    return (
        route.replace("<slug>", world["slug"])
        .replace("<any(ttl, jsonld):fmt>", "ttl")
        .replace("<section>", "links")
        .replace("<id>", world["gap"])
        .replace("<division>", "cms")
        .replace("<fmt>", "csv")
    )


@pytest.mark.parametrize("route", GET_ROUTES)
def test_hostile_query_strings_never_raise_a_server_error(app, world, route):
    url = _url(route, world)
    tokens = {
        who: helpers.call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")[
            "token"
        ]
        for who, user in (("sysadmin", world["sysadmin"]), ("member", world["member"]))
    }
    failures = []
    for query in HOSTILE:
        for who, headers in (("anonymous", {}), *((w, {"Authorization": t}) for w, t in tokens.items())):
            response = app.get(f"{url}?{query}", headers=headers, status=None, follow_redirects=False)
            if response.status_code >= 500:
                failures.append(f"{who} {url}?{query[:60]}: {response.status_code}")
    assert not failures


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/glossary?status=foo", "status"),
        ("/glossary?page=abc", "page"),
        ("/glossary?page=0", "page"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field(app, url, field):
    response = app.get(url, status=400)
    assert field in response.get_data(as_text=True)
