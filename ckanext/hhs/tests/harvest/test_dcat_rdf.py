"""ckanext-dcat's RDF harvester gets the same mapping as data.json records: the POD gate, findings
instead of refusals, the record kept and given back (its triples in RDF, its POD record in data.json),
and hub-only edits that keep it. Sources are the CMS catalog converted to DCAT (dcat_source.py)."""

from __future__ import annotations

import copy

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs import rdf
from ckanext.hhs.harvest.harvester import job_warnings
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import auth_headers, cms_demo_catalog, harvest_source

from . import dcat_source

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")]


@pytest.fixture(scope="module")
def cms():
    return cms_demo_catalog()


@pytest.fixture
def catalog():
    return cms_demo_catalog(6)


def test_every_cms_record_derives_back_from_its_triples(cms):
    """No database: the POD record derived from each record's own triples equals the source record up
    to the README's differences (lists sorted, extension properties without a POD term RDF-only)."""
    graph = dcat_source.to_graph(cms)
    for record in cms["dataset"]:
        triples, repaired = rdf.record_triples(graph, URIRef(dcat_source.dataset_uri(record)))
        assert not repaired
        text = rdf.serialize_record(triples)
        assert rdf.serialize_record(rdf.parse_record(text)) == text  # canonical: same triples, same text
        assert rdf.to_pod_record(rdf.parse_record(text)) == dcat_source.expected_pod(record), record["identifier"]


def test_look_alike_blank_nodes_cost_linear_time():
    """A full canonicalisation is exponential in blank nodes that look alike (20 took seconds, 100 never
    finished); naming them by content is not: 5,000 identical blank distributions, well under a second
    or two, and the same text when read back."""
    import time

    many = " ;".join(
        " <http://www.w3.org/ns/dcat#distribution> [ a <http://www.w3.org/ns/dcat#Distribution> ]" for _ in range(5000)
    )
    graph = Graph().parse(data=f'<http://x.gov/d> <http://purl.org/dc/terms/title> "T" ;{many} .', format="turtle")
    started = time.monotonic()
    triples, _ = rdf.record_triples(graph, URIRef("http://x.gov/d"))
    text = rdf.serialize_record(triples)
    assert time.monotonic() - started < 10
    assert rdf.serialize_record(rdf.parse_record(text)) == text
    assert len(text.splitlines()) == 3  # title, one distribution link, its type: said once


def _source(url, division, config=None):
    return harvest_source(url, division, "cms-rdf", "CMS DCAT", "dcat_rdf", config)


def _harvest(source):
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), DCATRDFHarvester())
    return helpers.call_action("harvest_job_show", id=job["id"])


def _by_identifier():
    found = helpers.call_action("package_search", fq="organization:cms", rows=100)["results"]
    return {d["identifier"]: helpers.call_action("package_show", id=d["id"]) for d in found}


def _errors(job_id):
    objects = HarvestObject.filter(harvest_job_id=job_id).all()
    return {o.guid: [e.message for e in o.errors] for o in objects if o.errors}


def test_cms_catalog_as_dcat_is_kept_and_given_back(app, catalog_server, division, catalog):
    url = catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(catalog), content_type="text/turtle")
    source = _source(url, division)
    job = _harvest(source)
    assert job["stats"]["added"] == 6, _errors(job["id"])
    datasets = _by_identifier()
    source_graph = dcat_source.to_graph(catalog)
    exported = {r["identifier"]: r for r in app.get("/organization/cms/data.json").json["dataset"]}
    for record in catalog["dataset"]:
        pkg = datasets[record["identifier"]]
        assert pkg["source_catalog"] == url
        # CMS's values as POD gives them (literal media types, ...) break only the DCAT-US 3.0 shapes.
        assert {f["rule"] for f in pkg["hhs_findings"]} == {rdf.RULE_SHAPE}
        # /data.json: the POD record derived from the triples.
        assert exported[record["identifier"]] == dcat_source.expected_pod(record)
        # RDF: the record's own triples, its node the source's URI.
        node = URIRef(dcat_source.dataset_uri(record))
        turtle = app.get(f"/dataset/{pkg['name']}.ttl").get_data(as_text=True)
        out = Graph().parse(data=turtle, format="turtle")
        mine, _ = rdf.record_triples(out, node)
        theirs, _ = rdf.record_triples(source_graph, node)
        assert isomorphic(mine, theirs), record["identifier"]

    again = _harvest(source)
    assert again["stats"]["not modified"] == 6 and again["stats"]["added"] == 0 and again["stats"]["updated"] == 0

    changed = copy.deepcopy(catalog)
    changed["dataset"][0]["title"] = "A new title from CMS"
    catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(changed), content_type="text/turtle")
    third = _harvest(source)
    assert third["stats"]["updated"] == 1 and third["stats"]["not modified"] == 5
    assert _by_identifier()[changed["dataset"][0]["identifier"]]["title"] == "A new title from CMS"


def test_hhs_rule_breaks_are_findings_and_warnings(app, catalog_server, division, catalog):
    catalog["dataset"] = catalog["dataset"][:3]
    first, second, third = catalog["dataset"]
    first["accessLevel"] = "restricted public"  # no rights: an HHS rule, not POD's
    first.pop("rights", None)
    second["modified"] = "R/P1W"  # POD allows a repeating interval; the hub's date field does not
    del third["bureauCode"]  # POD requires it: the gate refuses the record
    url = catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(catalog), content_type="text/turtle")
    job = _harvest(_source(url, division))
    assert job["stats"]["added"] == 2 and job["stats"]["errored"] == 1
    errors = _errors(job["id"])[dcat_source.dataset_uri(third)]
    assert any("$.bureauCode" not in e and "'bureauCode' is a required property" in e for e in errors), errors
    # each POD failure is an error of its own (as for data.json), not one line of ckanext-dcat's summary
    own = HarvestObject.filter(guid=dcat_source.dataset_uri(third), harvest_job_id=job["id"]).one().errors
    assert [(e.stage, e.message.split(": ", 1)[0]) for e in own if e.stage == "Validation"] == [
        ("Validation", str(dcat_source.dataset_uri(third)))
    ], [(e.stage, e.message) for e in own]

    datasets = _by_identifier()
    rules = {f["rule"] for f in datasets[first["identifier"]]["hhs_findings"]}
    assert "Rights missing on non-public data" in rules
    kept = datasets[second["identifier"]]
    assert any(f["path"] == "$.modified" for f in kept["hhs_findings"])
    exported = {r["identifier"]: r for r in app.get("/organization/cms/data.json").json["dataset"]}
    assert exported[second["identifier"]]["modified"] == "R/P1W"
    warnings = job_warnings(job["id"])
    assert warnings["count"] >= 2
    facet = helpers.call_action("package_search", fq="organization:cms", **{"facet.field": ["vocab_hhs_finding"]})
    assert "Rights missing on non-public data" in facet["facets"]["vocab_hhs_finding"]


def test_shape_violations_are_stored_findings_and_the_record_is_kept(app, catalog_server, division, catalog):
    """Harvested RDF that breaks the DCAT-US 3.0 shapes is kept as it came, strict source or not; each
    violation is a finding on the dataset (shown to editors, counted, a facet) naming where it is."""
    catalog["dataset"] = catalog["dataset"][:2]
    first = catalog["dataset"][0]
    url = catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(catalog), content_type="text/turtle")
    job = _harvest(_source(url, division, config={"strict": True}))
    assert job["stats"]["added"] == 2, _errors(job["id"])
    pkg = _by_identifier()[first["identifier"]]
    shapes = [f for f in pkg["hhs_findings"] if f["rule"] == rdf.RULE_SHAPE]
    paths = {f["path"] for f in shapes}
    assert "$.dcat:distribution (dcat:mediaType)" in paths and "$ (dct:accrualPeriodicity)" in paths
    assert any('"text/csv"' in f["message"] or "text/csv" in f["message"] for f in shapes)
    # The record itself is untouched: its triples are what it had, shape violations and all.
    text = pkg[rdf.RECORD_FIELD]
    assert rdf.shape_findings(text) == sorted(
        ({k: f[k] for k in ("path", "rule", "message")} for f in shapes), key=lambda f: (f["path"], f["message"])
    )
    assert job_warnings(job["id"])["count"] >= len(shapes)
    facet = helpers.call_action("package_search", fq="organization:cms", **{"facet.field": ["vocab_hhs_finding"]})
    assert facet["facets"]["vocab_hhs_finding"].get(rdf.RULE_SHAPE) == 2
    editor = ckan_factories.Sysadmin()
    page = app.get(f"/dataset/{pkg['name']}", headers=auth_headers(editor["name"])).get_data(as_text=True)
    assert rdf.RULE_SHAPE in page and "$.dcat:distribution (dcat:mediaType)" in page
    assert rdf.RULE_SHAPE not in app.get(f"/dataset/{pkg['name']}").get_data(as_text=True)  # editors only


def test_a_strict_source_refuses_hhs_rule_breaks(catalog_server, division, catalog):
    catalog["dataset"] = catalog["dataset"][:2]
    catalog["dataset"][0]["modified"] = "R/P1W"
    url = catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(catalog), content_type="text/turtle")
    strict = _harvest(_source(url, division, config={"strict": True}))
    assert strict["stats"]["added"] == 1 and strict["stats"]["errored"] == 1
    [errors] = _errors(strict["id"]).values()
    assert any("modified" in e.lower() for e in errors), errors


def test_hostile_rdf_never_crashes_the_job(app, catalog_server, division, catalog):
    catalog["dataset"] = catalog["dataset"][:2]
    turtle = dcat_source.to_turtle(catalog)
    nul = catalog["dataset"][0]["identifier"]
    surrogate = catalog["dataset"][1]["identifier"]
    turtle += (
        f'\n<{dcat_source.dataset_uri(catalog["dataset"][0])}> <http://purl.org/dc/terms/alternative> "a\\u0000b" .\n'
        f'<{dcat_source.dataset_uri(catalog["dataset"][1])}> <http://purl.org/dc/terms/alternative> "x\\uD800y" .\n'
    )
    # A record of more triples than a record may have.
    big = "<https://data.example.gov/id/big> a <http://www.w3.org/ns/dcat#Dataset> ;\n"
    big += ' <http://purl.org/dc/terms/title> "Big" ;\n'
    big += " ;\n".join(f' <http://www.w3.org/ns/dcat#keyword> "k{i}"' for i in range(rdf.MAX_RECORD_TRIPLES + 10))
    turtle += big + " .\n"
    turtle += (
        "<https://data.example.gov/catalog> <http://www.w3.org/ns/dcat#dataset> <https://data.example.gov/id/big> .\n"
    )
    url = catalog_server.serve("/catalog.ttl", turtle, content_type="text/turtle")
    job = _harvest(_source(url, division))
    assert job["status"] == "Finished"
    assert job["stats"]["added"] == 2, _errors(job["id"])
    errors = _errors(job["id"])
    assert any("more than" in m for m in errors["https://data.example.gov/id/big"])
    datasets = _by_identifier()
    assert "\ufffd" in datasets[nul][rdf.RECORD_FIELD] and "\x00" not in datasets[nul][rdf.RECORD_FIELD]
    assert "\ufffd" in datasets[surrogate][rdf.RECORD_FIELD]
    warnings = job_warnings(job["id"])["records"]
    assert any("U+FFFD" in w["message"] for w in warnings[dcat_source.dataset_uri(catalog["dataset"][0])])
    assert app.get(f"/dataset/{datasets[nul]['name']}.ttl").status_code == 200


def test_deeply_nested_rdf_is_a_clear_catalog_error(catalog_server, division):
    deep = (
        "<https://data.example.gov/id/deep> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "
    )
    deep += '"Deep" ; <http://purl.org/dc/terms/relation> ' + "[ <http://purl.org/dc/terms/relation> " * 5000
    deep += '"end"' + " ]" * 5000 + " .\n"
    url = catalog_server.serve("/catalog.ttl", deep, content_type="text/turtle")
    source = _source(url, division)
    job = _harvest(source)
    assert job["status"] == "Finished"
    report = helpers.call_action("harvest_job_report", id=job["id"])
    assert any("nests deeper than" in e["message"] for e in report["gather_errors"])


class TestHubEdits:
    """Hub-only fields change without losing the kept record; a source field edit makes the hub copy
    the truth (the record, triples and findings dropped, the hash cleared: the next harvest restores it)."""

    @pytest.fixture
    def harvested(self, catalog_server, division, catalog):
        catalog["dataset"] = catalog["dataset"][:1]
        catalog["dataset"][0]["accessLevel"] = "non-public"
        catalog["dataset"][0].pop("rights", None)  # a finding, which the edits must keep
        url = catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(catalog), content_type="text/turtle")
        source = _source(url, division)
        _harvest(source)
        [pkg] = _by_identifier().values()
        assert pkg["pod_record"] and pkg[rdf.RECORD_FIELD] and pkg["hhs_findings"]
        return source, pkg

    def test_board_flag_and_governance_fields_keep_the_record(self, harvested):
        _source, pkg = harvested
        board = factories.Division(name="data-governance-board", bureau_code="009:00")
        member = ckan_factories.User()  # a division editor who also sits on the Board
        for org in (board["id"], pkg["owner_org"]):
            helpers.call_action("member_create", id=org, object=member["name"], object_type="user", capacity="editor")
        helpers.call_action(
            "package_patch",
            context={"user": member["name"], "ignore_auth": False},
            id=pkg["id"],
            authoritative_source="true",
            sensitivity="moderate",
            data_steward=[{"name": "Pat Steward", "email": "pat@cms.hhs.gov"}],
        )
        after = helpers.call_action("package_show", id=pkg["id"])
        assert after["authoritative_source"] is True and after["sensitivity"] == "moderate"
        for key in ("pod_record", rdf.RECORD_FIELD, "hhs_findings", "source_hash"):
            assert after[key] == pkg[key], key

    def test_a_glossary_link_keeps_the_record(self, app, harvested):
        _source, pkg = harvested
        helpers.call_action(
            "hhs_glossary_import",
            context={"user": ckan_factories.Sysadmin()["name"], "ignore_auth": False},
            rows=[{"name": "state-fips-code", "displayName": "State FIPS code", "description": "A state's code.",
                   "status": "approved"}],
        )  # fmt: skip
        helpers.call_action("package_patch", id=pkg["id"], glossary_terms=["state-fips-code"])
        after = helpers.call_action("package_show", id=pkg["id"])
        assert after["glossary_terms"] == ["state-fips-code"]
        assert after[rdf.RECORD_FIELD] == pkg[rdf.RECORD_FIELD] and after["pod_record"] == pkg["pod_record"]
        # The RDF export is the kept record plus the hub's own link.
        turtle = app.get(f"/dataset/{pkg['name']}.ttl").get_data(as_text=True)
        assert "state-fips-code" in turtle

    def test_a_source_field_edit_makes_the_hub_copy_the_truth(self, harvested):
        source, pkg = harvested
        helpers.call_action("package_patch", id=pkg["id"], title="Edited in the hub", access_rights="DUA needed")
        after = helpers.call_action("package_show", id=pkg["id"])
        assert after["title"] == "Edited in the hub"
        assert not after.get("pod_record") and not after.get(rdf.RECORD_FIELD) and not after.get("source_hash")
        # The next harvest brings the division's record back.
        job = _harvest(source)
        assert job["stats"]["updated"] == 1, (job["stats"], _errors(job["id"]))
        restored = helpers.call_action("package_show", id=pkg["id"])
        assert restored["title"] == pkg["title"] and restored[rdf.RECORD_FIELD] == pkg[rdf.RECORD_FIELD]

    def test_caller_cannot_inject_a_record(self, harvested):
        _source, pkg = harvested
        helpers.call_action("package_patch", id=pkg["id"], sensitivity="low", pod_record='{"title": "forged"}')
        after = helpers.call_action("package_show", id=pkg["id"])
        assert after["pod_record"] == pkg["pod_record"]


def test_a_source_cannot_rewrite_another_divisions_dataset(catalog_server, division, catalog):
    """ckanext-dcat matches records by URI across all sources: a CDC source publishing CMS's URIs must
    not update (nor move) CMS's datasets; each such record is an error on CDC's job."""
    url = catalog_server.serve("/catalog.ttl", dcat_source.to_turtle(catalog), content_type="text/turtle")
    _harvest(_source(url, division))
    before = _by_identifier()
    hostile = copy.deepcopy(catalog)
    for record in hostile["dataset"]:
        record["title"] = "Taken over"
    cdc = factories.Division(name="cdc", bureau_code="009:20")
    other = catalog_server.serve("/other.ttl", dcat_source.to_turtle(hostile), content_type="text/turtle")
    source = harvest_source(other, cdc, "cdc-rdf", "CDC DCAT", "dcat_rdf")
    job = _harvest(source)
    after = _by_identifier()
    assert {k: (v["title"], v["owner_org"]) for k, v in after.items()} == {
        k: (v["title"], v["owner_org"]) for k, v in before.items()
    }
    errors = _errors(job["id"])
    assert len(errors) == len(catalog["dataset"])
    assert all("another division" in " ".join(messages) for messages in errors.values())
