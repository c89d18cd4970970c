"""What every governance page does: run an action as the visitor (`call`), answer its refusal as CKAN
does, and read the division filter and page number of the query string. The pages themselves are in
each part's views.py; views.py puts them on the one blueprint."""

from __future__ import annotations

from typing import Any

import flask

import ckan.model as model
import ckan.plugins.toolkit as tk

MAX_PAGE = 1000


def user_name() -> str:
    user = tk.current_user
    return user.name if user and user.is_authenticated else ""


def context() -> dict[str, Any]:
    return {"user": user_name()}


def errors(e: tk.ValidationError) -> dict[str, str]:
    """A validation error's messages by field, one string each."""
    return {k: "; ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in e.error_dict.items()}


def call(action: str, data: dict[str, Any], not_found: str | None = None, forbidden: str | None = None) -> Any:
    """Run an action as the visitor; a refusal gets `refusal`'s answer."""
    try:
        return tk.get_action(action)(context(), data)
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError) as e:
        return refusal(e, not_found, forbidden)


def refusal(e: Exception, not_found: str | None = None, forbidden: str | None = None) -> Any:
    """CKAN's usual answer to an action's refusal: anonymous visitors go to the login page and come
    back; others get 403 with the reason (or `forbidden`); an unknown object 404 (or `not_found`); bad
    input 400 naming the fields."""
    if isinstance(e, tk.ObjectNotFound):
        return tk.abort(404, not_found or str(e) or tk._("Not found"))
    if isinstance(e, tk.NotAuthorized):
        if not user_name():
            flask.abort(tk.h.redirect_to("user.login", came_from=tk.request.full_path))
        return tk.abort(403, forbidden or str(e))
    assert isinstance(e, tk.ValidationError)
    return tk.abort(400, "; ".join(f"{k}: {m}" for k, m in errors(e).items()))


def divisions() -> list[dict[str, str]]:
    """Every active division (name and full name), for the pages' division filters."""
    rows = (
        model.Session.query(model.Group.name, model.Group.title)
        .filter_by(is_organization=True, state="active")
        .order_by(model.Group.title)
    )
    return [{"name": name, "title": title or name} for name, title in rows]


def division_arg() -> str | None:
    """The query string's `division` when it names an active division, else None."""
    name = tk.request.args.get("division", "")
    if not name or "\x00" in name or len(name) > 100:
        return None
    group = model.Group.get(name)
    return group.name if group is not None and group.is_organization and group.state == "active" else None


def page() -> int:
    """The `page` of the query string, 1 to MAX_PAGE (1 when it is not a number)."""
    try:
        return min(max(int(tk.request.args.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        return 1
