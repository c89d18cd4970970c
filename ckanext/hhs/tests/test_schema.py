"""The HHS dataset and division schemas, their validators, and division seeding."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import completeness, divisions
from ckanext.hhs.tests import factories


def _dataset(**overrides):
    data = {
        "name": "inpatient-claims",
        "title": "Inpatient claims",
        "notes": "Medicare inpatient claims.",
        "tag_string": "medicare,claims",
        "bureau_code": ["009:38"],
        "program_code": ["009:078"],
        "access_level": "public",
        "contact": [{"name": "Data Team", "email": "data@cms.hhs.gov"}],
        "owner_org": factories.Division()["id"],
    }
    data.update(overrides)
    return data


def _errors(**overrides):
    with pytest.raises(tk.ValidationError) as e:
        helpers.call_action("package_create", **_dataset(**overrides))
    return e.value.error_dict


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestDatasetSchema:
    def test_health_and_governance_fields_round_trip_through_the_api(self):
        created = helpers.call_action(
            "package_create",
            **_dataset(
                coding_system=["ICD-10-CM", "LOINC"],
                health_theme=["health-care-cost"],
                phi_classification="de-identified",
                legal_basis=["hipaa-privacy-rule"],
                population_coverage=["Medicare fee-for-service beneficiaries"],
                number_of_records=1200000,
                min_typical_age=65,
                max_typical_age=100,
                sensitivity="moderate",
                data_steward=[{"name": "Jane Steward", "email": "jane@cms.hhs.gov"}],
                frequency="R/P1M",
                temporal="2020-01-01/2024-12-31",
                resources=[
                    {
                        "url": "s3://cms-lake/claims/inpatient",
                        "name": "Inpatient claims table",
                        "resource_kind": "lakehouse",
                        "table_format": "delta",
                        "table_uri": "s3://cms-lake/claims/inpatient",
                        "query_endpoint": "https://sql.cms.example.gov/warehouse",
                    }
                ],
            ),
        )
        shown = helpers.call_action("package_show", id=created["id"])
        assert shown["coding_system"] == ["ICD-10-CM", "LOINC"]
        assert shown["bureau_code"] == ["009:38"]
        assert shown["phi_classification"] == "de-identified"
        assert shown["number_of_records"] == 1200000
        assert shown["resources"][0]["table_format"] == "delta"
        assert shown["data_steward"][0]["email"] == "jane@cms.hhs.gov"

    @pytest.mark.parametrize(
        ("overrides", "field", "expected"),
        [
            ({"bureau_code": ["009:99"]}, "bureau_code", "not on the OMB bureau code list"),
            ({"bureau_code": ["9:38"]}, "bureau_code", "not of the form 009:38"),
            ({"program_code": ["009-078"]}, "program_code", "not of the form 009:000"),
            ({"access_level": "secret"}, "access_level", "Access level must be one of"),
            ({"access_level": "non-public"}, "access_rights", "Rights are required"),
            ({"frequency": "every full moon"}, "frequency", "ISO 8601 repeating duration"),
            ({"temporal": "2020 to 2024"}, "temporal", "ISO 8601 interval"),
            ({"modified": "31/12/2024"}, "modified", "not an ISO 8601 date"),
            ({"contact": [{"name": "A", "email": "not-an-email"}]}, "contact", "is not an email address"),
            ({"url": "javascript:alert(1)"}, "url", "Please provide a valid URL"),
            ({"coding_system": ["ICD-9000"]}, "coding_system", "Unknown coding system"),
            ({"program_code": [f"009:{n:03d}" for n in range(201)]}, "program_code", "At most 200 values"),
            ({"tag_string": ""}, "tag_string", "At least one keyword"),
            ({"contact": []}, "contact", "At least one contact point"),
        ],
    )
    def test_bad_input_gets_a_field_error_and_nothing_is_written(self, overrides, field, expected):
        errors = _errors(**overrides)
        assert field in errors, errors
        assert expected in str(errors[field]), errors[field]
        assert helpers.call_action("package_search", q="*:*")["count"] == 0

    def test_restricted_dataset_with_rights_is_valid(self):
        pkg = helpers.call_action(
            "package_create", **_dataset(access_level="restricted public", access_rights="Available under a DUA.")
        )
        assert pkg["access_rights"] == "Available under a DUA."

    def test_empty_optional_numbers_are_absent_not_an_error(self):
        # What every browser sends for the number fields left blank (this was an HTTP 500).
        fields = ("number_of_records", "number_of_unique_individuals", "min_typical_age", "max_typical_age")
        counts = dict.fromkeys(fields, "")
        pkg = helpers.call_action("package_create", **_dataset(**counts))
        assert all(pkg.get(f) in (None, "") for f in counts)
        with pytest.raises(tk.ValidationError) as e:
            helpers.call_action("package_create", **_dataset(name="negative", number_of_records="-1"))
        assert "number_of_records" in e.value.error_dict

    def test_aspr_2025_bureau_code_is_accepted(self):
        assert helpers.call_action("package_create", **_dataset(bureau_code=["009:76"]))["bureau_code"] == ["009:76"]

    def test_only_the_governance_board_may_set_authoritative_source(self):
        user = ckan_factories.User()
        org = factories.Division(users=[{"name": user["name"], "capacity": "editor"}])
        context = {"user": user["name"], "ignore_auth": False}
        with pytest.raises(tk.ValidationError) as e:
            helpers.call_action(
                "package_create", context=context, **_dataset(owner_org=org["id"], authoritative_source=True)
            )
        assert "Data Governance Board" in str(e.value.error_dict["authoritative_source"])

        board = factories.Division(name="data-governance-board", users=[{"name": user["name"], "capacity": "editor"}])
        assert board
        pkg = helpers.call_action(
            "package_create", context=dict(context), **_dataset(owner_org=org["id"], authoritative_source=True)
        )
        assert pkg["authoritative_source"] is True

    def test_completeness_is_indexed_faceted_and_sortable(self):
        sparse = helpers.call_action("package_create", **_dataset(name="sparse"))
        rich = helpers.call_action(
            "package_create",
            **_dataset(
                name="rich",
                license_id="cc-zero",
                modified="2024-01-01",
                frequency="R/P1Y",
                temporal="2020/2024",
                spatial="United States",
                theme=["Medicare"],
                data_dictionary=[{"url": "https://data.cms.gov/dictionary"}],
                health_theme=["health-care-cost"],
                coding_system=["ICD-10-CM"],
                population_coverage=["Medicare beneficiaries"],
                phi_classification="none",
                legal_basis=["privacy-act"],
                data_steward=[{"name": "Jane", "email": "j@cms.hhs.gov"}],
                publisher=[{"name": "CMS"}],
                resources=[{"url": "https://data.cms.gov/x.csv", "format": "CSV"}],
            ),
        )
        assert completeness.score(rich).percent == 100
        assert completeness.score(sparse).band == "low"
        result = helpers.call_action(
            "package_search", q="*:*", sort="completeness_sort desc", **{"facet.field": ["completeness_band"]}
        )
        assert [d["name"] for d in result["results"]] == [rich["name"], sparse["name"]]
        assert result["facets"]["completeness_band"] == {"high": 1, "low": 1}
        filtered = helpers.call_action("package_search", fq='vocab_coding_system:"ICD-10-CM"')
        assert [d["name"] for d in filtered["results"]] == ["rich"]


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestDivisions:
    def test_seed_creates_every_division_then_changes_nothing(self, sysadmin_context):
        first = helpers.call_action("hhs_divisions_seed", context=dict(sysadmin_context))
        expected = {row["name"] for row in divisions.load()} | {"data-governance-board"}
        assert set(first["created"]) == expected
        codes = {
            o["name"]: o["bureau_code"]
            for o in (
                helpers.call_action("organization_show", id=name) for name in ("cms", "aspr", "atsdr", "arpa-h", "ocr")
            )
        }
        assert codes == {"cms": "009:38", "aspr": "009:76", "atsdr": "009:20", "arpa-h": "009:25", "ocr": "009:90"}
        assert helpers.call_action("organization_show", id="ocr")["parent_division"] == "os"

        second = helpers.call_action("hhs_divisions_seed", context=dict(sysadmin_context))
        assert second["created"] == [] and second["updated"] == []
        assert len(second["unchanged"]) == len(expected)

    def test_seed_restores_an_edited_division(self, sysadmin_context):
        helpers.call_action("hhs_divisions_seed", context=dict(sysadmin_context))
        helpers.call_action("organization_patch", id="cms", bureau_code="009:10")
        again = helpers.call_action("hhs_divisions_seed", context=dict(sysadmin_context))
        assert again["updated"] == ["cms"]
        assert helpers.call_action("organization_show", id="cms")["bureau_code"] == "009:38"

    def test_no_budget_line_division_and_bad_codes_refused(self):
        assert "009:95" not in {row["bureau_code"] for row in divisions.load()}
        with pytest.raises(tk.ValidationError) as e:
            factories.Division(bureau_code="009:95x")
        assert "bureau_code" in e.value.error_dict

    def test_only_sysadmins_seed(self):
        user = ckan_factories.User()
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("hhs_divisions_seed", context={"user": user["name"], "ignore_auth": False})
