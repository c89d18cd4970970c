"""Lakehouse actions against real Delta, Iceberg and Parquet tables and the real CKAN stack."""

from __future__ import annotations

import datetime as dt
import os
import time

import pyarrow as pa
import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.lakehouse import jobs
from ckanext.hhs.lakehouse import model as lm

from .conftest import PLUGINS, act, cms_enrollment, lake_dataset, register, write_delta, write_iceberg, write_parquet

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


class TestRegisterAndRefresh:
    @pytest.mark.parametrize("fmt", ["delta", "iceberg", "parquet"])
    def test_each_format_metadata_without_scanning(self, people, lake, fmt):
        path = str(lake / "cms" / fmt)
        if fmt == "delta":
            write_delta(path, cms_enrollment(), partition_by=["year"])
            write_delta(path, cms_enrollment())
        elif fmt == "iceberg":
            write_iceberg("file://" + path, "cms", "enrollment", cms_enrollment())
        else:
            write_parquet(path, cms_enrollment(), partition=["year"])
        _, resource = lake_dataset(people["cms"], f"enrollment-{fmt}", fmt)
        table = register("cms-steward", resource, path, fmt)
        assert table["status"] == "ok", table["error"]
        names = [c["name"] for c in table["columns"]]
        assert set(names) == {"state_fips", "year", "beneficiaries"}
        types = {c["name"]: c["type"] for c in table["columns"]}
        assert types["beneficiaries"] in ("long", "int64")
        assert table["rows"] == (8 if fmt == "delta" else 4)
        assert table["files"] >= 1 and table["bytes"] > 0
        assert table["committed"] is not None
        if fmt == "delta":
            assert table["version"] == "1" and table["partitioning"] == ["year"]
        if fmt == "iceberg":
            assert table["version"] and int(table["version"]) > 0
        if fmt == "parquet":
            assert table["partitioning"] == ["year"]
        # The resource now says what it is, and the table has a name for queries.
        shown = act("hhs_lakehouse_table_show", "analyst", id=resource["id"])
        assert shown["sql_name"] == f"enrollment_{fmt}__enrollment_{fmt}_table"
        res = act("resource_show", ckan_factories.Sysadmin()["name"], id=resource["id"])  # others: no path
        assert (res["table_uri"], res["table_format"]) == (path, fmt)

    def test_register_queues_a_background_job(self, people, lake):
        path = write_delta(str(lake / "cms" / "t"), cms_enrollment())
        _, resource = lake_dataset(people["cms"], "queued", "delta")
        table = act(
            "hhs_lakehouse_table_register", "cms-steward", id=resource["id"], table_uri=path, table_format="delta"
        )
        assert table["status"] == "pending"
        # What the worker runs:
        assert jobs.refresh([resource["id"]])[0]["status"] == "ok"
        assert act("hhs_lakehouse_table_show", "cms-steward", id=resource["id"])["rows"] == 4

    @pytest.mark.parametrize(
        ("uri", "message"),
        [
            ("{outside}/t", "not under an allowed root"),
            ("{lake}/../outside/t", "may not contain '..'"),
            ("file://{lake}/../outside/t", "may not contain '..'"),
            ("relative/path", "must be absolute"),
            ("https://example.com/t", "not https://"),
            ("abfss://c@a.dfs.core.windows.net/t", "not abfss://"),
            ("s3://someone-else/t", "not under an allowed root"),
            ("file://evil.example.com/{lake}/t", "file:///path"),
            ("{lake}/t with space", "spaces"),
            ("/etc/passwd", "not under an allowed root"),
        ],
    )
    def test_refused_uris_name_the_field(self, people, lake, uri, message):
        _, resource = lake_dataset(people["cms"], "refused", "delta")
        uri = uri.format(lake=lake, outside=lake.parent / "outside")
        with pytest.raises(tk.ValidationError) as e:
            register("cms-steward", resource, uri, "delta")
        assert message in e.value.error_dict["table_uri"][0]
        assert model.Session.get(lm.LakehouseTable, resource["id"]) is None

    def test_symlink_out_of_the_root_is_refused(self, people, lake):
        (lake / "cms").mkdir()
        os.symlink(lake.parent / "outside", lake / "cms" / "link")
        _, resource = lake_dataset(people["cms"], "symlink", "delta")
        with pytest.raises(tk.ValidationError) as e:
            register("cms-steward", resource, str(lake / "cms" / "link"), "delta")
        assert "not under an allowed root" in e.value.error_dict["table_uri"][0]

    def test_bad_format_names_the_field(self, people, lake):
        _, resource = lake_dataset(people["cms"], "badfmt", "delta")
        with pytest.raises(tk.ValidationError) as e:
            register("cms-steward", resource, str(lake / "cms" / "t"), "csv")
        assert "table_format" in e.value.error_dict

    def test_missing_and_corrupt_tables_are_errors_and_the_job_goes_on(self, people, lake):
        good = write_delta(str(lake / "cms" / "good"), cms_enrollment())
        corrupt = lake / "cms" / "corrupt" / "_delta_log"
        corrupt.mkdir(parents=True)
        (corrupt / "00000000000000000000.json").write_text("{not json")
        ids = []
        missing, corrupt_path = str(lake / "cms" / "nothing"), str(lake / "cms" / "corrupt")
        for name, path in (("missing", missing), ("corrupt", corrupt_path), ("good", good)):
            _, resource = lake_dataset(people["cms"], name, "delta")
            ids.append(resource["id"])
            register("cms-steward", resource, path, "delta")
        results = {r["id"]: r for r in jobs.refresh(ids)}
        assert [results[i]["status"] for i in ids] == ["error", "error", "ok"]
        shown = act("hhs_lakehouse_table_show", "cms-steward", id=ids[0])
        assert shown["status"] == "error" and "could not be read" in shown["error"]

    def test_a_dataset_reads_only_tables_in_its_own_divisions_folder(self, people, lake):
        """An editor of CDC may not point a CDC resource at CMS's private table and read it through
        their own dataset: not by registering it, not by editing the resource, not through a symlink."""
        secret = write_delta(str(lake / "cms" / "secret"), cms_enrollment())
        private, cms_resource = lake_dataset(people["cms"], "cms-secret", "delta", private=True)
        register("cms-steward", cms_resource, secret, "delta")
        _, resource = lake_dataset(people["cdc"], "cdc-borrow", "delta")
        with pytest.raises(tk.ValidationError) as e:
            register("cdc-steward", resource, secret, "delta")
        assert (
            f"must be in cdc's folder of the allowed root: {os.path.realpath(lake)}/cdc/"
            in (e.value.error_dict["table_uri"][0])
        )
        (lake / "cdc").mkdir()
        os.symlink(lake / "cms" / "secret", lake / "cdc" / "borrowed")
        with pytest.raises(tk.ValidationError):
            register("cdc-steward", resource, str(lake / "cdc" / "borrowed"), "delta")
        # Set on the resource itself: not registered, so never read.
        act("resource_patch", "cdc-steward", id=resource["id"], table_uri=secret, table_format="delta")
        assert model.Session.get(lm.LakehouseTable, resource["id"]) is None
        with pytest.raises(tk.ObjectNotFound):
            act("hhs_lakehouse_preview", "cdc-steward", id=resource["id"])

    def test_only_editors_register_and_sysadmins_refresh_all(self, people, lake):
        path = write_delta(str(lake / "cms" / "t"), cms_enrollment())
        _, resource = lake_dataset(people["cms"], "perm", "delta")
        for user in ("analyst", "outsider", "cdc-steward"):
            with pytest.raises(tk.NotAuthorized):
                register(user, resource, path, "delta")
        register("cms-steward", resource, path, "delta")
        with pytest.raises(tk.NotAuthorized):
            act("hhs_lakehouse_table_refresh", "cms-steward", all=True, queue=False)
        sysadmin = ckan_factories.Sysadmin()["name"]
        assert act("hhs_lakehouse_table_refresh", sysadmin, all=True, queue=False)["count"] == 1


class TestDriftAndFreshness:
    def test_drift_is_recorded_in_the_activity_stream(self, people, lake, migrate_db_for):
        path = write_delta(str(lake / "cms" / "t"), cms_enrollment())
        dataset, resource = lake_dataset(
            people["cms"], "drifting", "delta", data_steward=[{"name": "Steward", "email": "steward@cms.hhs.gov"}]
        )
        register("cms-steward", resource, path, "delta")
        # A column is added and one retyped (overwrite with a new schema).
        changed = cms_enrollment({"county": pa.array(["a", "b", "c", "d"])}).set_column(
            1, "year", pa.array(["2024"] * 4)
        )
        write_delta(path, changed, mode="overwrite", schema_mode="overwrite")
        result = act("hhs_lakehouse_table_refresh", "cms-steward", id=resource["id"], queue=False)["results"][0]
        assert result.get("drift", result) == {
            "added": ["county"],
            "removed": [],
            "retyped": [{"column": "year", "from": "integer", "to": "string"}],
        }
        shown = act("hhs_lakehouse_table_show", "cms-steward", id=resource["id"])
        assert shown["last_drift"]["added"] == ["county"]
        stream = act(
            "package_activity_list", "cms-steward", id=dataset["id"], activity_types=["changed lakehouse table"]
        )
        assert [a["data"]["drift"]["added"] for a in stream] == [["county"]]
        # Nothing changed: no new drift.
        again = act("hhs_lakehouse_table_refresh", "cms-steward", id=resource["id"], queue=False)["results"][0]
        assert again["drift"] is None

    def test_freshness_against_the_update_frequency(self, people, lake):
        # Two tables: a table is registered once.
        _, daily = lake_dataset(people["cms"], "daily", "delta", frequency="R/P1D")
        _, yearly = lake_dataset(people["cms"], "yearly", "delta", frequency="R/P1Y")
        register("cms-steward", daily, write_delta(str(lake / "cms" / "daily"), cms_enrollment()), "delta")
        register("cms-steward", yearly, write_delta(str(lake / "cms" / "yearly"), cms_enrollment()), "delta")
        assert not act("hhs_lakehouse_table_show", "cms-steward", id=yearly["id"])["stale"]
        committed = dt.datetime(2020, 1, 1)
        assert jobs.freshness("R/P1D", committed, dt.datetime(2020, 1, 2, 11))["stale"] is False
        assert jobs.freshness("R/P1D", committed, dt.datetime(2020, 1, 2, 13))["stale"] is True
        assert jobs.freshness("R/P1M", committed, dt.datetime(2020, 2, 10))["stale"] is False
        assert jobs.freshness("irregular", committed, dt.datetime(2030, 1, 1))["stale"] is False
        # A table whose dataset promises a new version every second is stale two seconds later.
        act("package_patch", "cms-steward", id=daily["package_id"], frequency="R/PT1S")
        time.sleep(2)
        act("hhs_lakehouse_table_refresh", "cms-steward", id=daily["id"], queue=False)
        shown = act("hhs_lakehouse_table_show", "cms-steward", id=daily["id"])
        assert shown["stale"] and shown["freshness"]["frequency"] == "R/PT1S"
        listing = act("hhs_lakehouse_table_list", "cms-steward", stale=True)
        assert (listing["count"], listing["stale"]) == (1, 1)
        assert listing["results"][0]["resource_id"] == daily["id"]


class TestTermsAndJoinKeys:
    def test_suggest_confirm_and_join_keys(self, people, linked):
        cms, cdc = linked["cms"], linked["cdc"]
        suggested = act("hhs_lakehouse_column_suggest", "cms-steward", id=cms["id"])
        assert [(s["column"], s["term"]) for s in suggested] == [("state_fips", "state-fips-code")]
        cdc_suggested = act("hhs_lakehouse_column_suggest", "cdc-steward", id=cdc["id"])
        assert cdc_suggested[0]["column"] == "StateFIPS" and cdc_suggested[0]["score"] == 1.0
        for user, res, column in (("cms-steward", cms, "state_fips"), ("cdc-steward", cdc, "StateFIPS")):
            act("hhs_lakehouse_column_confirm", user, id=res["id"], column=column, term="state-fips-code")
        shown = act("hhs_lakehouse_table_show", "cms-steward", id=cms["id"])
        assert {c["name"]: c["term"] for c in shown["columns"]}["state_fips"] == "state-fips-code"
        assert act("hhs_lakehouse_column_suggest", "cms-steward", id=cms["id"]) == []
        # The analyst (member of both divisions) sees the CDC table as the CMS table's join key ...
        keys = act("hhs_lakehouse_join_keys", "analyst", id=cms["id"])
        assert [(k["column"], [(link["dataset"]["name"], link["column"]) for link in k["links"]]) for k in keys] == [
            ("state_fips", [("cdc-cases", "StateFIPS")])
        ]
        assert keys[0]["links"][0]["sql_name"] == "cdc_cases__cdc_cases_table"
        # ... an outsider does not: the CDC dataset is private.
        assert act("hhs_lakehouse_join_keys", "outsider", id=cms["id"]) == []

    def test_confirm_checks_column_and_term(self, people, linked):
        with pytest.raises(tk.ValidationError) as e:
            act(
                "hhs_lakehouse_column_confirm",
                "cms-steward",
                id=linked["cms"]["id"],
                column="nope",
                term="state-fips-code",
            )
        assert "column" in e.value.error_dict
        with pytest.raises(tk.ValidationError) as e:
            act(
                "hhs_lakehouse_column_confirm",
                "cms-steward",
                id=linked["cms"]["id"],
                column="year",
                term="no-such-term",
            )
        assert "term" in e.value.error_dict
        with pytest.raises(tk.NotAuthorized):
            act(
                "hhs_lakehouse_column_confirm", "analyst", id=linked["cms"]["id"], column="year", term="state-fips-code"
            )


class TestPreviewAndQuery:
    def test_preview_for_those_who_may_see(self, people, linked):
        preview = act("hhs_lakehouse_preview", "analyst", id=linked["cdc"]["id"], rows=2)
        assert preview["columns"] == ["StateFIPS", "cases"] and len(preview["rows"]) == 2
        with pytest.raises(tk.NotAuthorized):
            act("hhs_lakehouse_preview", "outsider", id=linked["cdc"]["id"])
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action(
                "hhs_lakehouse_preview",
                context={"user": "", "auth_user_obj": model.AnonymousUser(), "ignore_auth": False},
                id=linked["cms"]["id"],
            )

    def test_identifiable_phi_needs_the_admins_allowance(self, people, lake):
        path = write_parquet(str(lake / "cms" / "phi"), cms_enrollment())
        _, resource = lake_dataset(people["cms"], "phi", "parquet", phi_classification="identifiable-phi")
        register("cms-steward", resource, path, "parquet")
        with pytest.raises(tk.NotAuthorized, match="identifiable PHI"):
            act("hhs_lakehouse_preview", "analyst", id=resource["id"])
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_lakehouse_query", "analyst", sql="select * from phi__phi_table")
        assert "identifiable PHI" in e.value.error_dict["sql"][0]
        # A division editor who is not an admin may not allow it; the admin may.
        register("cms-steward", resource, path, "parquet", allow_phi_preview=True)
        assert len(act("hhs_lakehouse_preview", "analyst", id=resource["id"])["rows"]) == 4

    def test_cross_division_join_over_visible_tables(self, people, linked):
        sql = (
            "select e.state_fips, e.beneficiaries, c.cases from cms_enrollment__cms_enrollment_table e "
            "join cdc_cases__cdc_cases_table c on e.state_fips = c.StateFIPS order by e.state_fips"
        )
        result = act("hhs_lakehouse_query", "analyst", sql=sql)
        assert result["rows"] == [["01", 1000, 12], ["02", 200, 3], ["06", 6000, 40]]
        assert {d["name"] for d in result["datasets"]} == {"cms-enrollment", "cdc-cases"}
        assert {d["division"] for d in result["datasets"]} == {
            "Centers for Medicare & Medicaid Services",
            "Centers for Disease Control and Prevention",
        }
        # The outsider may not see the private CDC dataset: same answer as for a table that is not there.
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_lakehouse_query", "outsider", sql=sql)
        assert e.value.error_dict["sql"] == ["There is no registered table cdc_cases__cdc_cases_table you may read"]
        logged = model.Session.query(lm.QueryLog).order_by(lm.QueryLog.at).all()
        assert [(q.kind, q.status) for q in logged] == [("query", "ok"), ("query", "refused")]

    @pytest.mark.parametrize(
        "sql",
        [
            "drop table cms_enrollment__cms_enrollment_table",
            "select * from read_parquet('/etc/passwd')",
            "select * from cms_enrollment__cms_enrollment_table; select 1",
            "copy cms_enrollment__cms_enrollment_table to '/tmp/x.csv'",
            "select getenv('HOME') from cms_enrollment__cms_enrollment_table",
            "attach '/tmp/x.db' as x",
            "select * from main.cms_enrollment__cms_enrollment_table",
            "select * from '/etc/passwd'",
            "not sql at all (",
        ],
    )
    def test_only_read_only_selects_run(self, people, linked, sql):
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_lakehouse_query", "analyst", sql=sql)
        assert e.value.error_dict["sql"]

    def test_row_limit(self, people, linked, monkeypatch):
        monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.query_max_rows", "2")
        result = act("hhs_lakehouse_query", "analyst", sql="select * from cms_enrollment__cms_enrollment_table")
        assert len(result["rows"]) == 2 and result["truncated"]


def test_a_long_query_is_stopped_and_audited(people, linked, monkeypatch):
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.query_timeout", "1")
    sql = (
        "with recursive r(n) as (select 1 union all select n + 1 from r where n < 500000000) "
        "select count(*) from r, cms_enrollment__cms_enrollment_table"
    )
    started = time.monotonic()
    with pytest.raises(tk.ValidationError) as e:
        act("hhs_lakehouse_query", "analyst", sql=sql)
    assert "took longer than" in e.value.error_dict["sql"][0]
    assert time.monotonic() - started < 10
    logged = model.Session.query(lm.QueryLog).order_by(lm.QueryLog.at.desc()).first()
    assert (logged.status, logged.kind) == ("timeout", "query")
