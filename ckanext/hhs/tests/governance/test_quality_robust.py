"""The quality check of every dataset survives one that is purged while it runs (issue #23): recording
its failure would break the foreign key and, raised from the error path, fail the whole run."""

from __future__ import annotations

import pytest

import ckan.model as model

from ckanext.hhs.governance.quality import checks as quality
from ckanext.hhs.governance.quality import model as qm
from ckanext.hhs.tests import factories

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def test_a_dataset_purged_during_the_check_is_skipped(monkeypatch, purge_elsewhere):
    org = factories.Division(name="cms", bureau_code="009:38")
    datasets = [factories.HhsDataset(owner_org=org["id"]) for _ in range(3)]
    victim = sorted(d["id"] for d in datasets)[1]
    checked: list[str] = []
    real_check = quality._check_one

    def check_one(run_, package_id, *args, **kwargs):
        if package_id == victim:  # purged after the page of ids was read, before its turn
            purge_elsewhere(victim)
        checked.append(package_id)
        return real_check(run_, package_id, *args, **kwargs)

    monkeypatch.setattr(quality, "_check_one", check_one)
    run = model.Session.get(qm.QualityRun, quality.start("all", wait=True).id)
    model.Session.refresh(run)
    assert run.status == "finished", (run.error, run.checked, run.failed, checked)
    assert (run.checked, run.failed) == (2, 1) and len(checked) == 3
    assert model.Session.get(qm.QualityDataset, victim) is None
    assert model.Session.query(qm.QualityDataset).count() == 2
