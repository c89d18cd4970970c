"""The quality pages (add_routes below): the board's suggestions by division, accepting and
dismissing a suggestion from the dataset page, checking a dataset again, and the fix lists of the
divisions' catalogs as CSV and JSON. Every page calls the actions, whose auth decides who sees what."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import flask
from flask import Blueprint

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.hhs.text import csv_cell

from ..pages import call, context, page, refusal, user_name
from . import checks as quality
from . import model as qm
from .logic.action import FIXLIST_COLUMNS

PAGE = 50
KINDS = {
    "encoding": "Double-encoded text",
    "missing": "Missing field",
    "weak": "Weak field",
    "glossary": "Glossary term",
    "theme": "Health theme",
    "contact": "Contact point",
    "steward": "Data steward",
}


def quality_index():
    args = tk.request.args
    filters: dict[str, Any] = {}
    if args.get("division") and model.Group.get(args["division"][:200].replace("\x00", "")) is not None:
        filters["division"] = args["division"]
    if args.get("kind") in KINDS:
        filters["kind"] = args["kind"]
    filters["status"] = args["status"] if args.get("status") in qm.SUGGESTION_STATUSES else "open"
    page_no = page()
    summary = call("hhs_governance_quality_summary", {})
    listed = call("hhs_governance_suggestion_list", {**filters, "limit": PAGE, "offset": (page_no - 1) * PAGE})
    return tk.render(
        "hhs_governance/quality.html",
        {
            "summary": summary,
            "listed": listed,
            "filters": filters,
            "page": page_no,
            "pages": max(1, -(-listed["count"] // PAGE)),
            "kinds": KINDS,
            "statuses": qm.SUGGESTION_STATUSES,
            "may_run": _may("hhs_governance_quality_check", {}),
            "titles": dict(
                model.Session.query(model.Group.name, model.Group.title).filter(
                    model.Group.name.in_(list(summary["by_division"]))
                )
            ),
        },
    )


def _may(action: str, data: dict[str, Any]) -> bool:
    try:
        tk.check_access(action, context(), data)
    except tk.NotAuthorized:
        return False
    return True


def quality_run():
    call("hhs_governance_quality_check", {})
    tk.h.flash_success(tk._("The quality check is queued; the page shows its result when it has run."))
    return tk.h.redirect_to("hhs_governance.quality_index")


def quality_check_dataset(id: str):  # noqa: A002 (CKAN's route argument name)
    result = call("hhs_governance_quality_check", {"id": id, "wait": True})
    if result["status"] == "finished":
        tk.h.flash_success(tk._("The dataset was checked again."))
    else:
        tk.h.flash_error(tk._("The check failed: {error}").format(error=result["error"][:300]))
    return _back(id)


def quality_decide(id: str, verb: str):  # noqa: A002
    if verb not in ("accept", "dismiss"):
        return tk.abort(404)
    suggestion = model.Session.get(qm.Suggestion, id.replace("\x00", ""))
    try:  # a refusal is said on the page the button was on, never as a bare 403 or 400
        result = tk.get_action(f"hhs_governance_suggestion_{verb}")(context(), {"id": id})
    except (tk.NotAuthorized, tk.ValidationError) as e:
        if not user_name():
            return refusal(tk.NotAuthorized())  # to the login page
        msg = (
            "; ".join(str(m) for ms in e.error_dict.values() for m in ms)
            if isinstance(e, tk.ValidationError)
            else str(e)
        )
        tk.h.flash_error(msg or tk._("You may not decide on this suggestion."))
        return _back(suggestion.package_id if suggestion else "")
    except tk.ObjectNotFound as e:
        return refusal(e, not_found=tk._("Suggestion not found"))
    label = quality.field_label(result["field"])
    if verb == "dismiss":
        tk.h.flash_success(tk._("Suggestion for {field} dismissed.").format(field=label))
    elif result["outcome"] == "fix_list":
        division = suggestion.owner_org and model.Group.get(suggestion.owner_org)
        tk.h.flash_success(
            tk._(
                "Added to the fix list of {division}, the publisher of the source catalog: {field} is not changed "
                "here; once the division fixes it in its catalog, the next harvest brings it."
            ).format(field=label, division=(division.title or division.name) if division else tk._("its division"))
        )
    else:
        tk.h.flash_success(
            tk._("{field} updated on the dataset; the change is in its activity stream.").format(field=label)
        )
    return _back(suggestion.package_id if suggestion else "")


def _back(package_id: str):
    pkg = model.Package.get(package_id) if package_id else None
    if tk.request.form.get("next") == "quality":
        return tk.h.redirect_to("hhs_governance.quality_index")
    return tk.h.redirect_to("dataset.read", id=pkg.name) if pkg else tk.h.redirect_to("hhs_governance.quality_index")


def quality_fixlist(division: str, fmt: str):
    if fmt not in ("csv", "json"):
        return tk.abort(404)
    data: dict[str, Any] = {"division": division}
    if tk.request.args.get("source"):
        data["source"] = tk.request.args["source"]
    result = call("hhs_governance_fixlist_show", data)
    rows = [{k: r[k] for k in FIXLIST_COLUMNS} for r in result["rows"]]
    filename = f"fix-list-{result['division']}.{fmt}"
    if fmt == "json":
        body, mimetype = json.dumps({"division": result["division"], "rows": rows}, indent=2), "application/json"
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIXLIST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
        body, mimetype = out.getvalue(), "text/csv"
    return flask.Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def add_routes(blueprint: Blueprint) -> None:
    """These pages on the governance blueprint (views.py): endpoint `hhs_governance.<function name>`."""
    blueprint.add_url_rule("/quality", view_func=quality_index)
    blueprint.add_url_rule("/quality/run", view_func=quality_run, methods=["POST"])
    blueprint.add_url_rule("/quality/dataset/<id>/check", view_func=quality_check_dataset, methods=["POST"])
    blueprint.add_url_rule("/quality/suggestion/<id>/<verb>", view_func=quality_decide, methods=["POST"])
    blueprint.add_url_rule("/quality/fixlist/<division>.<fmt>", view_func=quality_fixlist)
