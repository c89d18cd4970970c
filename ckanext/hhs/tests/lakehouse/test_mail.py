"""A schema drift is mailed to the dataset's data stewards through a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from ckanext.hhs.tests.helpers import smtp_sink as mail_sink

from .conftest import PLUGINS, act, cms_enrollment, lake_dataset, register, write_delta

pytest.importorskip("aiosmtpd.controller")

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def smtp_sink(tmp_path, monkeypatch):
    with mail_sink(tmp_path / "mail", monkeypatch) as sink:
        yield sink


def test_drift_is_mailed_to_the_stewards(people, lake, smtp_sink):
    path = write_delta(str(lake / "cms" / "t"), cms_enrollment())
    _, resource = lake_dataset(
        people["cms"], "mailed", "delta", data_steward=[{"name": "Dana Reyes", "email": "steward@cms.example.gov"}]
    )
    register("cms-steward", resource, path, "delta")
    assert list(smtp_sink) == []
    write_delta(path, cms_enrollment().drop_columns(["year"]), mode="overwrite", schema_mode="overwrite")
    act("hhs_lakehouse_table_refresh", "cms-steward", id=resource["id"], queue=False)
    messages = list(smtp_sink)
    assert [m["To"].split("<")[-1].rstrip(">") for m in messages] == ["steward@cms.example.gov"]
    body = messages[0].get_payload(decode=True).decode()
    assert "removed: year" in body and f"/dataset/mailed/resource/{resource['id']}" in body
