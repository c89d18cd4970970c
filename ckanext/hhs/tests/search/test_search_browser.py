"""The search page's help in a real browser (Debian's chromium through Playwright), checked with axe-core
for WCAG 2.1 A/AA: "did you mean" above few results, and the nearest datasets when nothing is found."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

from ckanext.hhs.search import jobs, solr, vectors
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.browser import axe_check

PLUGINS = (
    "hhs hhs_catalog hhs_harvest hhs_glossary hhs_marketplace hhs_lakehouse hhs_governance hhs_search "
    "scheming_datasets scheming_organizations dcat dcat_rdf_harvester structured_data harvest"
)


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.hhs.search.enabled", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_the_search_help_reads_well_and_passes_axe(live_server, browser):
    redis = connect_to_redis()
    for key in redis.scan_iter(f"hhs_search:{tk.config['ckan.site_id']}:*"):
        redis.delete(key)
    solr.forget()
    vectors.forget_table()
    cms = factories.Division(name="cms")
    for title, notes in (
        ("Hospital price transparency enforcement", "Hospitals found not to publish their standard charges."),
        ("CHIP enrollment by state", "Children's Health Insurance Program enrollment counts, by state and month."),
    ):
        factories.HhsDataset(title=title, notes=notes, owner_org=cms["id"])
    assert jobs.embed_pending() == 2

    page = browser.new_page()
    assert page.goto(live_server + "/dataset/?q=hospitl+prices").status == 200
    assert page.get_by_role("link", name="hospital prices").is_visible()
    axe_check(page, "dataset-search-did-you-mean")

    assert page.goto(live_server + "/dataset/?q=zzqx").status == 200
    assert page.get_by_role("heading", name="Closest in meaning").is_visible()
    assert page.get_by_role("link", name="Post a data need").is_visible()
    axe_check(page, "dataset-search-nothing-found")
