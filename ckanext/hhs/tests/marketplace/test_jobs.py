"""The expiry and renewal jobs, queued as `ckan hhs marketplace expire --queue` queues them and run by a
real RQ worker on Redis."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_cli
from ckan.lib import jobs as ckan_jobs
from ckan.tests import helpers

from ckanext.hhs.marketplace import jobs

from .conftest import ask, in_days

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "clean_redis", "with_test_worker"),
]


def _analyst_sees_secret(world) -> bool:
    try:
        tk.check_access("package_show", {"user": world.analyst["name"]}, {"id": world.secret["id"]})
    except tk.NotAuthorized:
        return False
    return True


def test_queued_expiry_job_revokes_access_and_records_it(world, cli):
    request = ask(world)
    helpers.call_action(
        "hhs_marketplace_request_approve",
        context={"user": world.steward["name"], "ignore_auth": False},
        id=request["id"],
    )
    assert _analyst_sees_secret(world)
    result = cli.invoke(ckan_cli, ["hhs", "marketplace", "expire", "--queue", "--as-of", in_days(31)])
    assert result.exit_code == 0, result.output
    assert [j.func_name for j in ckan_jobs.get_queue().jobs] == [f"{jobs.__name__}.expire_grants"]
    ckan_jobs.Worker().work(burst=True)
    assert not _analyst_sees_secret(world)
    shown = helpers.call_action(
        "hhs_marketplace_request_show", context={"user": world.analyst["name"]}, id=request["id"]
    )
    assert shown["status"] == "expired"
    assert shown["events"][-1]["action"] == "revoke"
