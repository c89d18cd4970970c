"""The gaps pages of the governance dashboard (add_routes below): the list with filters and
overdue highlighting, its CSV download, the new and edit forms, and a gap's page with its comments,
status change and history. Every page calls the actions, whose auth decides who sees what."""

from __future__ import annotations

import contextlib
import csv
import io
from typing import Any

import flask
from flask import Blueprint

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs.text import csv_cell

from ..pages import call, context, divisions, errors, page, refusal
from . import model as gm

PAGE = 25
SEVERITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "closed": "Closed"}
_FILTERS = ("status", "severity", "division", "q")
_FORM_FIELDS = ("title", "description", "division", "severity", "due_date")


def _filters() -> dict[str, Any]:
    """The list's filters from the query string; values the action would refuse are dropped."""
    args = tk.request.args
    out: dict[str, Any] = {}
    if args.get("status") in (*gm.GAP_STATUSES, "not_closed"):
        out["status"] = args["status"]
    if args.get("severity") in gm.GAP_SEVERITIES:
        out["severity"] = args["severity"]
    division = args.get("division", "")
    if division and "\x00" not in division and model.Group.get(division) is not None:
        out["division"] = division
    if args.get("q", "").strip():
        out["q"] = args["q"].strip()[:200]
    if args.get("overdue") in ("1", "true", "on"):
        out["overdue"] = True
    return out


def _labels() -> dict[str, Any]:
    return {
        "severity_labels": {k: tk._(v) for k, v in SEVERITY_LABELS.items()},
        "status_labels": {k: tk._(v) for k, v in STATUS_LABELS.items()},
    }


def gaps() -> Any:
    filters = _filters()
    page_no = page()
    found = call("hhs_governance_gap_list", {**filters, "limit": PAGE, "offset": (page_no - 1) * PAGE})
    summary = None
    with contextlib.suppress(tk.NotAuthorized):  # a division admin not on the Board: no HHS-wide counts
        summary = tk.get_action("hhs_governance_gap_summary")(context(), {})
    may_create = tk.h.check_access("hhs_governance_gap_create")
    return tk.render(
        "hhs_governance/gaps.html",
        {
            "found": found,
            "filters": filters,
            "summary": summary,
            "page": page_no,
            "pages": max(1, -(-found["count"] // PAGE)),
            "divisions": divisions(),
            "may_create": may_create,
            **_labels(),
        },
    )


def gaps_csv() -> Any:
    """The list as filtered, every page of it, as CSV (what the viewer may see only)."""
    filters = _filters()
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        found = call("hhs_governance_gap_list", {**filters, "limit": 500, "offset": offset})
        rows.extend(found["results"])
        offset += 500
        if offset >= found["count"] or not found["results"]:
            break
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "title", "division", "severity", "status", "due_date", "overdue", "datasets", "terms", "created"]
    )
    for g in rows:
        cells = [
            g["id"],
            g["title"],
            g["division"]["name"] if g["division"] else "",
            g["severity"],
            g["status"],
            g["due_date"] or "",
            "yes" if g["overdue"] else "no",
            " ".join(d["name"] for d in g["datasets"]),
            " ".join(t["slug"] for t in g["terms"]),
            g["created"],
        ]
        writer.writerow([csv_cell(cell) for cell in cells])  # every cell: a name or slug may start with "-"
    response = flask.make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="governance-gaps.csv"'
    return response


def _form_data(form: Any) -> dict[str, Any]:
    data = {k: form.get(k, "") for k in _FORM_FIELDS}
    data["datasets"] = form.get("datasets", "")
    data["terms"] = form.get("terms", "")
    return data


def gap_new() -> Any:
    try:
        tk.check_access("hhs_governance_gap_create", context())
    except tk.NotAuthorized as e:
        return refusal(e)
    form: dict[str, Any] = {"severity": "medium", "division": tk.request.args.get("division", "")}
    problems: dict[str, str] = {}
    if tk.request.method == "POST":
        form = _form_data(tk.request.form)
        data = {k: v for k, v in form.items() if v not in ("", None)}
        try:
            gap = tk.get_action("hhs_governance_gap_create")(context(), data)
            tk.h.flash_success(tk._("The gap was recorded."))
            return tk.h.redirect_to("hhs_governance.gap_read", id=gap["id"])
        except tk.ValidationError as e:
            problems = errors(e)
    return tk.render(
        "hhs_governance/gap_form.html",
        {"form": form, "errors": problems, "gap": None, "divisions": divisions(), **_labels()},
    )


def gap_edit(id: str) -> Any:  # noqa: A002
    gap = call("hhs_governance_gap_show", {"id": id}, not_found=tk._("Gap not found"))
    if not gap["may"]["change"]:
        return tk.abort(403, tk._("Only editors of the Data Governance Board change gaps"))
    problems: dict[str, str] = {}
    if tk.request.method == "POST":
        form = _form_data(tk.request.form)
        try:
            tk.get_action("hhs_governance_gap_update")(context(), {"id": gap["id"], **form})
            tk.h.flash_success(tk._("The gap was saved."))
            return tk.h.redirect_to("hhs_governance.gap_read", id=gap["id"])
        except tk.ValidationError as e:
            problems = errors(e)
    else:
        form = {
            "title": gap["title"],
            "description": gap["description"],
            "division": gap["division"]["name"] if gap["division"] else "",
            "severity": gap["severity"],
            "due_date": gap["due_date"] or "",
            "datasets": ", ".join(d["name"] for d in gap["datasets"]),
            "terms": ", ".join(t["slug"] for t in gap["terms"]),
        }
    return tk.render(
        "hhs_governance/gap_form.html",
        {"form": form, "errors": problems, "gap": gap, "divisions": divisions(), **_labels()},
    )


def gap_read(id: str) -> Any:  # noqa: A002
    gap = call("hhs_governance_gap_show", {"id": id}, not_found=tk._("Gap not found"))
    if "hhs_glossary" in flask.current_app.blueprints:
        for term in gap["terms"]:
            term["url"] = tk.h.url_for("hhs_glossary.read", slug=term["slug"])
    return tk.render("hhs_governance/gap.html", {"gap": gap, **_labels()})


def gap_step(id: str, step: str) -> Any:  # noqa: A002
    form = tk.request.form
    try:
        if step == "comment":
            tk.get_action("hhs_governance_gap_comment_create")(context(), {"id": id, "text": form.get("text", "")})
            tk.h.flash_success(tk._("Your comment was added."))
        else:
            data = {"id": id, "status": form.get("status", "")}
            if form.get("message", "").strip():
                data["message"] = form["message"]
            gap = tk.get_action("hhs_governance_gap_update")(context(), data)
            tk.h.flash_success(
                tk._("The gap is now {status}.").format(status=tk._(STATUS_LABELS[gap["status"]]).lower())
            )
    except tk.ValidationError as e:
        for field, message in errors(e).items():
            label = {"text": tk._("Comment"), "message": tk._("Note"), "status": tk._("Status")}.get(field, field)
            tk.h.flash_error(f"{label}: {message}")
    except (tk.NotAuthorized, tk.ObjectNotFound) as e:
        return refusal(e, not_found=tk._("Gap not found"))
    return tk.h.redirect_to("hhs_governance.gap_read", id=id)


def add_routes(blueprint: Blueprint) -> None:
    """These pages on the governance blueprint (views.py): endpoint `hhs_governance.<function name>`."""
    blueprint.add_url_rule("/gaps", view_func=gaps)
    blueprint.add_url_rule("/gaps.csv", view_func=gaps_csv)
    blueprint.add_url_rule("/gaps/new", view_func=gap_new, methods=["GET", "POST"])
    blueprint.add_url_rule("/gaps/<id>/edit", view_func=gap_edit, methods=["GET", "POST"])
    blueprint.add_url_rule("/gaps/<id>", view_func=gap_read)
    blueprint.add_url_rule("/gaps/<id>/<any(comment, status):step>", view_func=gap_step, methods=["POST"])
