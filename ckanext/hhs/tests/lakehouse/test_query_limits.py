"""A query's or preview's result is bounded in rows, cells and bytes inside the engine, and in memory and
time from reading the tables to JSON-ready rows (issue #23: `SELECT repeat('x', 8000000) AS s FROM t`
answered 800 MB and held a worker at 2.7 GB)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

import ckan.plugins.toolkit as tk

from ckanext.hhs.lakehouse import query

from .conftest import PLUGINS, act, lake_dataset, register, write_parquet


def _hundred() -> pa.Table:
    return pa.table({"a": pa.array(range(100), pa.int64()), "b": pa.array([f"r{i}" for i in range(100)])})


class TestEngine:
    def test_rows_cells_and_bytes_cut_the_result_and_say_which(self):
        source = {"t": _hundred()}
        whole = query.run("select a, b from t", source, query.Limits(rows=1000, timeout=10))
        assert len(whole.rows) == 100 and not whole.truncated and whole.limit is None
        by_rows = query.run("select a, b from t", source, query.Limits(rows=10, timeout=10))
        assert len(by_rows.rows) == 10 and by_rows.limit.endswith("at most 10 rows")
        by_cells = query.run("select a, b from t", source, query.Limits(rows=1000, timeout=10, cells=50))
        assert len(by_cells.rows) == 25 and by_cells.limit.endswith("at most 50 cells (rows x columns)")
        sql = "select repeat('x', 1000) as s from t"
        by_bytes = query.run(sql, source, query.Limits(rows=1000, timeout=10, bytes=10_500))
        assert len(by_bytes.rows) == 10 and by_bytes.truncated
        assert by_bytes.limit == "Only the first 10 rows are shown: a result holds at most 10,500 bytes"
        assert by_bytes.table.num_rows == 10

    def test_a_row_larger_than_the_byte_limit_is_refused_naming_it(self):
        with pytest.raises(query.QueryRefused, match="larger than the 1,000,000 bytes a result may hold"):
            query.run(
                "select repeat('x', 8000000) as s from t",
                {"t": _hundred()},
                query.Limits(rows=10, timeout=10, bytes=1_000_000),
            )

    def test_a_result_larger_than_the_memory_limit_is_refused_naming_it(self):
        # 100 distinct 8 MB values: 800 MB inside DuckDB, over its 64 MB.
        with pytest.raises(query.QueryRefused, match="more than the 64MB of memory a query may use"):
            query.run(
                "select repeat(b, 4000000) as s from t",
                {"t": _hundred()},
                query.Limits(rows=1000, timeout=10, memory="64MB", bytes=10**12, cells=10**9),
            )

    def test_column_names_and_order_are_the_querys(self):
        source = {"t": _hundred()}
        result = query.run(
            "select x.a, y.a, 1 from t x join t y on x.a = y.a order by x.a desc",
            source,
            query.Limits(rows=3, timeout=10),
        )
        assert result.columns == ["a", "a_1", "1"] and result.rows == [[99, 99, 1], [98, 98, 1], [97, 97, 1]]

    def test_the_probe_stays_small_in_memory(self):
        """The probe's query, and its self-join, in a fresh process: the old engine answered 800 MB at a
        3.3 GB peak here (the self-join would need ~22 GB); now the answer is the one row that fits in
        10 MB, flagged as cut, and the process stays within DuckDB's 512 MB limit plus the interpreter
        (250-930 MB measured, depending on what DuckDB keeps in its buffers): far below the old 3.3 GB."""
        script = textwrap.dedent(
            """
            import json, resource, pyarrow as pa
            from ckanext.hhs.lakehouse import query
            t = pa.table({"a": list(range(100))})
            for sql in ("SELECT repeat('x', 8000000) AS s FROM t", "SELECT repeat('x', 8000000) AS s FROM t, t t2"):
                result = query.run(sql, {"t": t}, query.Limits(rows=1000, timeout=15))
                print(len(result.rows), len(json.dumps(result.rows)), result.limit)
            print("maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
            """
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
        *answers, peak = out.stdout.splitlines()
        assert answers == ["1 8000006 Only the first 1 rows are shown: a result holds at most 10,000,000 bytes"] * 2
        assert int(peak.split()[1]) < 1200, out.stdout


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestActions:
    def test_query_and_preview_are_capped_in_bytes(self, people, lake, monkeypatch):
        big = pa.table({"id": pa.array(range(10), pa.int64()), "note": pa.array(["y" * 100_000] * 10)})
        path = write_parquet(str(lake / "cms" / "wide"), big)
        _, resource = lake_dataset(people["cms"], "wide", "parquet")
        register("cms-steward", resource, path, "parquet")
        monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.query_max_bytes", "350000")
        result = act("hhs_lakehouse_query", "analyst", sql="select * from wide__wide_table order by id")
        assert [r[0] for r in result["rows"]] == [0, 1, 2] and result["truncated"]
        assert result["limit"].endswith("at most 350,000 bytes")
        preview = act("hhs_lakehouse_preview", "analyst", id=resource["id"])
        assert len(preview["rows"]) == 3 and preview["truncated"] and "350,000 bytes" in preview["limit"]
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_lakehouse_query", "analyst", sql="select repeat('x', 8000000) as s from wide__wide_table")
        assert "larger than the 350,000 bytes a result may hold" in e.value.error_dict["sql"][0]
        monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.query_max_bytes", "1000")
        with pytest.raises(tk.ValidationError) as e:
            act("hhs_lakehouse_preview", "analyst", id=resource["id"])
        assert "larger than the 1,000 bytes" in e.value.error_dict["id"][0]

    def test_cells_cap_the_preview(self, people, lake, monkeypatch):
        path = write_parquet(str(lake / "cms" / "t"), _hundred())
        _, resource = lake_dataset(people["cms"], "cells", "parquet")
        register("cms-steward", resource, path, "parquet")
        monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.query_max_cells", "10")
        preview = act("hhs_lakehouse_preview", "analyst", id=resource["id"])
        assert len(preview["rows"]) == 5 and preview["limit"].endswith("at most 10 cells (rows x columns)")
