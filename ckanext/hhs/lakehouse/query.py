"""Read-only SQL over registered tables: parsed and checked with sqlglot, run by DuckDB over Arrow.

A query is one SELECT (WITH, UNION and joins allowed). It may name only registered tables by their SQL
name (and its own CTEs): no schema- or catalog-qualified names, no table functions, no file, network,
settings or system functions, no DDL, DML, PRAGMA, SET, ATTACH, COPY or EXPORT. Which registered names
the caller may read is decided by the action before anything runs. DuckDB then runs it in memory with
external access switched off and its configuration locked, a memory limit, a row limit (one more row
is fetched to say the result was cut) and a deadline after which it is interrupted.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

__all__ = ["QueryRefused", "QueryTimeout", "Result", "check", "run"]

_FORBIDDEN_NODES = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable", "Command", "Copy",
        "Pragma", "Set", "SetItem", "Use", "Attach", "Detach", "Export", "Install", "Load", "Into",
        "Transaction", "Commit", "Rollback", "LoadData", "Cache", "Uncache", "Refresh", "Describe", "Kill",
        "Summarize", "Pivot",
    )
    if hasattr(exp, name)
)  # fmt: skip
# Functions that reach files, the network, settings or the engine itself.
_FORBIDDEN_FUNCTION = re.compile(
    r"^(read_\w*|\w*_scan|glob|parquet_\w+|sniff_csv|getenv|current_setting|set_\w+|query|query_table|"
    r"load|install|duckdb_\w+|pragma_\w+|pg_\w+|sqlite_\w+|postgres_\w+|mysql_\w+|http\w*|which_secret|"
    r"iceberg_\w+|delta_\w+|json_execute_serialized_sql|system|shell|export\w*|copy\w*|checkpoint|"
    r"force_checkpoint|current_database|current_schema\w*|version|platform|getvariable|setvariable)$",
    re.IGNORECASE,
)


class QueryRefused(ValueError):
    """The SQL may not run; the message says why."""


class QueryTimeout(Exception):
    pass


@dataclass
class Result:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    ms: int
    table: pa.Table


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this)
    return node.sql_name()


def check(sql: str) -> tuple[exp.Expression, set[str]]:
    """The parsed query and the table names it reads, or QueryRefused."""
    if not isinstance(sql, str) or not sql.strip():
        raise QueryRefused("Write a SELECT query")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError as e:
        raise QueryRefused(f"The query could not be parsed: {str(e).splitlines()[0][:300]}") from e
    if len(statements) != 1:
        raise QueryRefused("Write exactly one SELECT statement")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryRefused("Only SELECT queries are allowed (no DDL, DML or commands)")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names: set[str] = set()
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise QueryRefused(f"{node.key.upper()} is not allowed: only SELECT queries run here")
        if isinstance(node, exp.Func) and _FORBIDDEN_FUNCTION.match(_function_name(node)):
            raise QueryRefused(f"The function {_function_name(node)}() is not allowed")
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier):
                raise QueryRefused("Table functions are not allowed: name a registered table")
            if node.args.get("db") or node.args.get("catalog"):
                raise QueryRefused(f"Name tables by their registered name only, not {node.sql(dialect='duckdb')}")
            if node.name.lower() not in ctes:
                names.add(node.name.lower())
    if not names:
        raise QueryRefused("The query reads no registered table")
    return tree, names


def run(sql: str, sources: dict[str, Any], max_rows: int, timeout: float, memory: str = "512MB") -> Result:
    """Run the checked query over sources (SQL name -> Arrow table or dataset)."""
    tree, _ = check(sql)
    con = duckdb.connect(":memory:", config={"threads": 2, "memory_limit": memory})
    timer = threading.Timer(timeout, con.interrupt)
    started = time.monotonic()
    try:
        for name, source in sources.items():
            con.register(name, source)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        limited = f"SELECT * FROM ({tree.sql(dialect='duckdb')}) AS hhs_query LIMIT {int(max_rows) + 1}"
        timer.start()
        try:
            table = con.execute(limited).to_arrow_table()
        except duckdb.InterruptException as e:
            raise QueryTimeout(f"The query took longer than {timeout:g} s and was stopped") from e
        except duckdb.Error as e:
            if time.monotonic() - started >= timeout:
                raise QueryTimeout(f"The query took longer than {timeout:g} s and was stopped") from e
            raise QueryRefused(f"The query failed: {str(e).splitlines()[0][:300]}") from e
    finally:
        timer.cancel()
        con.close()
    truncated = table.num_rows > max_rows
    table = table.slice(0, max_rows)
    from .readers import jsonable

    return Result(
        columns=table.column_names,
        rows=jsonable(table),
        truncated=truncated,
        ms=int((time.monotonic() - started) * 1000),
        table=table,
    )
