"""s3:// tables on an S3-compatible endpoint on loopback (moto's server), as divisions keep them: one
Delta and one Iceberg table, registered, refreshed, previewed and joined; credentials never shown."""

from __future__ import annotations

import socket

import boto3
import pytest

import ckan.plugins.toolkit as tk

from ckanext.hhs.lakehouse import config as lake_config
from ckanext.hhs.lakehouse import readers

from .conftest import PLUGINS, act, cdc_cases, cms_enrollment, lake_dataset, register, write_delta, write_iceberg

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

SECRET = "s3cr3t-never-shown-0123456789"
KEY_ID = "AKIAHHSTESTKEY000001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}", port
    server.stop()


@pytest.fixture
def s3(moto_server, monkeypatch):
    endpoint, port = moto_server
    bucket = f"lake-{_free_port()}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name="us-east-1"
    ).create_bucket(Bucket=bucket)
    root = f"s3://{bucket}/tables"
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", root)
    monkeypatch.setitem(
        tk.config,
        "ckanext.hhs.lakehouse.s3_endpoints",
        f"{root} endpoint={endpoint} region=us-east-1 key_id={KEY_ID} secret={SECRET}",
    )
    monkeypatch.setitem(tk.config, "ckanext.hhs.allowed_private_hosts", f"127.0.0.1:{port}")
    return root


def test_delta_and_iceberg_on_s3(people, s3):
    loc = lake_config.resolve(f"{s3}/cms/enrollment")
    write_delta(loc.uri, cms_enrollment(), storage_options=readers.delta_options(loc))
    cdc_loc = lake_config.resolve(f"{s3}/cdc/cases")
    write_iceberg(cdc_loc.uri, "cdc", "cases", cdc_cases(), **readers.iceberg_properties(cdc_loc))

    _, cms = lake_dataset(people["cms"], "cms-enrollment", "delta")
    _, cdc = lake_dataset(people["cdc"], "cdc-cases", "iceberg")
    delta = register("cms-steward", cms, f"{s3}/cms/enrollment", "delta")
    iceberg = register("cdc-steward", cdc, f"{s3}/cdc/cases", "iceberg")
    assert (delta["status"], delta["rows"], delta["version"]) == ("ok", 4, "0"), delta["error"]
    assert (iceberg["status"], iceberg["rows"]) == ("ok", 4), iceberg["error"]
    assert [c["name"] for c in iceberg["columns"]] == ["StateFIPS", "cases"]

    preview = act("hhs_lakehouse_preview", "analyst", id=cdc["id"], rows=2)
    assert len(preview["rows"]) == 2
    result = act(
        "hhs_lakehouse_query",
        "analyst",
        sql="select count(*) as n from cms_enrollment__cms_enrollment_table e "
        "join cdc_cases__cdc_cases_table c on e.state_fips = c.StateFIPS",
    )
    assert result["rows"] == [[3]]


def test_credentials_are_never_shown_and_the_endpoint_is_guarded(people, s3, monkeypatch):
    _, resource = lake_dataset(people["cms"], "missing", "delta")
    shown = register("cms-steward", resource, f"{s3}/cms/nothing-here", "delta")
    assert shown["status"] == "error"
    assert SECRET not in str(shown) and KEY_ID not in str(shown)
    # The endpoint must pass the core fetch guard: a loopback endpoint that is not allow-listed is refused.
    monkeypatch.setitem(tk.config, "ckanext.hhs.allowed_private_hosts", "")
    again = act("hhs_lakehouse_table_refresh", "cms-steward", id=resource["id"], queue=False)["results"][0]
    assert again["status"] == "error" and "endpoint" in again["error"] and "was refused" in again["error"]


def test_s3_root_without_endpoint_is_refused(people, s3, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.s3_endpoints", "")
    _, resource = lake_dataset(people["cms"], "noendpoint", "delta")
    with pytest.raises(tk.ValidationError) as e:
        register("cms-steward", resource, f"{s3}/cms/t", "delta")
    assert "no endpoint configured" in e.value.error_dict["table_uri"][0]
    with pytest.raises(tk.ValidationError) as e:
        register("cms-steward", resource, f"{s3}/../other/t", "delta")
    assert "'..'" in e.value.error_dict["table_uri"][0]
