"""Access request pages: the requester's list and the stewards' queue, a request and its steps."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from .. import pages, permissions

REQUEST_STEPS = ("approve", "reject", "ask_info", "respond", "withdraw", "extend", "revoke")
DECISIONS = ("approve", "ask_info", "reject")


def requests() -> Any:
    if (redirect := pages.login_first()) is not None:
        return redirect
    status = tk.request.args.get("status") or None
    filters = {"status": status} if status else {}
    mine = pages.call("hhs_marketplace_request_list", {"scope": "mine", **filters})
    decides = bool(permissions.division_ids(pages.user_name(), least=2)) or permissions.is_second_level(
        None, pages.user_name()
    )
    queue = pages.call("hhs_marketplace_request_list", {"scope": "queue", **filters}) if decides else None
    return tk.render("hhs_marketplace/requests.html", {"mine": mine, "queue": queue, "status": status})


def request_read(id: str) -> Any:  # noqa: A002 (CKAN's route parameter name)
    if (redirect := pages.login_first()) is not None:
        return redirect
    request = pages.call("hhs_marketplace_request_show", {"id": id}, "Access request")
    user = pages.user_name()
    allowed = {}
    for step in REQUEST_STEPS:
        try:
            tk.check_access(f"hhs_marketplace_request_{step}", pages.context(), {"id": id})
            allowed[step] = True
        except tk.NotAuthorized:
            allowed[step] = False
    return tk.render("hhs_marketplace/request.html", {"request_": request, "allowed": allowed, "user": user})


def request_decide(id: str) -> Any:  # noqa: A002
    """The stewards' one decision form: the decision as a radio, one message."""
    if (redirect := pages.login_first()) is not None:
        return redirect
    decision = tk.request.form.get("decision", "")
    if decision not in DECISIONS:
        tk.h.flash_error(tk._("decision: choose approve, ask for more information or reject"))
        return tk.h.redirect_to("hhs_marketplace.request_read", id=id)
    return request_step(id, decision)


def request_step(id: str, step: str) -> Any:  # noqa: A002
    if (redirect := pages.login_first()) is not None:
        return redirect
    data = {"id": id}
    for field in ("message", "end_date"):
        if tk.request.form.get(field):
            data[field] = tk.request.form[field]
    try:
        tk.get_action(f"hhs_marketplace_request_{step}")(pages.context(), data)
        tk.h.flash_success(tk._("Done: {step}.").format(step=step.replace("_", " ")))
    except tk.ValidationError as e:
        pages.flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Access request not found"))
    return tk.h.redirect_to("hhs_marketplace.request_read", id=id)
