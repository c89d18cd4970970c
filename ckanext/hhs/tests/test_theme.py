"""The HHS look: pages in HHS words, values in words, search that reads well, forms without traps."""

from __future__ import annotations

import re

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import helpers as hhs_helpers
from ckanext.hhs.tests import factories


class TestValuesInWords:
    @pytest.mark.parametrize(
        ("value", "words"),
        [
            ("R/P1Y", "Annually"),
            ("R/P1M", "Monthly"),
            ("R/P3M", "Quarterly"),
            ("R/P5Y", "Every 5 years"),
            ("irregular", "Irregularly"),
            ("", ""),
            ("P1Y", "P1Y"),
        ],
    )
    def test_frequency(self, value, words):
        assert hhs_helpers.hhs_frequency_label(value) == words

    def test_bureau_codes_of_any_department_have_their_name(self):
        assert hhs_helpers.hhs_bureau_label("009:38") == "009:38 Centers for Medicare and Medicaid Services"
        assert hhs_helpers.hhs_bureau_label("005:12").startswith("005:12 ")  # Agriculture
        assert hhs_helpers.hhs_bureau_label("999:99") == "999:99"

    def test_vocabulary_labels(self):
        assert hhs_helpers.hhs_label("phi_classification", "de-identified").startswith("De-identified")
        assert hhs_helpers.hhs_label("health_theme", "infectious-disease") == "Infectious disease"
        assert hhs_helpers.hhs_label("coding_system", "LOINC") == "LOINC (laboratory tests and observations)"
        assert hhs_helpers.hhs_label("access_level", "non-public") == "Non-public"
        assert hhs_helpers.hhs_label("health_theme", "not-a-theme") == "not-a-theme"

    @pytest.mark.usefixtures("with_request_context")
    def test_licences_by_name_and_link_also_when_given_as_a_url(self):
        assert hhs_helpers.hhs_license("https://www.usa.gov/government-works") == {
            "title": "U.S. Government Works (public domain)",
            "url": "https://www.usa.gov/government-works",
        }
        cc_by = hhs_helpers.hhs_license("cc-by")
        assert cc_by["title"].startswith("Creative Commons Attribution") and cc_by["url"].startswith("http")
        assert hhs_helpers.hhs_license("") == {}
        # The register's entry for the URLs harvested records give; an unknown licence is shown as given.
        assert hhs_helpers.hhs_license("http://www.usa.gov/publicdomain/label/1.0/")["title"].startswith("U.S.")
        assert hhs_helpers.hhs_license("https://creativecommons.org/publicdomain/zero/1.0/")["title"].startswith(
            "Creative Commons CC0"
        )
        assert hhs_helpers.hhs_license("https://example.gov/terms") == {
            "title": "Licence: https://example.gov/terms",
            "url": "https://example.gov/terms",
        }

    def test_format_from_the_media_type_only_when_the_source_gave_none(self):
        assert hhs_helpers.hhs_format_of({"format": "", "mimetype": "text/csv"}) == "CSV"
        assert hhs_helpers.hhs_format_of({"format": "XLSX", "mimetype": "text/csv"}) == "XLSX"
        assert hhs_helpers.hhs_format_of({"mimetype": "application/x-unknown"}) == ""
        assert hhs_helpers.hhs_is_download({"url": "https://x.gov/a.csv", "mimetype": "text/csv"})
        assert not hhs_helpers.hhs_is_download({"url": "https://x.gov/api", "format": "API", "resource_kind": "api"})

    def test_facet_labels(self):
        assert hhs_helpers.hhs_facet_label("vocab_health_theme", {"name": "infectious-disease"}) == "Infectious disease"
        assert hhs_helpers.hhs_facet_label("phi_classification", {"name": "de-identified"}).startswith("De-identified")
        assert hhs_helpers.hhs_facet_label("vocab_bureau_code", {"name": "009:38"}).endswith("Medicaid Services")
        assert hhs_helpers.hhs_facet_label("completeness_band", {"name": "high"}) == "High (80% or more)"
        org = {"name": "cms", "display_name": "Centers for Medicare & Medicaid Services"}
        assert hhs_helpers.hhs_facet_label("organization", org) == "Centers for Medicare & Medicaid Services"


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestPages:
    def test_home_page_in_hhs_words_with_live_figures_and_no_external_images(self, app):
        division = factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", acronym="CMS")
        factories.HhsDataset(owner_org=division["id"], title="Medicare enrollment")
        page = app.get("/").get_data(as_text=True)
        assert "Welcome to CKAN" not in page and "420 x 220" not in page
        assert 'class="usa-banner"' in page and 'class="usa-identifier"' in page
        assert "Skip to main content" in page
        for link in ("Accessibility support", "Privacy policy", "FOIA requests"):
            assert link in page
        assert 'id="hhs-home-search"' in page
        assert "Medicare enrollment" in page  # recent datasets
        assert "/organization/cms" in page and "Centers for Medicare &amp; Medicaid Services" in page
        assert 'href="/data.json"' in page and 'href="/catalog.ttl"' in page
        assert "Glossary terms" in page
        figures = hhs_helpers_figures(app)
        assert figures["Datasets"] == 1
        # No image, font or stylesheet from another site.
        assert "gravatar" not in page.lower()
        assert "//cdn" not in page and "unpkg.com" not in page and "jsdelivr" not in page

    def test_about_and_division_pages_speak_of_divisions(self, app):
        about = app.get("/about").get_data(as_text=True)
        assert "About the HHS Data Hub" in about and "open-source data portal platform" not in about
        factories.Division(name="cdc")
        index = app.get("/organization/").get_data(as_text=True)
        assert "What are Organizations?" not in index and "CKAN Organizations" not in index
        assert "What are divisions?" in index and "Divisions" in index
        assert "1 division found" in index and "organization found" not in index
        read = app.get("/organization/cdc").get_data(as_text=True)
        assert "/organization/cdc/data.json" in read and "/organization/cdc/catalog.ttl" in read

    def test_logged_in_users_get_an_avatar_drawn_locally(self, app):
        user = ckan_factories.UserWithToken(fullname="Ada Lovelace", image_url="https://example.com/ada.png")
        page = app.get("/dataset/", headers={"Authorization": user["token"]}).get_data(as_text=True)
        assert "gravatar.com" not in page and "example.com/ada.png" not in page
        assert re.search(
            r'<span class="user-image hhs-avatar" role="img" aria-label="Ada Lovelace"[^>]*>AL</span>', page
        )

    def test_dataset_page_groups_filled_fields_in_words(self, app):
        dataset = factories.HhsDataset(
            frequency="R/P1Y",
            data_quality=True,
            license_id="https://www.usa.gov/government-works",
            bureau_code=["009:38"],
            program_code=["009:000", "009:001"],
            is_referenced_by=["https://data.cms.gov/methods"],
            publisher=[{"name": "", "url": ""}],
            phi_classification="de-identified",
            health_theme=["infectious-disease"],
            resources=[
                {"url": "https://data.cms.gov/claims/download", "name": "Claims", "format": "", "mimetype": "text/csv"},
                {"url": "https://data.cms.gov/api", "name": "Claims", "format": "API", "resource_kind": "api"},
            ],
        )
        page = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
        for heading in ("Description", "Access and use", "Health", "Governance", "Source and history"):
            assert f">{heading}</h2>" in page, heading
        assert "Annually" in page and ">R/P1Y<" not in page
        assert "U.S. Government Works (public domain)" in page
        assert '<a href="https://data.cms.gov/methods">' in page
        assert "009:38 Centers for Medicare and Medicaid Services" in page
        assert "Infectious disease" in page and "De-identified" in page
        assert "<ol>" not in page.split('class="hhs-fields"')[1]
        # Empty fields are not shown at all.
        assert "Publisher 1" not in page and ">Sensitivity (FIPS 199)<" not in page
        assert ">Yes<" in page  # meets the quality guidelines
        # Distributions: a format the link does not tell comes from the media type (the stored format
        # stays empty); a file is downloaded, an API opened.
        assert '<span class="hhs-format" data-format="csv">CSV</span>' in page
        assert ">Download<" in page and ">Open<" in page
        # The stored value is not changed.
        shown = helpers.call_action("package_show", id=dataset["id"])
        assert shown["resources"][0]["format"] == ""

    def test_formats_facet_counts_distributions_that_only_have_a_media_type(self, app):
        factories.HhsDataset(resources=[{"url": "https://x.gov/a.csv", "format": "", "mimetype": "text/csv"}])
        result = helpers.call_action("package_search", **{"facet.field": ["res_format"]})
        assert result["facets"]["res_format"] == {"CSV": 1}
        page = app.get("/dataset/").get_data(as_text=True)
        assert "/dataset/?res_format=CSV" in page

    def test_search_sorts_by_completeness_and_cards_show_division_and_formats(self, app):
        division = factories.Division(title="Office of the Assistant Secretary for Planning and Evaluation")
        factories.HhsDataset(owner_org=division["id"], title="Sparse", resources=[])
        factories.HhsDataset(
            owner_org=division["id"],
            title="Rich",
            frequency="R/P1M",
            modified="2024-12-27",
            resources=[{"url": "https://x.gov/a.csv", "format": "CSV"}],
        )
        page = app.get("/dataset/", query_string={"sort": "completeness_sort desc, metadata_modified desc"})
        text = page.get_data(as_text=True)
        assert "Most complete metadata" in text
        assert text.index('title="Rich"') < text.index('title="Sparse"')
        assert "Office of the Assistant Secretary for Planning and Evaluation" in text  # never truncated
        assert 'class="hhs-completeness' in text and "December 27, 2024" in text
        empty = app.get("/dataset/", query_string={"q": "nothing-matches-this"}).get_data(as_text=True)
        assert "Nothing matches this search" in empty
        assert "There are no" not in empty  # empty facets are left out, not announced

    def test_new_resource_form_has_no_empty_column_row_and_a_link_resource_saves(self, app):
        user = ckan_factories.SysadminWithToken()
        dataset = factories.HhsDataset()
        headers = {"Authorization": user["token"]}
        form = app.get(f"/dataset/{dataset['name']}/resource/new", headers=headers).get_data(as_text=True)
        assert 'name="column_terms-0-column"' not in form.split('name="repeating-template"')[0]
        app.post(
            f"/dataset/{dataset['name']}/resource/new",
            headers=headers,
            data={"url": "https://data.cms.gov/page", "name": "Landing", "save": "go-metadata", "id": ""},
        )
        resources = helpers.call_action("package_show", id=dataset["id"])["resources"]
        assert [r["url"] for r in resources] == ["https://data.cms.gov/page"]

    def test_glossary_terms_show_as_linked_chips_and_the_picker_offers_labels(self, app, sysadmin_context):
        helpers.call_action(
            "hhs_glossary_import",
            context=sysadmin_context,
            rows=[
                {"name": "beneficiary", "displayName": "Beneficiary", "description": "Covered.", "status": "approved"}
            ],
        )
        dataset = factories.HhsDataset(glossary_terms=["beneficiary"])
        page = app.get(f"/dataset/{dataset['name']}").get_data(as_text=True)
        assert '<a class="hhs-chip" href="/glossary/beneficiary" title="Covered.">Beneficiary</a>' in page
        found = app.get("/api/2/util/hhs_glossary/autocomplete", query_string={"incomplete": "benef"}).json
        assert found["ResultSet"]["Result"] == [
            {"Name": "beneficiary", "Label": "Beneficiary", "Definition": "Covered."}
        ]


def hhs_helpers_figures(app) -> dict[str, int]:
    with app.flask_app.test_request_context():
        return {f["label"]: f["count"] for f in hhs_helpers.hhs_home_figures()}
