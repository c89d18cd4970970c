"""What every marketplace page does: the caller and their context, an action called for a page (its
errors as 404, 403 or 400), the page number asked for, signing in first, errors as text, and the
caller's divisions."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

from . import permissions

MAX_PAGE = 500  # of 20 results (products/views.py): past 10,000, Solr's deep paging costs more than any reader goes


def user_name() -> str:
    user = tk.current_user
    return user.name if user and user.is_authenticated else ""


def context() -> dict[str, Any]:
    return {"user": user_name()}


def call(action: str, data: dict[str, Any], what: str = "Page") -> Any:
    try:
        return tk.get_action(action)(context(), data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("{what} not found").format(what=tk._(what)))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ValidationError as e:
        if set(e.error_dict) == {"id"}:  # an address no object can have
            return tk.abort(404, tk._("{what} not found").format(what=tk._(what)))
        return tk.abort(400, "; ".join(f"{k}: {m}" for k, m in errors(e).items()))


def page_number() -> int:
    """The page number asked for: anything but a small positive number is the first page."""
    try:
        page = int(tk.request.args.get("page", "1"))
    except ValueError:
        return 1
    return page if 1 <= page <= MAX_PAGE else 1


def login_first() -> Any:
    if not user_name():
        return tk.h.redirect_to("user.login", came_from=tk.request.full_path)
    return None


def errors(e: tk.ValidationError) -> dict[str, str]:
    return {k: "; ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in e.error_dict.items()}


def flash_errors(e: tk.ValidationError) -> None:
    tk.h.flash_error("; ".join(f"{k}: {m}" for k, m in errors(e).items()))


def my_divisions(least: int = 1) -> list[dict[str, str]]:
    ids = permissions.division_ids(user_name(), least=least)
    if not ids and tk.current_user and getattr(tk.current_user, "sysadmin", False):
        ids = [g.id for g in model.Session.query(model.Group).filter_by(is_organization=True, state="active")]
    rows = model.Session.query(model.Group).filter(model.Group.id.in_(ids or [""])).order_by(model.Group.title)
    return [{"name": g.name, "title": g.title or g.name} for g in rows]
