"""What a dataset page and the glossary page cost in database queries (issue #23, a portal that holds under
load): counted, not timed. Before, a CMS-shaped dataset page ran a query per resource twice (CKAN's
resource_view_list) and two organization_show calls for the division box; the glossary page two queries
per term listed."""

from __future__ import annotations

import contextlib
import json

import pytest
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.helpers import hhs_structured_data
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import auth_headers

RESOURCES = 30  # a CMS dataset publishes about 29 distributions


@contextlib.contextmanager
def _queries():
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


def _dataset(**extra):
    division = factories.Division(title="Centers for Medicare & Medicaid Services", description="Pays for care.")
    resources = [{"url": f"https://data.example.gov/file-{n}.csv", "name": f"File {n}"} for n in range(RESOURCES)]
    return factories.HhsDataset(owner_org=division["id"], resources=resources, **extra), division


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_dataset_page_reads_its_resources_once_not_once_each(app):
    dataset, division = _dataset()
    app.get(f"/dataset/{dataset['name']}", status=200)  # templates compiled, caches warm
    with _queries() as seen:
        page = app.get(f"/dataset/{dataset['name']}", status=200).body
    resource_reads = [q for q in seen if q.lstrip().startswith("SELECT") and "FROM resource " in q]
    view_reads = [q for q in seen if "FROM resource_view" in q]
    assert len(resource_reads) <= 2, f"{len(resource_reads)} resource queries"  # was one per resource
    assert not view_reads  # no resource view plugin is loaded: CKAN's answer is always empty
    assert len(seen) < 50, f"{len(seen)} queries"  # was 102 on a CMS dataset of 29 resources
    # The division box still tells the division, from the dataset's own copy of it.
    assert "Centers for Medicare &amp; Medicaid Services" in page
    assert "Pays for care." in page
    assert f'href="/organization/{division["name"]}"' in page


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_resource_view_list_still_checks_the_resource_and_the_caller():
    dataset, _ = _dataset(private=True)
    resource = dataset["resources"][0]["id"]
    stranger = ckan_factories.User()
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("resource_view_list", {"user": stranger["name"], "ignore_auth": False}, id=resource)
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("resource_view_list", {"user": stranger["name"], "ignore_auth": False}, id="nope")
    assert helpers.call_action("resource_view_list", {"ignore_auth": True}, id=resource) == []


@pytest.mark.ckan_config(
    "ckan.plugins", "hhs hhs_catalog scheming_datasets scheming_organizations dcat structured_data image_view"
)
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_with_a_view_plugin_loaded_views_are_listed_as_ckan_lists_them():
    dataset, _ = _dataset()
    resource = dataset["resources"][0]["id"]
    helpers.call_action(
        "resource_view_create", {"ignore_auth": True}, resource_id=resource, view_type="image_view", title="Picture"
    )
    views = helpers.call_action("resource_view_list", {"ignore_auth": True}, id=resource)
    assert [v["title"] for v in views] == ["Picture"]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_structured_data_follows_the_dataset_as_shown(app):
    dataset, _ = _dataset()
    first = json.loads(str(hhs_structured_data(dataset)))
    again = helpers.call_action("package_patch", {"ignore_auth": True}, id=dataset["id"], title="A new title")
    second = json.loads(str(hhs_structured_data(again)))
    names = lambda graph: {str(n.get("schema:name")) for n in graph["@graph"]}  # noqa: E731
    assert dataset["title"] in names(first)
    assert "A new title" in names(second) and dataset["title"] not in names(second)
    # The copy kept for a dataset read again is the same text.
    assert str(hhs_structured_data(again)) == str(hhs_structured_data(dict(again)))


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_the_glossary_page_reads_stewards_and_proposers_once_per_page(app):
    division = factories.Division(title="Centers for Disease Control and Prevention")
    proposer = ckan_factories.User(name="term-proposer")
    rows = [
        {
            "name": f"term-{n}",
            "displayName": f"Term {n}",
            "description": f"Definition {n}.",
            "steward": division["name"],
            "status": "approved",
        }
        for n in range(20)
    ]
    helpers.call_action("hhs_glossary_import", {"ignore_auth": True, "user": proposer["name"]}, rows=rows)
    listed = helpers.call_action("hhs_glossary_term_list", {"ignore_auth": True}, status="approved")
    assert listed["count"] == 20
    assert {t["steward"]["title"] for t in listed["results"]} == {"Centers for Disease Control and Prevention"}
    assert {t["proposed_by"] for t in listed["results"]} == {"term-proposer"}
    app.get("/glossary", status=200)
    with _queries() as seen:
        app.get("/glossary", status=200)
    lookups = [q for q in seen if 'FROM "group"' in q or 'FROM "user"' in q]
    assert len(lookups) <= 4, f"{len(lookups)} division/user queries for 20 terms"  # was 2 per term


ACTIVITY = "activity hhs hhs_catalog scheming_datasets scheming_organizations dcat structured_data"


def _badge(app, headers: dict[str, str]) -> int:
    page = app.get("/dataset/", headers=headers, status=200).body
    return int(page.split('<span class="badge">', 1)[1].split("<", 1)[0])


@pytest.mark.ckan_config("ckan.plugins", ACTIVITY)
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_the_dashboard_count_is_kept_a_minute_and_forgotten_once_read(app):
    """CKAN's header counts the user's new dashboard items on every page by building the whole stream."""
    reader, editor = ckan_factories.User(), ckan_factories.Sysadmin()
    reader_headers = auth_headers(reader["name"])
    dataset, _ = _dataset()
    helpers.call_action("follow_dataset", {"user": reader["name"]}, id=dataset["id"])
    assert _badge(app, reader_headers) == 0

    helpers.call_action("package_patch", {"user": editor["name"]}, id=dataset["id"], title="Changed once")
    assert _badge(app, reader_headers) == 0  # the count read a moment ago is kept for a minute
    from ckan.lib.redis import connect_to_redis

    from ckanext.hhs import dashboard

    connect_to_redis().delete(dashboard._key(reader["name"]))  # as when the minute is over
    assert _badge(app, reader_headers) == 1

    app.get("/dashboard/", headers=reader_headers, status=200)  # the user reads them
    assert _badge(app, reader_headers) == 0  # at once, not a minute later


@pytest.mark.usefixtures("with_plugins")
def test_the_description_extract_is_ckans_kept_by_text_and_length():
    from ckan.lib import helpers as core

    from ckanext.hhs import helpers as ours

    text = "**Bold** claims <em>data</em> about *Medicare* beneficiaries, " * 8
    assert tk.h.markdown_extract(text, extract_length=180) == core.markdown_extract(text, extract_length=180)
    assert (text, 180) in ours.markdown_extract.cache  # the page helper is the kept one
    assert tk.h.markdown_extract(text, 60) == core.markdown_extract(text, 60)
    assert tk.h.markdown_extract(text) == core.markdown_extract(text)
    assert tk.h.markdown_extract("") == ""
