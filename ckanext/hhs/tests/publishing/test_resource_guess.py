"""A resource's link names it and tells its format and media type (#24): the resource form fills them
as staff type a link (hhs_resource_guess, see test_form_browser.py), and a resource created through the
API or the form without a format gets them the same way. What people gave is never replaced, and an
imported distribution keeps what its source published."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import import_pod_records, pod_record
from ckanext.hhs.tests.publishing.forms import editor_client, submit

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

GUESSES = [
    (
        "https://data.cms.gov/files/Inpatient%20Stays%202024.csv?download=1#top",
        {"name": "Inpatient Stays 2024.csv", "format": "CSV", "mimetype": "text/csv"},
    ),
    (
        "https://data.cms.gov/a/claims.XLSX",
        {
            "name": "claims.XLSX",
            "format": "XLSX",
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    ),
    # The project's list of media types first (POD wants IANA types), then Python's mimetypes.
    ("https://data.cms.gov/lake/part-0.parquet", {"name": "part-0.parquet", "format": "Parquet"}),
    ("https://data.cms.gov/geo/counties.geojson", {"mimetype": "application/geo+json", "format": "GeoJSON"}),
    ("https://data.cms.gov/docs/guide.pdf", {"format": "PDF", "mimetype": "application/pdf"}),
    ("https://data.cms.gov/docs/notes.md", {"name": "notes.md", "mimetype": "text/markdown"}),
    ("inpatient.json", {"name": "inpatient.json", "format": "JSON", "mimetype": "application/json"}),
]
WHAT_A_LINK_TELLS = ("url", "name", "format", "mimetype")
NO_TYPE = ["https://api.cms.gov/v1/providers/", "https://data.cms.gov", "https://data.cms.gov/.well-known/"]


def test_the_guess_of_a_link(app):
    for url, expected in GUESSES:
        guess = app.get("/api/3/action/hhs_resource_guess", query_string={"url": url}).json["result"]
        assert {k: guess.get(k) for k in expected} == expected, (url, guess)
    for url in NO_TYPE:
        guess = app.get("/api/3/action/hhs_resource_guess", query_string={"url": url}).json["result"]
        assert "format" not in guess and "mimetype" not in guess, (url, guess)
    assert helpers.call_action("hhs_resource_guess", url="https://api.cms.gov/v1/providers/") == {"name": "providers"}
    response = app.get("/api/3/action/hhs_resource_guess", status=409)
    assert "url" in response.json["error"]


def _created(dataset: dict, **resource) -> dict:
    user = ckan_factories.Sysadmin()
    return helpers.call_action(
        "resource_create", context={"user": user["name"], "ignore_auth": False}, package_id=dataset["id"], **resource
    )


def test_a_resource_created_through_the_api_gets_format_and_media_type_from_its_link():
    dataset = factories.HhsDataset()
    created = _created(dataset, url="https://data.cms.gov/files/inpatient.csv", resource_kind="file")
    assert (created["format"], created["mimetype"]) == ("CSV", "text/csv")
    unnamed_kind = _created(dataset, url="https://data.cms.gov/files/claims.json")
    assert (unnamed_kind["format"], unnamed_kind["mimetype"]) == ("JSON", "application/json")


def test_what_was_given_is_kept_and_the_media_type_follows_the_given_format():
    dataset = factories.HhsDataset()
    typed = _created(dataset, url="https://data.cms.gov/export?type=json", format="JSON", resource_kind="file")
    assert (typed["format"], typed["mimetype"]) == ("JSON", "application/json")
    named = _created(dataset, url="https://data.cms.gov/export.csv", format="ZIP", name="All of it")
    assert (named["name"], named["format"]) == ("All of it", "ZIP")
    both = _created(dataset, url="https://data.cms.gov/export.csv", format="TSV", mimetype="text/tab-separated-values")
    assert (both["format"], both["mimetype"]) == ("TSV", "text/tab-separated-values")
    # An API or page gets its format too; a lakehouse table's location names no file type.
    api = _created(dataset, url="https://api.cms.gov/v1/claims.json", resource_kind="api")
    assert api["format"] == "JSON"
    table = _created(dataset, url="s3://cms-lake/claims/part.parquet", resource_kind="lakehouse")
    assert not table.get("format") and not table.get("mimetype")


def test_a_stored_resource_is_not_guessed_again(app):
    """A resource stored without a format (before the guess, or so edited) saved unchanged through its edit
    form stays without one: saving a form unchanged changes nothing."""
    import ckan.model as model

    client, division = editor_client(app)
    dataset = factories.HhsDataset(owner_org=division["id"], resources=[{"url": "https://api.cms.gov/v1/claims"}])
    resource = model.Resource.get(dataset["resources"][0]["id"])
    resource.url = "https://api.cms.gov/v1/claims.json"
    model.Session.commit()
    before = helpers.call_action("resource_show", id=resource.id)
    assert not before.get("format") and not before.get("mimetype")
    submit(client, f"/dataset/{dataset['name']}/resource/{resource.id}/edit", "resource-edit")
    after = helpers.call_action("resource_show", id=resource.id)
    assert {k: after.get(k) for k in WHAT_A_LINK_TELLS} == {k: before.get(k) for k in WHAT_A_LINK_TELLS}


def test_the_resource_form_posted_without_a_format_gets_it(app):
    client, division = editor_client(app)
    dataset = factories.HhsDataset(owner_org=division["id"])
    response = submit(
        client,
        f"/dataset/{dataset['name']}/resource/new",
        "resource-edit",
        {"resource_kind": "file", "url": "https://data.cms.gov/files/inpatient.csv", "url_type": ""},
        button=("save", "go-metadata"),
    )
    assert response.status_code == 200
    (resource,) = helpers.call_action("package_show", id=dataset["id"])["resources"]
    assert (resource["format"], resource["mimetype"]) == ("CSV", "text/csv")


def test_an_imported_distribution_keeps_what_its_source_gave(tmp_path):
    sysadmin = ckan_factories.Sysadmin()
    factories.Division(name="cms", bureau_code="009:38")
    record = pod_record(
        "cms-guess-1",
        "Imported distribution",
        "A distribution with a media type and no format.",
        publisher={"@type": "org:Organization", "name": "CMS"},
        distribution=[
            {"@type": "dcat:Distribution", "downloadURL": "https://data.cms.gov/a.csv", "mediaType": "text/plain"},
            {"@type": "dcat:Distribution", "accessURL": "https://data.cms.gov/b.json"},
        ],
    )
    report = import_pod_records(sysadmin["name"], tmp_path / "catalog.json", [record], "cms")
    assert report["summary"]["created"] == 1, report
    (dataset,) = helpers.call_action("package_search", fq="organization:cms")["results"]
    first, second = helpers.call_action("package_show", id=dataset["id"])["resources"]
    assert not first.get("format") and first["mimetype"] == "text/plain"
    assert not second.get("format") and not second.get("mimetype")
