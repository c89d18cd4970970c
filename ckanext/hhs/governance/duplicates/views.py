"""The duplicates page of the governance dashboard (add_routes below): likely duplicate pairs
across divisions side by side with the signals that matched, the Board's decision buttons, and the scan's
status and progress. Every page calls the actions, whose auth keeps it to the Board."""

from __future__ import annotations

from flask import Blueprint

import ckan.plugins.toolkit as tk

from .. import permissions
from ..pages import call, context, division_arg, divisions, page, refusal
from .model import PAIR_STATUSES

PAGE = 10
SIGNAL_LABELS = {
    "identifier": "Same identifier",
    "landing_page": "Same landing page",
    "download_url": "Same download URL",
    "data_dictionary": "Same data dictionary",
    "text": "Similar title and description",
    "columns": "Similar column names",
}


def duplicates():
    status = tk.request.args.get("status", "open")
    status = status if status in (*PAIR_STATUSES, "all") else "open"
    page_no = page()
    division = division_arg()
    filters = {} if status == "all" else {"status": status}
    if division:
        filters["division"] = division
    summary = call("hhs_governance_duplicate_summary", {})
    found = call("hhs_governance_duplicate_list", {**filters, "limit": PAGE, "offset": (page_no - 1) * PAGE})
    return tk.render(
        "hhs_governance/duplicates.html",
        {
            "summary": summary,
            "found": found,
            "status": status,
            "division": division,
            "divisions": divisions(),
            "page": page_no,
            "pages": max(1, -(-found["count"] // PAGE)),
            "signal_labels": SIGNAL_LABELS,
            "may_decide": permissions.may_decide(permissions.user_of(context())),
        },
    )


def duplicate_decide(pair_id: str):
    form = tk.request.form
    data = {"id": pair_id, "decision": form.get("decision", ""), "note": form.get("note", "")}
    if form.get("authoritative"):
        data["authoritative"] = form["authoritative"]
    try:
        pair = tk.get_action("hhs_governance_duplicate_decide")(context(), data)
    except (tk.NotAuthorized, tk.ObjectNotFound) as e:
        return refusal(e)
    except tk.ValidationError as e:
        tk.h.flash_error("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in e.error_dict.items()))
        return tk.h.redirect_to("hhs_governance.duplicates")
    titles = {d["id"]: d.get("title") or d["id"] for d in pair["datasets"]}
    if pair["status"] == "duplicate":
        tk.h.flash_success(
            tk._('Marked as duplicates; "{title}" is the authoritative source.').format(
                title=titles[pair["authoritative"]]
            )
        )
    else:
        tk.h.flash_success(tk._("Marked as distinct datasets; later scans will not reopen the pair."))
    back = {"status": tk.request.args.get("status", "open")}
    if division_arg():
        back["division"] = division_arg()
    return tk.h.redirect_to("hhs_governance.duplicates", **back)


def duplicate_scan():
    call("hhs_governance_duplicate_scan", {"full": tk.request.form.get("full") in ("1", "true", "on")})
    tk.h.flash_success(tk._("Duplicate scan queued; its progress shows here."))
    return tk.h.redirect_to("hhs_governance.duplicates")


def add_routes(blueprint: Blueprint) -> None:
    """These pages on the governance blueprint (views.py): endpoint `hhs_governance.<function name>`."""
    blueprint.add_url_rule("/duplicates", view_func=duplicates)
    blueprint.add_url_rule("/duplicates/<pair_id>/decide", view_func=duplicate_decide, methods=["POST"])
    blueprint.add_url_rule("/duplicates/scan", view_func=duplicate_scan, methods=["POST"])
