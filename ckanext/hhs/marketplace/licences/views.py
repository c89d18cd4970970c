"""Licence pages: "check before you buy", a licence, its form, and divisions asking to be covered."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from .. import pages, permissions


def licences() -> Any:
    if (redirect := pages.login_first()) is not None:
        return redirect
    args = tk.request.args
    filters = {k: args[k] for k in ("q", "vendor", "division") if args.get(k)}
    if args.get("current"):
        filters["current"] = True
    found = pages.call("hhs_marketplace_licence_search", {**filters, "limit": 100})
    return tk.render(
        "hhs_marketplace/licences.html",
        {"found": found, "filters": filters, "my_divisions": pages.my_divisions(least=2)},
    )


def _licence_form(licence_id: str | None) -> Any:
    if (redirect := pages.login_first()) is not None:
        return redirect
    form: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if tk.request.method == "POST":
        form = dict(tk.request.form)
        data = {k: v for k, v in form.items() if k not in {"_csrf_token", "covered"}}
        # Empty fields are left out of a new licence; on an edit, empty text clears a field (numbers stay).
        data = {k: v for k, v in data.items() if v or (licence_id and k not in ("seats", "cost"))}
        data["covered"] = [c.strip() for c in tk.request.form.get("covered", "").split(",") if c.strip()]
        action = "hhs_marketplace_licence_update" if licence_id else "hhs_marketplace_licence_create"
        try:
            result = tk.get_action(action)(pages.context(), {**data, **({"id": licence_id} if licence_id else {})})
            tk.h.flash_success(tk._("Licence saved."))
            return tk.h.redirect_to("hhs_marketplace.licence_read", id=result["id"])
        except tk.ValidationError as e:
            errors = pages.errors(e)
        except tk.NotAuthorized as e:
            return tk.abort(403, str(e))
        except tk.ObjectNotFound:
            return tk.abort(404, tk._("Licence not found"))
    elif licence_id:
        licence = pages.call("hhs_marketplace_licence_show", {"id": licence_id}, "Licence")
        try:
            tk.check_access("hhs_marketplace_licence_update", pages.context(), {"id": licence_id})
        except tk.NotAuthorized as e:
            return tk.abort(403, str(e))
        form = {
            **{k: v for k, v in licence.items() if isinstance(v, str | int) and v is not True and v is not False},
            "holder": licence["holder"]["name"] if licence["holder"] else "",
            "covered": ", ".join(o["name"] for o in licence["covered"][1:]),
            "data_product": (licence["data_product"] or {}).get("name", ""),
            "cost": licence["cost"] or "",
            "seats": licence["seats"] or "",
        }
    return tk.render(
        "hhs_marketplace/licence_form.html",
        {"form": form, "errors": errors, "divisions": pages.my_divisions(least=2), "licence_id": licence_id},
    )


def licence_new() -> Any:
    return _licence_form(None)


def licence_edit(id: str) -> Any:  # noqa: A002
    return _licence_form(id)


def licence_read(id: str) -> Any:  # noqa: A002
    if (redirect := pages.login_first()) is not None:
        return redirect
    licence = pages.call("hhs_marketplace_licence_show", {"id": id}, "Licence")
    holder = permissions.is_steward(licence["holder"]["id"] if licence["holder"] else None, pages.user_name())
    covered = {o["id"] for o in licence["covered"]}
    may_ask = [d for d in pages.my_divisions() if model.Group.get(d["name"]).id not in covered]
    return tk.render("hhs_marketplace/licence.html", {"licence": licence, "holder": holder, "may_ask": may_ask})


def licence_ask(id: str) -> Any:  # noqa: A002
    if (redirect := pages.login_first()) is not None:
        return redirect
    try:
        tk.get_action("hhs_marketplace_licence_request_create")(
            pages.context(),
            {
                "licence": id,
                "division": tk.request.form.get("division", ""),
                "reason": tk.request.form.get("reason", ""),
            },
        )
        tk.h.flash_success(tk._("Your request was sent to the licence holder."))
    except tk.ValidationError as e:
        pages.flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    return tk.h.redirect_to("hhs_marketplace.licence_read", id=id)


def licence_decide(id: str, rid: str, step: str) -> Any:  # noqa: A002
    if (redirect := pages.login_first()) is not None:
        return redirect
    data = {"id": rid, **({"message": tk.request.form["message"]} if tk.request.form.get("message") else {})}
    try:
        tk.get_action(f"hhs_marketplace_licence_request_{step}")(pages.context(), data)
        tk.h.flash_success(tk._("Done: {step}.").format(step=step))
    except tk.ValidationError as e:
        pages.flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Licence request not found"))
    return tk.h.redirect_to("hhs_marketplace.licence_read", id=id)
