"""Editing never loses data: a dataset loaded into /dataset/edit/<name> and saved unchanged is unchanged.

The form is read and submitted as a browser does (tests/publishing/forms.py) for every dataset of the real
CMS catalog and of the fidelity corpus (imported through the project's importer) and for hub-authored
records; package_show before and after must be the same, field by field."""

from __future__ import annotations

import json
import os

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import vocab
from ckanext.hhs.harvest import jobs
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import import_pod_records, pod_record
from ckanext.hhs.tests.publishing.forms import editor_client, logged_in, submit

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

CMS = os.path.join(vocab.DATA, "demo", "cms-data.json")
CORPUS = os.path.join(os.path.dirname(__file__), "..", "data", "corpus")
# What saving may change: when and by whom, never what.
VOLATILE = {"metadata_modified", "revision_id", "completeness", "completeness_sort"}


def _stored(name: str) -> dict:
    return {k: v for k, v in helpers.call_action("package_show", id=name).items() if k not in VOLATILE}


def _diff(before: dict, after: dict, prefix: str = "") -> list[str]:
    changed = []
    for key in sorted(set(before) | set(after)):
        if key in VOLATILE:
            continue
        old, new = before.get(key, "<absent>"), after.get(key, "<absent>")
        if key == "resources" and isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
            for n, (a, b) in enumerate(zip(old, new, strict=True)):
                changed += _diff(a, b, f"{prefix}resources[{n}].")
        elif old != new:
            changed.append(f"{prefix}{key}: {json.dumps(old)[:80]} -> {json.dumps(new)[:80]}")
    return changed


def _round_trip(client, names) -> dict[str, list[str]]:
    changes = {}
    for name in names:
        before = _stored(name)
        response = submit(client, f"/dataset/edit/{name}", "dataset-edit")
        assert response.status_code in (200, 302), (name, response.status_code)
        assert "The form contains invalid entries" not in response.get_data(as_text=True), name
        diff = _diff(before, _stored(name))
        if diff:
            changes[name] = diff
    return changes


def _summary(changes: dict[str, list[str]]) -> str:
    fields: dict[str, int] = {}
    for diff in changes.values():
        for line in diff:
            fields[line.split(":")[0]] = fields.get(line.split(":")[0], 0) + 1
    example = next(iter(changes.items()), None)
    return f"{len(changes)} datasets changed; fields: {fields}; e.g. {example}"


def _import(sysadmin, division, path):
    report = jobs.import_catalog(sysadmin["name"], path, division, "delete")
    assert not report.get("error"), report
    return _names(division)


def _names(division):
    results = helpers.call_action("package_search", fq=f"organization:{division}", rows=1000, include_private=True)
    return [d["name"] for d in results["results"]]


def test_the_cms_catalog_survives_the_edit_form_unchanged(app):
    sysadmin = ckan_factories.Sysadmin()
    factories.Division(name="cms", title="Centers for Medicare & Medicaid Services", bureau_code="009:38")
    names = _import(sysadmin, "cms", CMS)
    assert len(names) > 100
    limit = int(os.environ.get("HHS_ROUNDTRIP_LIMIT", "0")) or len(names)
    changes = _round_trip(logged_in(app, sysadmin), sorted(names)[:limit])
    assert not changes, _summary(changes)


def test_the_corpus_survives_the_edit_form_unchanged(app):
    sysadmin = ckan_factories.Sysadmin()
    factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")
    names = []
    for shape in sorted(f for f in os.listdir(CORPUS) if f.endswith(".json")):
        names += _import(sysadmin, "cdc", os.path.join(CORPUS, shape))
    changes = _round_trip(logged_in(app, sysadmin), sorted(set(names)))
    assert not changes, _summary(changes)


HUB_AUTHORED = [
    {},  # only what the schema requires: every optional question unanswered
    {
        "identifier": "cms-inpatient-2024",
        "url": "https://data.cms.gov/inpatient",
        "license_id": "https://example.gov/our-own-licence",  # not in the register: kept as it is
        "data_quality": False,
        "issued": "2023",
        "modified": "2024-05",
        "frequency": "R/P1M",
        "temporal": "2020-01-01/2024-12-31",
        "spatial": "United States",
        "theme": ["Medicare"],
        "language": ["en-US"],
        "publisher": [{"name": "Office of Enterprise Data and Analytics"}],
        "data_dictionary": [{"url": "https://data.cms.gov/dictionary.pdf"}],
        "coding_system": ["ICD-10-CM", "LOINC"],
        "phi_classification": "de-identified",
        "sensitivity": "moderate",
        "min_typical_age": 65,
        "number_of_records": 1000,
        "data_steward": [{"name": "A. Steward", "email": "steward@cms.hhs.gov"}],
        "resources": [
            {"url": "https://data.cms.gov/a.csv", "format": "CSV", "name": "Rows"},
            {"url": "https://data.cms.gov/api", "resource_kind": "api", "description": "The API"},
        ],
    },
    {"license_id": "us-pd", "data_quality": True, "access_level": "restricted public", "access_rights": "DUA."},
    {"license_id": "http://www.usa.gov/publicdomain/label/1.0/", "data_quality": ""},
]


def test_hub_authored_datasets_survive_the_edit_form_unchanged(app):
    client, division = editor_client(app)
    names = [factories.HhsDataset(owner_org=division["id"], **fields)["name"] for fields in HUB_AUTHORED]
    changes = _round_trip(client, names)
    assert not changes, _summary(changes)


# Identifiers a source may publish (POD allows any text) that the hub would strip in what people type.
SPACED = [" ", "  padded-id  ", "tab-id\t", "\u00a0"]


def _pod_record(identifier: str, n: int) -> dict:
    distribution = {
        "@type": "dcat:Distribution",
        "title": " ",
        "downloadURL": "https://data.cms.gov/a.csv",
        "mediaType": "text/csv",
    }
    title, description = f"Spaced identifier {n}", "A record whose identifier the hub's forms would strip."
    return pod_record(identifier, title, description, distribution=[distribution])


def test_a_harvested_identifier_of_spaces_survives_the_edit_form(app, tmp_path):
    """The form shows a source's identifier " " and sends it back: it is kept, whether the save changes
    nothing (the kept record stays) or changes a source field (the hub copy becomes the truth, and the
    identifier still matches the division's record at the next import)."""
    import ckan.model as model

    sysadmin = ckan_factories.Sysadmin()
    client, _ = editor_client(app, bureau_code="009:38")
    catalog = tmp_path / "spaced.json"
    records = [_pod_record(identifier, n) for n, identifier in enumerate(SPACED)]
    assert not import_pod_records(sysadmin["name"], catalog, records, "cms").get("error")
    names = _names("cms")
    assert sorted(model.Package.get(n).extras["identifier"] for n in names) == sorted(SPACED)

    assert not (changes := _round_trip(client, names)), _summary(changes)
    for name in names:
        stored = model.Package.get(name).extras
        assert stored["source_catalog"] == str(catalog) and stored.get("pod_record"), name

    for name in names:
        submit(client, f"/dataset/edit/{name}", "dataset-edit", {"title": f"Renamed {name}"})
    model.Session.remove()
    assert sorted(model.Package.get(n).extras["identifier"] for n in names) == sorted(SPACED)
    assert not any(model.Package.get(n).extras.get("pod_record") for n in names)  # the hub copy is the truth
    assert not (changes := _round_trip(client, names)), _summary(changes)

    report = jobs.import_catalog(sysadmin["name"], str(catalog), "cms", "delete")
    assert report["summary"]["created"] == 0 and report["summary"]["updated"] == len(SPACED), report


def test_spaces_typed_into_the_form_are_still_blank(app):
    """What people type as spaces alone is not stored (only a value the dataset already holds is sent back)."""
    client, division = editor_client(app)
    name = factories.HhsDataset(owner_org=division["id"], identifier="cms-1")["name"]
    submit(client, f"/dataset/edit/{name}", "dataset-edit", {"identifier": "  ", "spatial": " "})
    stored = _stored(name)
    assert "identifier" not in stored and "spatial" not in stored, stored
