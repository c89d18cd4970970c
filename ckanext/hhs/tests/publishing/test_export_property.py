"""Every dataset the hub accepts is a valid federal record: Hypothesis draws dataset and resource input,
and whatever package_create accepts validates against the POD v1.1 schema in its /data.json record.

Derandomized in CI (the same examples on every run, as tests/test_fuzz.py); ``HHS_FUZZ_EXAMPLES=500``
draws that many new random ones."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import pod
from ckanext.hhs.tests import factories

EXAMPLES = int(os.environ.get("HHS_FUZZ_EXAMPLES", "40"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    derandomize="HHS_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

BASE = {
    "title": "Inpatient stays",
    "notes": "Hospital stays of Medicare beneficiaries.",
    "tag_string": "medicare,hospitals",
    "bureau_code": ["009:38"],
    "program_code": ["009:000"],
    "access_level": "public",
    "contact": [{"name": "Data Team", "email": "data@cms.hhs.gov"}],
}
TEXT = st.sampled_from(["", " ", "x", "United States", "<b>x</b>", "é" * 3, "2020-01-01/2020-12-31"])
URLS = st.sampled_from(
    [
        "",
        "https://data.cms.gov/a.csv",
        "https://data.cms.gov/api/1/rows",
        "http://example.gov/file.xlsx?x=1",
        "ftp://ftp.cdc.gov/pub/data.zip",
        "https://example.gov/page",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "s3://cms-lake/claims",
        "gopher://example.gov/",
        "data:text/html,<b>x</b>",
        "not a url",
    ]
)
DATES = st.sampled_from(["", "2023", "2023-05", "2023-05-01", "2023-13-01", "May 2023", "2023-05-01T10:00:00Z"])
FIELDS = {
    "identifier": st.sampled_from(["", "cms-123", " "]),
    "url": URLS,
    "access_level": st.sampled_from(["public", "restricted public", "non-public"]),
    "access_rights": TEXT,
    "license_id": st.sampled_from(
        ["", "us-pd", "cc-by-4.0", "other-closed", "https://www.usa.gov/government-works", "https://x.gov/l", "cc-by"]
    ),
    "issued": DATES,
    "modified": DATES,
    "frequency": st.sampled_from(["", "R/P1Y", "irregular", "monthly", "R/P1M"]),
    "temporal": st.sampled_from(["", "2020-01-01/2020-12-31", "2020/2021", "2021/2020", "x"]),
    "spatial": TEXT,
    "theme": st.lists(TEXT, max_size=3),
    "language": st.lists(st.sampled_from(["en-US", "es", "", "english!"]), max_size=2),
    "data_quality": st.sampled_from(["", "true", "false", True, False, None]),
    "data_dictionary": st.lists(
        st.fixed_dictionaries({"url": URLS, "format": st.sampled_from(["", "application/pdf", "PDF", "x y"])}),
        max_size=1,
    ),
    "conforms_to": st.lists(URLS, max_size=1),
    "is_referenced_by": st.lists(URLS, max_size=2),
    "is_part_of": TEXT,
    "system_of_records": URLS,
    "primary_it_investment_uii": st.sampled_from(["", "009-000001234", "abc"]),
    "publisher": st.lists(st.fixed_dictionaries({"name": TEXT, "url": URLS}), max_size=1),
}
RESOURCE = st.fixed_dictionaries(
    {"url": URLS},
    optional={
        "name": TEXT,
        "format": st.sampled_from(["", "CSV", "csv", "text/csv", "JSON", "weird", "Parquet", "application/x y"]),
        "mimetype": st.sampled_from(["", "text/csv", "csv", "application/vnd.ms-excel"]),
        "resource_kind": st.sampled_from(["file", "api", "lakehouse", ""]),
        "access_url": URLS,
    },
)
DATASETS = st.fixed_dictionaries({}, optional=FIELDS).flatmap(
    lambda fields: st.lists(RESOURCE, max_size=3).map(lambda resources: {**BASE, **fields, "resources": resources})
)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestWhatTheHubAcceptsIsAValidFederalRecord:
    @given(dataset=DATASETS)
    @PROPERTY
    @example(dataset={**BASE, "resources": [{"url": "https://data.cms.gov/a.csv"}]})  # no format: mediaType from URL
    @example(dataset={**BASE, "resources": [{"url": "https://data.cms.gov/download", "format": "CSV"}]})
    @example(dataset={**BASE, "resources": [{"url": "https://data.cms.gov/x", "resource_kind": "lakehouse"}]})
    @example(dataset={**BASE, "license_id": "us-pd", "data_quality": ""})
    def test_accepted_datasets_export_valid_pod(self, dataset):
        user, org = self._division()
        try:
            created = helpers.call_action(
                "package_create", context={"user": user}, owner_org=org, name=f"p-{uuid.uuid4().hex[:12]}", **dataset
            )
        except tk.ValidationError:
            return
        record = pod.to_pod(helpers.call_action("package_show", id=created["id"]), "CMS")
        assert pod.schema_errors("dataset.json", record) == [], record
        for distribution in record.get("distribution") or []:
            for key in ("downloadURL", "accessURL"):
                assert pod.is_web_url(distribution.get(key, "https://x")), distribution

    _made: dict[str, str] = {}

    def _division(self):
        # One division per test run (Hypothesis calls the test many times within one clean database).
        if not self._made or not helpers.call_action("organization_list", all_fields=False):
            sysadmin = ckan_factories.Sysadmin()
            self._made.update(user=sysadmin["name"], org=factories.Division()["id"])
        return self._made["user"], self._made["org"]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_blank_quality_answer_stays_absent_and_is_not_exported():
    dataset = factories.HhsDataset(data_quality="")
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert "data_quality" not in shown
    assert "dataQuality" not in pod.to_pod(shown, "CMS")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_spaces_typed_in_the_hub_are_blank_but_a_source_value_of_spaces_is_kept():
    typed = factories.HhsDataset(identifier="  ", spatial=" ", theme=[" "])
    assert not {"identifier", "spatial", "theme"} & set(helpers.call_action("package_show", id=typed["id"]))
    # POD allows an identifier " " (minLength 1); an import keeps it, so the record is matched and given back.
    sysadmin = ckan_factories.Sysadmin()["name"]
    imported = helpers.call_action(
        "package_create",
        context={"user": sysadmin, "hhs_import": True, "hhs_lenient": True},
        **{**BASE, "name": "imported", "owner_org": typed["owner_org"], "identifier": " ", "spatial": " "},
    )
    shown = helpers.call_action("package_show", id=imported["id"])
    assert (shown["identifier"], shown["spatial"]) == (" ", " ")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_a_file_api_or_page_without_its_link_is_told_what_the_export_needs():
    for kind, needs in (("file", "downloadURL"), ("api", "accessURL"), ("documentation", "accessURL")):
        with pytest.raises(tk.ValidationError) as error:
            factories.HhsDataset(resources=[{"name": "No link", "resource_kind": kind}])
        assert needs in str(error.value.error_dict["resources"]), kind
    page = factories.HhsDataset(resources=[{"url": "https://x.gov/guide", "resource_kind": "documentation"}])
    [dist] = pod.to_pod(helpers.call_action("package_show", id=page["id"]), "CMS")["distribution"]
    assert dist["accessURL"] == "https://x.gov/guide" and "downloadURL" not in dist


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_resource_links_must_be_web_links():
    for url in ("javascript:alert(1)", "file:///etc/passwd", "gopher://x.gov/", "data:text/html,x"):
        with pytest.raises(tk.ValidationError) as error:
            factories.HhsDataset(resources=[{"url": url}])
        assert "Give a web link" in str(error.value.error_dict["resources"]), url
    factories.HhsDataset(resources=[{"url": "ftp://ftp.cdc.gov/pub/a.zip"}, {"url": "https://x.gov/a.csv"}])


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_words_people_use_are_stored_as_pod_wants_and_impossible_ranges_refused():
    dataset = factories.HhsDataset(
        frequency="monthly", resources=[{"url": "https://x.gov/a", "mimetype": "CSV"}], temporal="2020/2021"
    )
    assert dataset["frequency"] == "R/P1M"
    assert dataset["resources"][0]["mimetype"] == "text/csv"
    for fields, field in (
        ({"min_typical_age": 65, "max_typical_age": 18}, "max_typical_age"),
        ({"temporal": "2024-01-01/2020-12-31"}, "temporal"),
        ({"resources": [{"url": "https://x.gov/a", "mimetype": "comma separated"}]}, "resources"),
        ({"data_dictionary": [{"url": "https://x.gov/d", "format": "a pdf"}]}, "data_dictionary"),
    ):
        with pytest.raises(tk.ValidationError) as error:
            factories.HhsDataset(**fields)
        assert field in error.value.error_dict, (fields, error.value.error_dict)
