"""Pages: the dataset form follows the HHS schema; dataset pages show completeness; facets render."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import division_with, logged_in


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestPages:
    def test_dataset_form_offers_the_hhs_fields_with_help(self, app):
        user = ckan_factories.SysadminWithToken()
        factories.Division(name="cms")
        page = app.get("/dataset/new", headers={"Authorization": user["token"]}).get_data(as_text=True)
        for field in (
            "bureau_code",
            "program_code",
            "access_level",
            "coding_system",
            "phi_classification",
            "health_theme",
            "legal_basis",
            "sensitivity",
            "data_steward",
        ):
            assert f'name="{field}' in page or f'id="field-{field}' in page, field
        assert "009:76 Administration for Strategic Preparedness and Response" in page
        assert "LOINC (laboratory tests and observations)" in page
        assert "Rights are required" not in page
        assert "Required unless the access level is public" in page
        assert 'name="_csrf_token"' in page

    def test_dataset_page_shows_completeness_and_search_page_the_facets(self, app):
        # Facets with no values are left out of the page, so the dataset fills each one checked below.
        dataset = factories.HhsDataset(
            coding_system=["LOINC"], phi_classification="de-identified", title="Lab results <script>alert(1)</script>"
        )
        page = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
        assert "Metadata completeness" in page
        assert "<script>alert(1)</script>" not in page
        search = app.get("/dataset/").get_data(as_text=True)
        for title in ("Bureau code", "Access level", "Coding system", "PHI classification", "Metadata completeness"):
            assert title in search, title
        assert "/dataset/?vocab_coding_system=LOINC" in search


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_a_request_failing_on_the_database_does_not_break_the_next_one(app):
    """The session of a request that ends on a database error is released, not handed to the next request."""
    import sqlalchemy as sa

    import ckan.model as model

    def poison():
        model.Session.execute(sa.text("SELECT 1 / 0"))
        return "unreachable"

    app.flask_app.add_url_rule("/_test/poison", "test_poison", poison)
    # Logged in: the error page then reads the user from the database, in the aborted transaction.
    headers = {"Authorization": ckan_factories.UserWithToken()["token"]}
    # Its error page fails as well (the test client raises what a server would log as a 500).
    with pytest.raises(sa.exc.DBAPIError):
        app.get("/_test/poison", headers=headers)
    assert app.get("/dataset/", headers=headers).status_code == 200
    assert app.get("/api/3/action/package_search", headers=headers).status_code == 200


def _form_token(client, url: str) -> str:
    import re

    return re.search(r'name="_csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_saving_a_dataset_on_the_form_says_so(app):
    editor, division = division_with("editor")
    client = logged_in(app, editor)
    fields = {
        "title": "Inpatient stays",
        "name": "inpatient-stays",
        "notes": "Hospital stays of Medicare beneficiaries.",
        "tag_string": "medicare,hospitals",
        "owner_org": division["id"],
        "bureau_code": "009:38",
        "program_code": "009:000",
        "access_level": "public",
        "contact__0__name": "Data Team",
        "contact__0__email": "data@cms.hhs.gov",
    }
    page = client.post(
        "/dataset/new",
        data={
            **fields,
            "_ckan_phase": "dataset_new_1",
            "pkg_name": "",
            "save": "continue",
            "_csrf_token": _form_token(client, "/dataset/new"),
        },
    ).get_data(as_text=True)
    assert "The dataset was saved as a draft: add its data to finish." in page, page[page.find("<main") :][:3000]
    assert "usa-alert--success" in page

    url = "/dataset/inpatient-stays/resource/new"
    page = client.post(
        url,
        data={
            "id": "",
            "url": "https://data.cms.gov/inpatient",
            "name": "Inpatient stays",
            "save": "go-metadata",
            "_csrf_token": _form_token(client, url),
        },
    ).get_data(as_text=True)
    assert "The dataset was created." in page, page[page.find("<main") :][:3000]

    url = "/dataset/edit/inpatient-stays"
    page = client.post(
        url,
        data={**fields, "notes": "By hospital.", "save": "", "_csrf_token": _form_token(client, url)},
    ).get_data(as_text=True)
    assert "The dataset was saved." in page, page[page.find("<main") :][:3000]
    assert "By hospital." in page
    # A page that follows shows no confirmation again.
    assert "The dataset was saved." not in client.get("/dataset/inpatient-stays").get_data(as_text=True)


_PLUGINS = (
    "hhs hhs_catalog hhs_harvest hhs_glossary hhs_marketplace hhs_lakehouse hhs_governance scheming_datasets "
    "scheming_organizations dcat dcat_rdf_harvester structured_data harvest"
)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_home_page_calls_nothing_popular_without_tracking(app):
    factories.HhsDataset(title="Inpatient stays")
    page = app.get("/").get_data(as_text=True)
    assert "Recently updated datasets" in page
    assert "Inpatient stays" in page
    assert "Popular datasets" not in page


@pytest.mark.ckan_config("ckan.plugins", _PLUGINS + " tracking")
@pytest.mark.ckan_config("ckan.tracking_enabled", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_home_page_shows_the_most_viewed_datasets_where_tracking_is_on(app, migrate_db_for):
    import datetime as dt

    from ckanext.tracking.cli.tracking import update_all

    migrate_db_for("tracking")
    quiet = factories.HhsDataset(title="Quiet dataset")
    busy = factories.HhsDataset(title="Busy dataset")
    some = factories.HhsDataset(title="Somewhat viewed dataset")
    for pkg, viewers in ((busy, 3), (some, 1)):
        for n in range(viewers):
            app.post(
                "/_tracking",
                data={"url": f"/dataset/{pkg['name']}", "type": "page"},
                environ_overrides={
                    "HTTP_USER_AGENT": "firefox",
                    "REMOTE_ADDR": f"10.0.0.{n + 1}",
                    "HTTP_ACCEPT_LANGUAGE": "en",
                    "HTTP_ACCEPT_ENCODING": "gzip",
                },
            )
    update_all(start_date=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    page = app.get("/").get_data(as_text=True)
    assert "Popular datasets" in page
    assert "Most viewed in the last 14 days." in page
    popular = page[page.index("hhs-popular-title") : page.index("hhs-recent-title")]
    assert popular.index("Busy dataset") < popular.index("Somewhat viewed dataset")
    assert "3 views" in popular
    assert quiet["title"] not in popular  # never viewed: not called popular
