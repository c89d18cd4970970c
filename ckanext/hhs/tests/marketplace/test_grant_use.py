"""A grant used: the holder downloads the restricted dataset's uploaded file or queries its lakehouse
table during the grant; each use is a line in the request's history and counts in the marketplace
figures and the governance ROI CSV; after the grant both are refused."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

from .conftest import ask, in_days

pytestmark = [
    pytest.mark.ckan_config("ckan.auth.allow_dataset_collaborators", "true"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def call(action: str, user: dict, **data):
    return helpers.call_action(action, context={"user": user["name"], "ignore_auth": False}, **data)


def upload_file(user: dict, dataset: dict) -> dict:
    return call(
        "resource_create",
        user,
        package_id=dataset["id"],
        name="Claims sample (CSV)",
        url="claims.csv",
        upload=FileStorage(io.BytesIO(b"bene_id,clm_pmt_amt\nB1,120.50\n"), filename="claims.csv"),
    )


@pytest.fixture
def lake(tmp_path, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", str(tmp_path))
    return tmp_path


def register_table(world, root) -> str:
    folder = root / "cms" / "claims"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"bene_id": ["B1", "B2"], "clm_pmt_amt": [120.5, 80.0]}), str(folder / "part-0.parquet"))
    resource = call(
        "resource_create",
        world.steward,
        package_id=world.secret["id"],
        name="Claims table",
        url="https://example.com/claims",
        resource_kind="lakehouse",
    )
    table = call(
        "hhs_lakehouse_table_register",
        world.sysadmin,
        id=resource["id"],
        table_uri=str(folder),
        table_format="parquet",
        queue=False,
    )
    return table["sql_name"]


def test_a_steward_uploads_a_file_to_a_restricted_dataset(world):
    """Regression: resource_create with an upload failed (IndexError, or 'cursor already closed' in the
    tests): building the file's URL outside a web request released the database session mid-action."""
    resource = upload_file(world.steward, world.secret)
    assert resource["url_type"] == "upload" and resource["url"].endswith("/download/claims.csv")
    assert [r["name"] for r in helpers.call_action("package_show", id=world.secret["id"])["resources"]] == [
        "Claims sample (CSV)"
    ]


def test_downloads_and_queries_during_the_grant_are_uses_and_refused_after(app, world, lake, mail_server):
    resource = upload_file(world.steward, world.secret)
    sql_name = register_table(world, lake)
    request = ask(world)
    call("hhs_marketplace_request_approve", world.steward, id=request["id"])
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    headers = {"Authorization": token}
    download = f"/dataset/{world.secret['id']}/resource/{resource['id']}/download/claims.csv"

    assert call("hhs_marketplace_metrics", world.analyst)["grants"] == {"total": 1, "used": 0}
    response = app.get(download, headers=headers)
    assert response.status_code == 200 and "B1,120.50" in response.get_data(as_text=True)
    result = call("hhs_lakehouse_query", world.analyst, sql=f"select count(*) as n from {sql_name}")
    assert result["rows"] == [[2]] or result["rows"] == [{"n": 2}] or result["rows"][0][0] == 2
    uses = [e for e in call("hhs_marketplace_request_show", world.analyst, id=request["id"])["events"]
            if e["action"] == "use"]  # fmt: skip
    assert [(e["user"], e["message"]) for e in uses] == [(world.analyst["name"], "download"),
                                                          (world.analyst["name"], "query")]  # fmt: skip
    assert call("hhs_marketplace_metrics", world.analyst)["grants"] == {"total": 1, "used": 1}

    # Someone without a grant downloads nothing and adds no use.
    outsider = helpers.call_action("api_token_create", user=world.outsider["name"], name="t")["token"]
    assert app.get(download, headers={"Authorization": outsider}).status_code in (403, 404)

    call("hhs_marketplace_grants_expire", world.sysadmin, as_of=in_days(31))
    assert app.get(download, headers=headers).status_code in (403, 404)
    with pytest.raises((tk.NotAuthorized, tk.ValidationError, tk.ObjectNotFound)):
        call("hhs_lakehouse_query", world.analyst, sql=f"select count(*) as n from {sql_name}")
    events = call("hhs_marketplace_request_show", world.analyst, id=request["id"])["events"]
    assert [e["action"] for e in events].count("use") == 2


def test_time_to_grant_and_grants_used_in_the_governance_roi_csv(app, world, mail_server):
    board = ckan_factories.User(name="board-member")
    factories.Division(
        name=tk.config.get("ckanext.hhs.governance_org") or "data-governance-board",
        title="Data Governance Board",
        kind="governance",
        bureau_code="009:90",
        users=[{"name": board["name"], "capacity": "member"}],
    )
    resource = upload_file(world.steward, world.secret)
    request = ask(world)
    call("hhs_marketplace_request_approve", world.steward, id=request["id"])
    token = helpers.call_action("api_token_create", user=world.analyst["name"], name="t")["token"]
    app.get(f"/dataset/{world.secret['id']}/resource/{resource['id']}/download/claims.csv",
            headers={"Authorization": token})  # fmt: skip

    from ckanext.hhs.governance.metrics.figures import compute_figures

    compute_figures()
    board_token = helpers.call_action("api_token_create", user=board["name"], name="t")["token"]
    response = app.get("/governance/roi.csv", headers={"Authorization": board_token})
    assert response.status_code == 200
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert float(rows["time_to_grant_median_hours"]["value"]) >= 0
    assert rows["time_to_grant_p90_hours"]["value"] != ""
    assert float(rows["time_to_grant_median_hours.division.cms"]["value"]) >= 0
    product = world.product["name"]
    assert rows[f"time_to_grant_p90_hours.product.{product}"]["label"].endswith("Medicare claims for research")
    assert rows[f"grants_given.product.{product}"]["value"] == "1"
    assert (rows["grants_active"]["value"], rows["grants_total"]["value"], rows["grants_used"]["value"]) == (
        "1",
        "1",
        "1",
    )
