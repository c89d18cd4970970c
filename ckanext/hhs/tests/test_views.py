"""Pages: the dataset form follows the HHS schema; dataset pages show completeness; facets render."""

from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories

from ckanext.hhs.tests import factories


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
