"""The core's shared readings (ckanext/hhs/values.py): the governance dashboard and the lakehouse agree
on which datasets are stale, and every feature agrees on what a filled field is."""

from __future__ import annotations

import datetime as dt

import pytest

from ckanext.hhs import values
from ckanext.hhs.governance.metrics.health import is_stale
from ckanext.hhs.lakehouse import config as lakehouse_config
from ckanext.hhs.lakehouse import jobs

LAST = dt.datetime(2024, 1, 1)


@pytest.mark.parametrize("frequency", ["P3M", "R/P3M", "R/P1W", "R/PT1H", "R/P0.5M", "R/P1Y", "P1D"])
def test_the_dashboard_and_the_lakehouse_agree_on_staleness(frequency):
    every = values.period(frequency)
    assert every is not None, frequency
    late = LAST + every * (1 + lakehouse_config.stale_grace()) + dt.timedelta(hours=1)
    early = LAST + every * 0.9
    assert is_stale(frequency, LAST.isoformat(), late) is True
    assert jobs.freshness(frequency, LAST, late)["stale"] is True
    assert is_stale(frequency, LAST.isoformat(), early) is False
    assert jobs.freshness(frequency, LAST, early)["stale"] is False


@pytest.mark.parametrize("frequency", ["irregular", "", None, "R/P", "weekly", "R/P0D", 7, "P" + "9" * 200])
def test_no_period_means_never_stale_in_either(frequency):
    assert values.period(frequency) is None
    assert is_stale(frequency, "2000-01-01") is False
    assert jobs.freshness(frequency, LAST, dt.datetime(2099, 1, 1))["stale"] is False


@pytest.mark.parametrize(
    ("value", "filled"),
    [(None, False), ("", False), ("  \n", False), ([], False), ([""], False), ({"name": ""}, False),
     (False, True), (0, True), ("no", True), (["", "x"], True), ({"name": "", "email": "a@b.gov"}, True)],
)  # fmt: skip
def test_filled_is_one_answer(value, filled):
    assert values.filled(value) is filled


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_may_read_answers_for_anonymous_visitors_and_unknown_datasets():
    from ckan.tests import factories as ckan_factories

    from ckanext.hhs import roles
    from ckanext.hhs.tests import factories

    division = factories.Division(name="cms")
    public = factories.HhsDataset(owner_org=division["id"])
    private = factories.HhsDataset(owner_org=division["id"], private=True)
    outsider = ckan_factories.User()["name"]
    for user in (None, "", outsider, "no-such-user\x00"):
        assert roles.may_read(user, public["id"]) is True
        assert roles.may_read(user, private["id"]) is False
        assert roles.may_read(user, "no-such-dataset") is False
    assert roles.may_read(ckan_factories.Sysadmin()["name"], private["id"]) is True
