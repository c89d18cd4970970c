"""Smoke tests: the plugin loads with the CKAN extensions it builds on, and the real services work."""

from __future__ import annotations

import pytest

import ckan.lib.jobs as jobs
import ckan.lib.search as search
import ckan.plugins as p
from ckan.tests import helpers

from ckanext.hhs.tests import factories

PLUGINS = ["hhs", "scheming_datasets", "scheming_organizations", "dcat", "structured_data", "harvest"]


@pytest.mark.usefixtures("with_plugins")
def test_plugins_load_together():
    for name in PLUGINS:
        assert p.plugin_loaded(name), name


@pytest.mark.usefixtures("with_plugins")
def test_status_show_lists_the_plugins(app):
    status = app.get("/api/3/action/status_show").json["result"]
    for name in PLUGINS:
        assert name in status["extensions"]
    assert status["ckan_version"].startswith("2.11.")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_dataset_created_through_the_api_is_found_by_search():
    dataset = factories.HhsDataset(title="Medicare Inpatient Hospitals by Provider")
    result = helpers.call_action("package_search", q="inpatient hospitals")
    assert [d["id"] for d in result["results"]] == [dataset["id"]]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_background_job_runs_through_redis():
    dataset = factories.HhsDataset()
    search.clear(dataset["name"])
    assert helpers.call_action("package_search", q=f"name:{dataset['name']}")["count"] == 0

    queue = "hhs-smoke-test"
    jobs.get_queue(queue).empty()
    job = jobs.enqueue(search.rebuild, [dataset["id"]], queue=queue)
    assert job.get_status() == "queued"
    jobs.Worker([queue]).work(burst=True)

    assert job.get_status() == "finished"
    assert helpers.call_action("package_search", q=f"name:{dataset['name']}")["count"] == 1
