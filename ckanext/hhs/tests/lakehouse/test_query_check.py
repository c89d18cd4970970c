"""The sqlglot check of a query names every table it reads: a CTE's name is exempt only where that CTE
is in scope (issue #23: a CTE defined inside a subquery exempted its name everywhere)."""

from __future__ import annotations

import pytest

from ckanext.hhs.lakehouse import query


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        # A CTE inside a subquery does not hide the table of the same name outside it.
        ("select * from s, (with s as (select 1) select * from s) x", {"s"}),
        (
            'select * from "/etc/passwd", (with "/etc/passwd" as (select 1) select * from "/etc/passwd") y',
            {"/etc/passwd"},
        ),
        ("select * from (with x as (select 1) select * from x) y, t", {"t"}),
        # In scope: the query's own WITH, from its body, its subqueries and later CTEs.
        ("with a as (select * from t), b as (select * from a) select * from b", {"t"}),
        ("with x as (select 1) select * from (select * from x) s, t", {"t"}),
        ("with a as (select 1) select * from a union select * from a, t", {"t"}),
        ("with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select * from r, t", {"t"}),
        # Not in scope: a CTE named before it is defined, or by itself without RECURSIVE, is a table.
        ("with b as (select * from a), a as (select * from t) select * from b", {"a", "t"}),
        ("with a as (select * from a) select * from a", {"a"}),
    ],
)
def test_cte_names_are_scoped(sql, tables):
    assert query.check(sql)[1] == tables


def test_a_query_of_ctes_only_reads_no_table():
    with pytest.raises(query.QueryRefused, match="reads no registered table"):
        query.check("select * from (with s as (select 1) select * from s) x")
