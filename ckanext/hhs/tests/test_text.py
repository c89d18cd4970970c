"""The core's text guards (ckanext/hhs/text.py): the one CSV formula guard every export uses."""

from __future__ import annotations

import csv
import io

import pytest

from ckanext.hhs import text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x.example","y")', '\'=HYPERLINK("http://x.example","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "'-5"),  # text is text, even when it reads as a number
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-5, "-5"),
        (-0.5, "-0.5"),
        (12, "12"),
        (True, "True"),
    ],
)
def test_a_cell_that_would_run_as_a_formula_is_text(value, cell):
    assert text.csv_cell(value) == cell


def test_the_written_csv_reads_back_quoted():
    out = io.StringIO()
    csv.writer(out).writerow([text.csv_cell(v) for v in ("=1+1", -3, None, "ok")])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "-3", "", "ok"]
