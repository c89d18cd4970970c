"""The duplicates page of the governance dashboard (routes on views.blueprint): likely duplicate pairs
across divisions side by side with the signals that matched, the Board's decision buttons, and the scan's
status and progress. Every page calls the actions, whose auth keeps it to the Board."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import permissions
from .model.duplicates import PAIR_STATUSES
from .views import blueprint

PAGE = 10
MAX_PAGE = 1000
SIGNAL_LABELS = {
    "identifier": "Same identifier",
    "landing_page": "Same landing page",
    "download_url": "Same download URL",
    "data_dictionary": "Same data dictionary",
    "text": "Similar title and description",
    "columns": "Similar column names",
}


def _user_name() -> str:
    user = tk.current_user
    return user.name if user and user.is_authenticated else ""


def _call(action: str, data: dict[str, Any]) -> Any:
    try:
        return tk.get_action(action)({"user": _user_name()}, data)
    except tk.NotAuthorized as e:
        if not _user_name():
            return tk.abort(403, tk._("Duplicate pairs are for the Data Governance Board and sysadmins"))
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Not found"))


def _page() -> int:
    try:
        return min(max(int(tk.request.args.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        return 1


@blueprint.route("/duplicates")
def duplicates():
    status = tk.request.args.get("status", "open")
    status = status if status in (*PAIR_STATUSES, "all") else "open"
    page = _page()
    filters = {} if status == "all" else {"status": status}
    summary = _call("hhs_governance_duplicate_summary", {})
    found = _call("hhs_governance_duplicate_list", {**filters, "limit": PAGE, "offset": (page - 1) * PAGE})
    return tk.render(
        "hhs_governance/duplicates.html",
        {
            "summary": summary,
            "found": found,
            "status": status,
            "page": page,
            "pages": max(1, -(-found["count"] // PAGE)),
            "signal_labels": SIGNAL_LABELS,
            "may_decide": permissions.may_decide(model.User.get(_user_name()) if _user_name() else None),
        },
    )


@blueprint.route("/duplicates/<pair_id>/decide", methods=["POST"])
def duplicate_decide(pair_id: str):
    form = tk.request.form
    data = {"id": pair_id, "decision": form.get("decision", ""), "note": form.get("note", "")}
    if form.get("authoritative"):
        data["authoritative"] = form["authoritative"]
    try:
        pair = tk.get_action("hhs_governance_duplicate_decide")({"user": _user_name()}, data)
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only editors of the Data Governance Board and sysadmins decide this"))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Not found"))
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
    return tk.h.redirect_to("hhs_governance.duplicates", status=tk.request.args.get("status", "open"))


@blueprint.route("/duplicates/scan", methods=["POST"])
def duplicate_scan():
    _call("hhs_governance_duplicate_scan", {"full": tk.asbool(tk.request.form.get("full", False))})
    tk.h.flash_success(tk._("Duplicate scan queued; its progress shows here."))
    return tk.h.redirect_to("hhs_governance.duplicates")
