"""The duplicate scan survives a dataset purged while it runs (issue #23): rows that would reference it
(embeddings, pairs) are skipped instead of a foreign-key violation failing the whole scan."""

from __future__ import annotations

import pytest

import ckan.model as model

from ckanext.hhs.governance.duplicates import model as gm
from ckanext.hhs.governance.duplicates import scan as duplicates
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


LANDING = "https://data.cms.gov/provider-data/hospital-general-information"


@pytest.fixture
def three():
    """The same landing page in three divisions: three pairs by key."""
    found = []
    for name, code in (("cms", "009:38"), ("cdc", "009:20"), ("fda", "009:10")):
        org = factories.Division(name=name, bureau_code=code)
        found.append(factories.HhsDataset(owner_org=org["id"], name=f"{name}-hospitals", url=LANDING))
    return found


@pytest.mark.parametrize("stage", ["embedding", "saving"])
def test_a_dataset_purged_during_the_scan_is_skipped(three, stage, purge_elsewhere):
    victim = three[2]

    def purge(at, done, total):
        if at == stage and done == 0 and model.Package.get(victim["id"]) is not None:
            purge_elsewhere(victim["id"])

    run = model.Session.get(gm.DuplicateRun, duplicates.scan(progress=purge).id)
    assert run.status == "finished", run.error
    pairs = {frozenset((p.dataset_a, p.dataset_b)) for p in model.Session.query(gm.DuplicatePair)}
    assert pairs == {frozenset((three[0]["id"], three[1]["id"]))}
    assert model.Session.get(gm.DuplicateDataset, victim["id"]) is None
