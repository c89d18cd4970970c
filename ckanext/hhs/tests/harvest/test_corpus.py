"""Real-world catalog shapes (tests/data/corpus/): every POD-valid record kept and given back as it came."""

from __future__ import annotations

import json
import os

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs import completeness, pod
from ckanext.hhs.harvest import jobs
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import auth_headers

CORPUS = os.path.join(os.path.dirname(__file__), "..", "data", "corpus")
SHAPES = sorted(f for f in os.listdir(CORPUS) if f.endswith(".json"))
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _load(name):
    with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def division():
    return factories.Division(name="cdc", title="Centers for Disease Control and Prevention", bureau_code="009:20")


@pytest.fixture
def sysadmin():
    return ckan_factories.Sysadmin()


def _import(user, name):
    return jobs.import_catalog(user["name"], os.path.join(CORPUS, name), "cdc", "delete")


def _by_identifier(**search):
    results = helpers.call_action("package_search", fq="organization:cdc", rows=1000, include_private=True, **search)
    return {d["identifier"]: d for d in results["results"]}


def test_the_corpus_is_pod_valid():
    assert SHAPES
    for name in SHAPES:
        catalog = _load(name)
        assert pod.schema_errors("catalog.json", {**catalog, "dataset": []}) == [], name
        for record in catalog["dataset"]:
            assert pod.schema_errors("dataset.json", record) == [], (name, record["identifier"])


@pytest.mark.parametrize("name", SHAPES)
def test_every_record_is_kept_and_exported_as_it_came(app, sysadmin, division, name):
    catalog = _load(name)
    report = _import(sysadmin, name)
    assert report["failed"] == []
    assert sorted(report["created"]) == sorted(r["identifier"] for r in catalog["dataset"])

    datasets = _by_identifier()
    for record in catalog["dataset"]:
        shown = helpers.call_action("package_show", id=datasets[record["identifier"]]["id"])
        assert pod.to_pod(shown) == record
        # Its page shows whatever the hub's fields could hold (R/P1W as a date, a 40 kB spatial, ...).
        assert app.get(f"/dataset/{shown['name']}", headers=auth_headers(sysadmin["name"])).status_code == 200
    # What other portals read: the division's data.json (public records) and the inventory (all of them).
    listing = json.loads(app.get("/organization/cdc/data.json").get_data(as_text=True))["dataset"]
    public = [r for r in catalog["dataset"] if r["accessLevel"] != "non-public"]
    assert sorted(listing, key=lambda r: r["identifier"]) == sorted(public, key=lambda r: r["identifier"])
    inventory = json.loads(
        app.get("/inventory/data.json", headers=auth_headers(sysadmin["name"])).get_data(as_text=True)
    )
    assert sorted(inventory["dataset"], key=lambda r: r["identifier"]) == sorted(
        catalog["dataset"], key=lambda r: r["identifier"]
    )
    # A second run finds every record unchanged.
    assert _import(sysadmin, name)["summary"]["unchanged"] == len(catalog["dataset"])


def test_hhs_only_rules_are_findings_not_refusals(app, sysadmin, division):
    report = _import(sysadmin, "hhs-rules.json")
    assert report["failed"] == []
    assert report["summary"]["created"] == 4
    warned = {(w["identifier"], w["path"]): w for w in report["warnings"]}
    assert "Rights are required" in warned[("IHS-NPIRS-2022", "dataset[0].rights")]["message"]
    assert "Rights are required" in warned[("SAMHSA-TEDS-A-RESTRICTED", "dataset[1].rights")]["message"]
    assert "2023-W05" in warned[("CDC-WONDER-TEST", "dataset[3].issued")]["message"]
    assert report["summary"]["warnings"] == len(report["warnings"])

    datasets = _by_identifier()
    shown = helpers.call_action("package_show", id=datasets["IHS-NPIRS-2022"]["id"])
    assert shown["hhs_findings"] == [
        {
            "path": "$.rights",
            "rule": "Rights missing on non-public data",
            "message": "Rights are required when the access level is not public: say why access is restricted",
        }
    ]
    # A finding lowers the completeness score against the same dataset without it.
    clean = {k: v for k, v in shown.items() if k != "hhs_findings"}
    assert completeness.score(shown).percent < completeness.score(clean).percent
    # Searchable as a facet, per division too.
    found = helpers.call_action(
        "package_search",
        fq='vocab_hhs_finding:"Rights missing on non-public data"',
        include_private=True,
        **{"facet.field": '["vocab_hhs_finding"]'},
    )
    assert {d["identifier"] for d in found["results"]} == {"IHS-NPIRS-2022", "SAMHSA-TEDS-A-RESTRICTED"}
    assert found["search_facets"]["vocab_hhs_finding"]["items"]
    # The dataset page shows the findings to the division's editors, not to the public.
    page = app.get(f"/dataset/{shown['name']}", headers=auth_headers(sysadmin["name"])).get_data(as_text=True)
    assert "Rights missing on non-public data" in page and "$.rights" in page
    assert "Rights missing on non-public data" not in app.get(f"/dataset/{shown['name']}").get_data(as_text=True)


def test_the_same_rules_refuse_a_dataset_authored_in_the_hub(division):
    import ckan.plugins.toolkit as tk

    with pytest.raises(tk.ValidationError) as e:
        factories.HhsDataset(owner_org=division["id"], access_level="non-public", access_rights="")
    assert "access_rights" in e.value.error_dict
    with pytest.raises(tk.ValidationError) as e:
        factories.HhsDataset(owner_org=division["id"], modified="R/P1W")
    assert "modified" in e.value.error_dict


def test_an_edit_in_the_hub_exports_the_fields_and_the_next_run_restores_the_source(sysadmin, division):
    catalog = _load("distributions.json")
    _import(sysadmin, "distributions.json")
    pkg = _by_identifier()["FDA-FAERS-QDE"]
    helpers.call_action("package_patch", context={"user": sysadmin["name"]}, id=pkg["id"], title="Edited here")
    shown = helpers.call_action("package_show", id=pkg["id"])
    assert pod.to_pod(shown)["title"] == "Edited here"
    report = _import(sysadmin, "distributions.json")
    assert report["updated"] == ["FDA-FAERS-QDE"]
    restored = helpers.call_action("package_show", id=pkg["id"])
    assert pod.to_pod(restored) == catalog["dataset"][0]


def test_values_ckan_cannot_hold_are_mapped(sysadmin, division):
    catalog = _load("long-and-reserved.json")
    report = _import(sysadmin, "long-and-reserved.json")
    assert report["failed"] == []
    datasets = _by_identifier()
    names = {i: d["name"] for i, d in datasets.items()}
    assert names["NEW-1"] not in ("new", "edit", "search")
    assert names["SEARCH-1"] not in ("new", "edit", "search") and names["SEARCH-2"] not in ("new", "edit", "search")
    assert len({names["SEARCH-1"], names["SEARCH-2"]}) == 2
    assert names["EDIT-1"] not in ("new", "edit", "search")
    long = helpers.call_action("package_show", id=datasets["CDC-BRFSS-LONG"]["id"])
    assert all(len(t["name"]) <= 100 for t in long["tags"])
    assert long["spatial"] == catalog["dataset"][0]["spatial"]  # kept whole in the field too
    assert pod.to_pod(long)["keyword"] == catalog["dataset"][0]["keyword"]
    # Found by its shortened tag and by a word of its spatial value.
    assert helpers.call_action("package_search", fq='tags:"BRFSS"')["count"] == 1
    for identifier in ("NEW-1", "SEARCH-1", "SEARCH-2", "EDIT-1"):
        shown = helpers.call_action("package_show", id=datasets[identifier]["id"])
        assert pod.to_pod(shown)["title"] == next(
            r["title"] for r in catalog["dataset"] if r["identifier"] == identifier
        )


def test_collections_link_members_and_parent_whatever_the_order(app, tmp_path, sysadmin, division):
    catalog = _load("collections.json")
    child_first = {**catalog, "dataset": [catalog["dataset"][0]]}
    path = tmp_path / "first-run.json"
    path.write_text(json.dumps(child_first))
    jobs.import_catalog(sysadmin["name"], str(path), "cdc", "keep")
    child = _by_identifier()["HHS-HCUP-NIS-2021"]
    page = app.get(f"/dataset/{child['name']}").get_data(as_text=True)
    assert "Part of the collection" in page and "not in the hub yet" in page

    # The parent arrives in a later run (and after a member in its file).
    assert _import(sysadmin, "collections.json")["failed"] == []
    datasets = _by_identifier()
    parent = datasets["HHS-HCUP"]
    page = app.get(f"/dataset/{child['name']}").get_data(as_text=True)
    assert f'href="/dataset/{parent["name"]}"' in page and "not in the hub yet" not in page
    page = app.get(f"/dataset/{parent['name']}").get_data(as_text=True)
    assert "Datasets in this collection (2)" in page
    for identifier in ("HHS-HCUP-NIS-2021", "HHS-HCUP-KID-2019"):
        assert f'href="/dataset/{datasets[identifier]["name"]}"' in page

    top = helpers.call_action("package_search", fq='hhs_level:"Top-level dataset"')["results"]
    assert [d["identifier"] for d in top] == ["HHS-HCUP"]
    members = helpers.call_action("package_search", fq='is_part_of:"HHS-HCUP"')["results"]
    assert {d["identifier"] for d in members} == {"HHS-HCUP-NIS-2021", "HHS-HCUP-KID-2019"}
    # The search page filters the same way.
    page = app.get("/dataset/", query_string={"hhs_level": "Top-level dataset"}).get_data(as_text=True)
    assert parent["title"] in page and datasets["HHS-HCUP-KID-2019"]["title"] not in page
