"""Pages of the lakehouse: a table's preview, the steward's column-to-term confirmation, and the query page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

import ckan.plugins.toolkit as tk

__all__ = ["hhs_lakehouse"]

hhs_lakehouse = Blueprint("hhs_lakehouse", __name__)


def _context() -> dict[str, Any]:
    return {"user": tk.g.user, "ignore_auth": False}


def preview(id: str, resource_id: str):  # noqa: A002 (CKAN's route names)
    try:
        table = tk.get_action("hhs_lakehouse_table_show")(_context(), {"id": resource_id})
        result = tk.get_action("hhs_lakehouse_preview")(_context(), {"id": resource_id})
        error = None
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Table not found"))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ValidationError as e:
        result, error = None, "; ".join(m for msgs in e.error_dict.values() for m in msgs)
    package = tk.get_action("package_show")(_context(), {"id": id})
    return tk.render(
        "hhs_lakehouse/preview.html",
        {"pkg": package, "table": table, "result": result, "error": error, "resource_id": resource_id},
    )


def confirm(id: str, resource_id: str):  # noqa: A002
    form = tk.request.form
    data = {"id": resource_id, "column": form.get("column", ""), "term": form.get("term", "")}
    if form.get("remove"):
        data = {**data, "remove": True}
    try:
        tk.get_action("hhs_lakehouse_column_confirm")(_context(), data)
        tk.h.flash_success(tk._("Column {column} mapped").format(column=data["column"]))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ValidationError as e:
        tk.h.flash_error("; ".join(f"{k}: {m}" for k, msgs in e.error_dict.items() for m in msgs))
    return tk.redirect_to("resource.read", id=id, resource_id=resource_id)


def refresh(id: str, resource_id: str):  # noqa: A002
    try:
        tk.get_action("hhs_lakehouse_table_refresh")(_context(), {"id": resource_id})
        tk.h.flash_success(tk._("The table's metadata will be read again in a moment"))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except (tk.ObjectNotFound, tk.ValidationError):
        tk.h.flash_error(tk._("This resource has no registered lakehouse table"))
    return tk.redirect_to("resource.read", id=id, resource_id=resource_id)


def query():
    sql = tk.request.form.get("sql", "") if tk.request.method == "POST" else tk.request.args.get("sql", "")
    result, error = None, None
    if tk.request.method == "POST":
        try:
            result = tk.get_action("hhs_lakehouse_query")(_context(), {"sql": sql})
        except tk.NotAuthorized as e:
            return tk.abort(403, str(e))
        except tk.ValidationError as e:
            error = "; ".join(m for msgs in e.error_dict.values() for m in msgs)
    elif not tk.g.user:
        return tk.abort(403, tk._("Log in to query tables"))
    tables = tk.get_action("hhs_lakehouse_table_list")(_context(), {"limit": 200})
    return tk.render("hhs_lakehouse/query.html", {"sql": sql, "result": result, "error": error, "tables": tables})


hhs_lakehouse.add_url_rule("/dataset/<id>/resource/<resource_id>/table/preview", view_func=preview)
hhs_lakehouse.add_url_rule("/dataset/<id>/resource/<resource_id>/table/columns", view_func=confirm, methods=["POST"])
hhs_lakehouse.add_url_rule("/dataset/<id>/resource/<resource_id>/table/refresh", view_func=refresh, methods=["POST"])
hhs_lakehouse.add_url_rule("/lakehouse/query", view_func=query, methods=["GET", "POST"])
