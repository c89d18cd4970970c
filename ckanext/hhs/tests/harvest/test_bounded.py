"""Small inputs do bounded work (issue #23): one record nested too deep is that record's failure, not the
catalog's; RDF/XML entities are not expanded; a JSON-LD document cannot make rdflib fetch a context."""

from __future__ import annotations

import json

import pytest

from ckan.tests import helpers

from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs.harvest import importer
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests.helpers import cms_demo_catalog

from . import dcat_source

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def catalog():
    return cms_demo_catalog(3)


def _nest(levels):
    value: object = "deep"
    for _ in range(levels):
        value = [value]
    return value


def test_a_record_nested_too_deep_fails_alone(sysadmin_context, division, catalog, tmp_path):
    deep = catalog["dataset"][1]
    deep["references"] = _nest(40)
    path = tmp_path / "data.json"
    path.write_text(json.dumps(catalog))
    loaded = importer.load_catalog(str(path), allow_path=True)  # refused the whole catalog before
    report = importer.import_catalog(sysadmin_context, loaded, "cms", str(path))
    assert len(report.created) == 2
    assert [(f["identifier"], f["message"]) for f in report.failed] == [
        (deep["identifier"], "the record nests deeper than 32 levels, the limit for a record")
    ]


def test_the_catalogs_own_keys_may_not_nest_too_deep(tmp_path, catalog):
    catalog["describedBy"] = _nest(40)
    path = tmp_path / "data.json"
    path.write_text(json.dumps(catalog))
    with pytest.raises(importer.CatalogError, match="deeper than 32 levels"):
        importer.load_catalog(str(path), allow_path=True)


def _dcat_gather(catalog_server, division, body, content_type):
    url = catalog_server.serve("/catalog", body, content_type=content_type)
    source = helpers.call_action(
        "harvest_source_create", name="cms-rdf", title="CMS", url=url, source_type="dcat_rdf", owner_org=division["id"]
    )
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), DCATRDFHarvester())
    job = HarvestJob.get(job["id"])
    return [e.message for e in job.get_gather_errors()], HarvestObject.filter(harvest_job_id=job.id).count()


# Each entity holds ten of the one before: &e4; is 10,000 times "lol"; the body is under 1 KB.
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY e0 "lol">\n'
    + "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">\n' for n in range(1, 5))
    + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/"'
    ' xmlns:dcat="http://www.w3.org/ns/dcat#">\n<dcat:Dataset rdf:about="http://x.test/d">'
    "<dct:title>&e4;</dct:title><dct:identifier>d</dct:identifier></dcat:Dataset></rdf:RDF>"
)


def test_rdf_xml_entities_are_not_expanded(catalog_server, division):
    assert len(LAUGHS) < 1024
    errors, objects = _dcat_gather(catalog_server, division, LAUGHS, "application/rdf+xml")
    assert objects == 0
    assert any("declares XML entities" in e for e in errors), errors


def test_a_remote_json_ld_context_is_not_fetched(catalog_server, division):
    # rdflib fetches a remote @context itself, around the fetch guard: here Solr's port on loopback.
    body = json.dumps({"@context": "http://127.0.0.1:8983/solr/admin/info/system", "@id": "http://x.test/d"})
    errors, objects = _dcat_gather(catalog_server, division, body, "application/ld+json")
    assert objects == 0
    assert any("remote JSON-LD @context" in e for e in errors), errors


def test_an_rdf_xml_without_entities_still_harvests(catalog_server, division, catalog):
    body = dcat_source.to_graph({**catalog, "dataset": catalog["dataset"][:1]}).serialize(format="xml")
    errors, objects = _dcat_gather(catalog_server, division, body, "application/rdf+xml")
    assert errors == [] and objects == 1


def test_a_gather_of_the_data_json_harvester_keeps_the_other_records(catalog_server, division, catalog):
    catalog["dataset"][0]["references"] = _nest(40)
    url = catalog_server.serve("/data.json", json.dumps(catalog))
    source = helpers.call_action(
        "harvest_source_create", name="cms", title="CMS", url=url, source_type="hhs_datajson", owner_org=division["id"]
    )
    job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
    run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
    report = helpers.call_action("harvest_job_show", id=job["id"])["stats"]
    assert report.get("added") == 2 and report.get("errored") == 1


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "gopher://127.0.0.1:70/"])
def test_a_record_linking_anything_but_the_web_fails_alone(sysadmin_context, division, catalog, url):
    bad = catalog["dataset"][0]
    bad["distribution"] = [{"@type": "dcat:Distribution", "downloadURL": url, "mediaType": "text/csv"}]
    report = importer.import_catalog(sysadmin_context, catalog, "cms", "hostile-links")
    assert len(report.created) == 2
    (failure,) = report.failed
    assert failure["identifier"] == bad["identifier"] and "url" in failure["path"]
    assert "web link" in failure["message"]
