"""`ckan hhs seed-demo-marketplace` and `ckan hhs marketplace expire|remind`."""

from __future__ import annotations

import datetime as dt

import pytest

import ckan.model as model
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests import helpers

from ckanext.hhs.marketplace import model as mm

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _statuses() -> dict[str, str]:
    rows = (
        model.Session.query(model.User.name, model.Package.name, mm.AccessRequest.status)
        .join(model.User, model.User.id == mm.AccessRequest.requester_id)
        .join(model.Package, model.Package.id == mm.AccessRequest.product_id)
    )
    return {f"{u}->{p}": s for u, p, s in rows}


def test_demo_seed_shows_every_state_and_is_idempotent(cli, mail_server):
    helpers.call_action("hhs_divisions_seed", context={"user": helpers.call_action("get_site_user")["name"]})
    result = cli.invoke(ckan_cli, ["hhs", "seed-demo-marketplace"])
    assert result.exit_code == 0, result.output
    assert "User cdc-analyst created, password:" in result.output
    statuses = _statuses()
    assert statuses == {
        "cdc-analyst->medicare-claims-research-extract": "approved",
        "fda-analyst->medicare-claims-research-extract": "submitted",
        "fda-analyst->part-d-prescriber-linked-file": "awaiting_second",
        "cdc-analyst->part-d-prescriber-linked-file": "info_requested",
        "cdc-steward->medicare-claims-research-extract": "rejected",
    }
    # The approved CDC analyst can open the private CMS dataset.
    shown = helpers.call_action(
        "package_show",
        context={"user": "cdc-analyst", "ignore_auth": False},
        id="medicare-ffs-claims-beneficiary-level",
    )
    assert shown["private"] is True
    counts = (model.Session.query(mm.Licence).count(), model.Session.query(mm.Need).count())
    assert counts == (2, 3)
    assert mail_server.get_smtp_messages()  # stewards and requesters were written to

    again = cli.invoke(ckan_cli, ["hhs", "seed-demo-marketplace"])
    assert again.exit_code == 0, again.output
    assert "created" not in again.output
    assert _statuses() == statuses
    assert (model.Session.query(mm.Licence).count(), model.Session.query(mm.Need).count()) == counts

    # The expiry command, run after the grant's end, takes the access away.
    after = (dt.date.today() + dt.timedelta(days=91)).isoformat()
    expired = cli.invoke(ckan_cli, ["hhs", "marketplace", "expire", "--as-of", after])
    assert expired.exit_code == 0, expired.output
    assert "1 requests expired, 1 grants revoked" in expired.output
    assert _statuses()["cdc-analyst->medicare-claims-research-extract"] == "expired"
    reminded = cli.invoke(ckan_cli, ["hhs", "marketplace", "remind"])
    assert "1 licence holders reminded" in reminded.output


def test_demo_seed_restricted_dataset_ends_in_rows(tmp_path, monkeypatch):
    """The granted demo analyst queries the restricted dataset's synthetic claims table (registered
    through the lakehouse's action); when the grant ends, the query is refused."""
    import ckan.plugins.toolkit as tk

    from ckanext.hhs.context import site_context
    from ckanext.hhs.marketplace import seed

    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", str(tmp_path))
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.demo_root", str(tmp_path))
    helpers.call_action("hhs_divisions_seed", context={"user": helpers.call_action("get_site_user")["name"]})
    output = "\n".join(seed.run(site_context()))
    assert "lakehouse table medicare_ffs_claims_beneficiary_level__" in output, output
    # The same claims as an uploaded CSV: downloaded through CKAN's authorisation, no public URL.
    assert "uploaded 400 synthetic claims as CSV" in output, output
    stored = helpers.call_action("package_show", id=seed.PRIVATE_DATASET)["resources"]
    (upload,) = [r for r in stored if r["url_type"] == "upload"]
    assert upload["url"].endswith("/download/medicare-ffs-claims-sample.csv")

    def query() -> list:
        shown = helpers.call_action(
            "package_show", context={"user": "cdc-analyst", "ignore_auth": False}, id=seed.PRIVATE_DATASET
        )
        (table,) = [r for r in shown["resources"] if r.get("resource_kind") == "lakehouse"]
        name = helpers.call_action("hhs_lakehouse_table_show", context={"user": "cdc-analyst"}, id=table["id"])
        return helpers.call_action(
            "hhs_lakehouse_query",
            context={"user": "cdc-analyst", "ignore_auth": False},
            sql=f"SELECT count(*) AS n FROM {name['sql_name']}",
        )["rows"]

    assert query() == [[400]]
    second = "\n".join(seed.run(site_context()))
    assert "created" not in second and "uploaded" not in second  # a second run changes nothing
    request = model.Session.query(mm.AccessRequest).filter_by(status="approved").one()
    request.status, request.modified = "withdrawn", mm.now()  # before the revoke step runs
    model.Session.commit()
    with pytest.raises(tk.NotAuthorized):
        query()
