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

__all__ = ["Limits", "QueryRefused", "QueryTimeout", "Result", "ScanHints", "check", "preview", "run", "scan_hints"]

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
    limit: str | None  # which limit cut the result, in words; None when it is whole
    ms: int
    table: pa.Table


@dataclass(frozen=True)
class Limits:
    """What one query or preview may take: rows, cells (rows x columns) and bytes of its result (as
    text), DuckDB's memory, and seconds for running it and making its result JSON-ready."""

    rows: int
    timeout: float
    memory: str = "512MB"
    bytes: int = 10_000_000
    cells: int = 100_000

    def too_big(self, width: int) -> str:
        if self.cells < width:
            return f"A row of this result has {width} cells, more than the {self.cells:,} a result may hold"
        return f"One row of this result is larger than the {self.bytes:,} bytes a result may hold"

    def out_of_memory(self) -> str:
        return (
            f"The query needs more than the {self.memory} of memory a query may use: "
            "select fewer rows, fewer columns or smaller values"
        )

    def cut_by(self, kept: int, width: int, fitting: int) -> str:
        if kept == self.rows:
            limit = f"{self.rows:,} rows"
        elif kept == fitting and kept < self.cells // max(width, 1):
            limit = f"{self.bytes:,} bytes"
        else:
            limit = f"{self.cells:,} cells (rows x columns)"
        return f"Only the first {kept:,} rows are shown: a result holds at most {limit}"


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this)
    return node.sql_name()


def _names_a_cte(table: exp.Table) -> bool:
    """Whether a table reference names a CTE in scope where it stands: one of the WITH of a query it is
    part of, and inside that WITH only a CTE defined before its own (or its own, if RECURSIVE). A name
    that is a CTE elsewhere (say, in a subquery) is a table here, and is checked as one; when in doubt the
    name is checked, which at worst refuses a query."""
    name = table.name.lower()
    child: exp.Expression = table
    node = table.parent
    cte = None  # the CTE the reference was found in, on the way up
    while node is not None:
        if isinstance(child, exp.CTE):
            cte = child
        with_ = node.args.get("with_") if isinstance(node, exp.Query) else None
        if isinstance(with_, exp.With):
            ctes = list(with_.expressions)
            if child is with_:
                own = next((i for i, c in enumerate(ctes) if c is cte), len(ctes))
                visible = ctes[: own + 1] if with_.args.get("recursive") else ctes[:own]
            else:
                visible = ctes
            if name in {c.alias_or_name.lower() for c in visible}:
                return True
        child, node = node, node.parent
    return False


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
            if not _names_a_cte(node):
                names.add(node.name.lower())
    if not names:
        raise QueryRefused("The query reads no registered table")
    return tree, names


def run(sql: str, sources: dict[str, Any], limits: Limits) -> Result:
    """Run the checked query over sources (SQL name -> Arrow table or dataset)."""
    tree, _ = check(sql)
    return _execute(tree.sql(dialect="duckdb"), sources, limits)


def preview(source: Any, limits: Limits) -> Result:
    """The first rows of one table, under the same limits as a query."""
    return _execute("SELECT * FROM hhs_preview", {"hhs_preview": source}, limits)


def _execute(select: str, sources: dict[str, Any], limits: Limits) -> Result:
    """Run a SELECT and fetch at most limits.rows rows, limits.cells cells and limits.bytes bytes of it.

    DuckDB's memory limit covers its own buffers, not the Arrow copy of a result: a constant such as
    repeat('x', 8000000) is one value inside DuckDB but a copy per row once turned into Arrow, then
    Python, then JSON (800 MB and a 2.7 GB worker for 100 rows). So DuckDB first measures the text of
    each row (cheap: the length of a constant is taken once), and then only the rows that fit are
    fetched and made JSON-ready, under the same deadline as the query."""
    con = duckdb.connect(":memory:", config={"threads": 2, "memory_limit": limits.memory})
    timer = threading.Timer(limits.timeout, con.interrupt)
    started = time.monotonic()
    timed_out = f"The query took longer than {limits.timeout:g} s and was stopped"
    try:
        for name, source in sources.items():
            con.register(name, source)
        con.execute("SET enable_external_access = false")
        con.execute("SET enable_progress_bar = false")  # it would print to the web worker's stdout
        con.execute("SET lock_configuration = true")
        timer.start()
        try:
            columns = con.sql(f"SELECT * FROM ({select}) AS hhs_query").columns  # binds, does not run
            width = max(len(columns), 1)
            aliases = ", ".join(f"c{i}" for i in range(len(columns)))
            weight = " + ".join(f"coalesce(strlen(CAST(c{i} AS VARCHAR)), 4)" for i in range(len(columns)))
            sizes = con.execute(
                f"SELECT {weight or 0} FROM ({select}) AS hhs_query({aliases}) LIMIT {int(limits.rows) + 1}"
            ).fetchall()
            fitting, total = 0, 0
            for (size,) in sizes:
                total += size
                if total > limits.bytes:
                    break
                fitting += 1
            keep = min(len(sizes), limits.rows, limits.cells // width, fitting)
            if sizes and not keep:
                raise QueryRefused(limits.too_big(width))
            reader = con.sql(f"SELECT * FROM ({select}) AS hhs_query LIMIT {keep}").to_arrow_reader(256)
            from .readers import jsonable

            batches, rows, fetched = [], [], 0
            for batch in reader:
                fetched += batch.nbytes
                if time.monotonic() - started >= limits.timeout:
                    raise QueryTimeout(timed_out)
                if fetched > 8 * limits.bytes + 1_000_000:  # not the rows measured (a query without ORDER BY)
                    raise QueryRefused(limits.too_big(width))
                batches.append(batch)
                rows.extend(jsonable(pa.Table.from_batches([batch])))
            table = pa.Table.from_batches(batches, reader.schema)
        except duckdb.InterruptException as e:
            raise QueryTimeout(timed_out) from e
        except duckdb.OutOfMemoryException as e:
            raise QueryRefused(limits.out_of_memory()) from e
        except duckdb.Error as e:
            if time.monotonic() - started >= limits.timeout:
                raise QueryTimeout(timed_out) from e
            raise QueryRefused(f"The query failed: {str(e).splitlines()[0][:300]}") from e
    finally:
        timer.cancel()
        con.close()
    cut = limits.cut_by(keep, width, fitting) if len(sizes) > keep else None
    return Result(
        columns=columns,
        rows=rows,
        truncated=cut is not None,
        limit=cut,
        ms=int((time.monotonic() - started) * 1000),
        table=table,
    )


@dataclass
class ScanHints:
    """What a query needs of one table, for readers that would otherwise read it whole (Iceberg):
    the columns it names (None: all), conjuncts of its WHERE a scan may apply first (each one
    (column, operator, value); the query still applies its whole WHERE), and a row cap when reading
    more rows could not change the result."""

    columns: list[str] | None
    filters: list[tuple[str, str, Any]]
    limit: int | None


_COMPARISONS = {exp.EQ: "=", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
_FLIPPED = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}


def scan_hints(sql: str, table: str, max_rows: int) -> ScanHints:
    tree, _ = check(sql)
    table = table.lower()
    refs = [t for t in tree.find_all(exp.Table) if t.name.lower() == table]
    aliases = {table} | {t.alias.lower() for t in refs if t.alias}
    columns: set[str] | None = set()
    for node in tree.walk():
        if isinstance(node, exp.Star) and isinstance(node.parent, exp.Count):
            continue  # count(*) needs rows, not columns
        if isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
            qualifier = node.table.lower() if isinstance(node, exp.Column) else ""
            if not qualifier or qualifier in aliases:
                columns = None
                break
        if isinstance(node, exp.Column) and (not node.table or node.table.lower() in aliases):
            columns.add(node.name)
    selects = list(tree.find_all(exp.Select))
    simple = (
        isinstance(tree, exp.Select)
        and len(selects) == 1
        and len(refs) == 1
        and len(list(tree.find_all(exp.Table))) == 1
        and not tree.args.get("joins")
    )
    filters: list[tuple[str, str, Any]] = []
    pushed_all = True
    where = tree.args.get("where") if simple else None
    if where is not None:
        for conjunct in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
            found = _simple_filter(conjunct)
            if found:
                filters.append(found)
            else:
                pushed_all = False
    limit = None
    unordered = simple and not any(
        tree.args.get(k) for k in ("group", "order", "having", "distinct", "offset", "qualify", "windows")
    )
    if unordered and pushed_all and not any(isinstance(n, (exp.AggFunc, exp.Window)) for n in tree.walk()):
        limit = max_rows + 1
        own = tree.args.get("limit")
        if own is not None and isinstance(own.expression, exp.Literal) and own.expression.is_int:
            limit = min(limit, int(own.expression.name))
    return ScanHints(sorted(columns) if columns is not None else None, filters, limit)


def _simple_filter(node: exp.Expression) -> tuple[str, str, Any] | None:
    """`column op literal` (either way round), `column IN (literals)`, `column IS [NOT] NULL`."""
    if isinstance(node, exp.Paren):
        return _simple_filter(node.this)
    if isinstance(node, exp.Is) and isinstance(node.this, exp.Column) and isinstance(node.expression, exp.Null):
        return node.this.name, "is null", None
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
        inner = _simple_filter(node.this)
        return (inner[0], "not null", None) if inner else None
    if isinstance(node, exp.In) and isinstance(node.this, exp.Column) and node.args.get("expressions"):
        values = [_literal(v) for v in node.expressions]
        if all(v is not _NO for v in values):
            return node.this.name, "in", values
        return None
    op = _COMPARISONS.get(type(node))
    if op is None:
        return None
    left, right = node.this, node.expression
    if isinstance(left, exp.Column) and _literal(right) is not _NO:
        return left.name, op, _literal(right)
    if isinstance(right, exp.Column) and _literal(left) is not _NO:
        return right.name, _FLIPPED[op], _literal(left)
    return None


_NO = object()


def _literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        value = _literal(node.this)
        return -value if value is not _NO else _NO
    if not isinstance(node, exp.Literal):
        return _NO
    if node.is_string:
        return node.name
    try:
        return int(node.name)
    except ValueError:
        try:
            return float(node.name)
        except ValueError:
            return _NO
