from __future__ import annotations

import pytest


@pytest.fixture
def solr_down():
    """Point CKAN at an address where no Solr answers (a closed port), then back."""
    from ckan.lib.search.common import SolrSettings

    url, user, password = SolrSettings.get()
    SolrSettings.init("http://127.0.0.1:9/solr/ckan_test", user, password)
    yield
    SolrSettings.init(url, user, password)
