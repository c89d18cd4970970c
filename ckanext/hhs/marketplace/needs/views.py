"""Data need pages: the list and the form to post one, a need, answering and closing it."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from .. import pages


def needs() -> Any:
    if (redirect := pages.login_first()) is not None:
        return redirect
    form: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if tk.request.method == "POST":
        form = dict(tk.request.form)
        data = {k: form[k] for k in ("title", "description", "why", "needed_by") if form.get(k)}
        data["asked"] = tk.request.form.getlist("asked")
        try:
            need = tk.get_action("hhs_marketplace_need_create")(pages.context(), data)
            tk.h.flash_success(tk._("Your data need was posted."))
            return tk.h.redirect_to("hhs_marketplace.need_read", id=need["id"])
        except tk.ValidationError as e:
            errors = pages.errors(e)
    status = tk.request.args.get("status", "open")
    found = pages.call("hhs_marketplace_need_list", {"status": status} if status in ("open", "closed") else {})
    divisions = [
        {"name": g.name, "title": g.title or g.name}
        for g in model.Session.query(model.Group)
        .filter_by(is_organization=True, state="active")
        .order_by(model.Group.title)
    ]
    return tk.render(
        "hhs_marketplace/needs.html",
        {"found": found, "status": status, "form": form, "errors": errors, "divisions": divisions},
    )


def need_read(id: str) -> Any:  # noqa: A002
    if (redirect := pages.login_first()) is not None:
        return redirect
    need = pages.call("hhs_marketplace_need_show", {"id": id}, "Data need")
    return tk.render(
        "hhs_marketplace/need.html",
        {"need": need, "my_divisions": pages.my_divisions(), "is_poster": need["posted_by"] == pages.user_name()},
    )


def need_step(id: str, step: str) -> Any:  # noqa: A002
    if (redirect := pages.login_first()) is not None:
        return redirect
    form = tk.request.form
    try:
        if step == "answer":
            data = {
                "id": id,
                "kind": form.get("kind", ""),
                "datasets": [d.strip() for d in form.get("datasets", "").split(",") if d.strip()],
                **{k: form[k] for k in ("division", "note", "publish_by") if form.get(k)},
            }
            tk.get_action("hhs_marketplace_need_answer")(pages.context(), data)
            tk.h.flash_success(tk._("Your answer was added."))
        else:
            tk.get_action("hhs_marketplace_need_close")(
                pages.context(), {"id": id, **({"message": form["message"]} if form.get("message") else {})}
            )
            tk.h.flash_success(tk._("The need is closed."))
    except tk.ValidationError as e:
        pages.flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Data need not found"))
    return tk.h.redirect_to("hhs_marketplace.need_read", id=id)
