"""Data-use record pages: a record that prints as the agreement, and the Board's CSV of every version."""

from __future__ import annotations

import csv
import io
from typing import Any

import flask

import ckan.plugins.toolkit as tk

from ckanext.hhs.text import csv_cell

from .. import pages


def record_read(id: str) -> Any:  # noqa: A002
    """The data-use record, a page that prints as the agreement (print CSS)."""
    if (redirect := pages.login_first()) is not None:
        return redirect
    data: dict[str, Any] = {"id": id}
    if tk.request.args.get("version"):
        data["version"] = tk.request.args["version"]
    record = pages.call("hhs_marketplace_use_record_show", data, "Data-use record")
    return tk.render("hhs_marketplace/record.html", {"record": record})


def records_csv() -> Any:
    """Every data-use record version for the Data Governance Board, as CSV."""
    if (redirect := pages.login_first()) is not None:
        return redirect
    first = pages.call("hhs_marketplace_use_record_export", {"limit": 1000})
    columns = [
        "request", "version", "change", "recorded", "recorded_by", "product", "division", "requester",
        "requester_email", "requester_divisions", "purpose", "project", "terms", "components", "status",
        "decisions", "grant_start", "grant_end", "access_ended",
    ]  # fmt: skip
    context = pages.context()

    def rows():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        page, offset = first, 0
        while True:
            for row in page["results"]:
                writer.writerow([csv_cell(row[c]) for c in columns])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            offset += len(page["results"])
            if not page["results"] or offset >= page["count"]:
                return
            page = tk.get_action("hhs_marketplace_use_record_export")(dict(context), {"limit": 1000, "offset": offset})

    return flask.Response(
        flask.stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=data-use-records.csv"},
    )
