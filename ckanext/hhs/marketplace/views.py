"""Marketplace pages: product search and product pages with "Request access", requests and the
stewards' queue, third-party licences ("check before you buy"), data needs, and the ROI figures."""

from __future__ import annotations

import csv
import io
from typing import Any

import flask

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.search import SearchError, SearchQueryError

from ckanext.hhs.text import csv_cell

from . import permissions

marketplace = flask.Blueprint("hhs_marketplace", __name__)
PAGE = 20
MAX_PAGE = 500  # 10,000 results: past that, Solr's deep paging costs more than any reader goes
FACETS = {
    "organization": "Owner division",
    "product_type": "Product type",
    "access_terms": "Access terms",
    "cost_model": "Cost model",
    "vocab_health_theme": "Health theme",
    "vocab_glossary_terms": "Glossary term",
    "product_status": "Status",
}
SORTS = {
    "relevance": "score desc, title_string asc",
    "title": "title_string asc",
    "newest": "metadata_modified desc",
}
REQUEST_STEPS = ("approve", "reject", "ask_info", "respond", "withdraw", "extend", "revoke")


def _quoted(value: str) -> str:
    """A facet value inside a quoted Solr term: quotes and backslashes would end or escape it."""
    return value.replace("\\", "").replace('"', "")


def _user_name() -> str:
    user = tk.current_user
    return user.name if user and user.is_authenticated else ""


def _context() -> dict[str, Any]:
    return {"user": _user_name()}


def _call(action: str, data: dict[str, Any], what: str = "Page") -> Any:
    try:
        return tk.get_action(action)(_context(), data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("{what} not found").format(what=tk._(what)))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ValidationError as e:
        if set(e.error_dict) == {"id"}:  # an address no object can have
            return tk.abort(404, tk._("{what} not found").format(what=tk._(what)))
        return tk.abort(400, "; ".join(f"{k}: {m}" for k, m in _errors(e).items()))


def _page() -> int:
    """The page number asked for: anything but a small positive number is the first page."""
    try:
        page = int(tk.request.args.get("page", "1"))
    except ValueError:
        return 1
    return page if 1 <= page <= MAX_PAGE else 1


def _login_first() -> Any:
    if not _user_name():
        return tk.h.redirect_to("user.login", came_from=tk.request.full_path)
    return None


def _errors(e: tk.ValidationError) -> dict[str, str]:
    return {k: "; ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in e.error_dict.items()}


def _flash_errors(e: tk.ValidationError) -> None:
    tk.h.flash_error("; ".join(f"{k}: {m}" for k, m in _errors(e).items()))


# ---------------------------------------------------------------- products


@marketplace.route("/marketplace")
def index() -> str:
    args = tk.request.args
    page = _page()
    fq = ["+dataset_type:data-product"]
    filters = {k: args.getlist(k) for k in FACETS if args.getlist(k)}
    for key, values in filters.items():
        fq += [f'+{key}:"{_quoted(v)}"' for v in values]
    if "product_status" not in filters:
        fq.append("-product_status:retired")
    empty = {"count": 0, "results": [], "search_facets": {}}
    try:
        result = tk.get_action("package_search")(
            _context(),
            {
                "q": args.get("q", ""),
                "fq": " ".join(fq),
                "include_private": True,
                "facet.field": list(FACETS),
                "facet.limit": 20,
                "rows": PAGE,
                "start": (page - 1) * PAGE,
                "sort": SORTS.get(args.get("sort", ""), SORTS["relevance"]),
            },
        )
    except SearchQueryError:
        tk.h.flash_error(tk._("The search words could not be understood; try plain words."))
        result = empty
    except (SearchError, tk.ValidationError):
        tk.h.flash_error(tk._("Search is not available right now; please try again later."))
        result = empty
    return tk.render(
        "hhs_marketplace/index.html",
        {
            "result": result,
            "q": args.get("q", ""),
            "filters": filters,
            "facet_titles": {k: tk._(v) for k, v in FACETS.items()},
            "page": page,
            "pages": -(-result["count"] // PAGE),
        },
    )


def _product_page(name: str, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> str:
    if "\x00" in name:  # no name has it, and the database refuses to compare with it
        return tk.abort(404, tk._("Data product not found"))
    try:
        pkg = tk.get_action("package_show")(_context(), {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Data product not found"))
    except tk.NotAuthorized:
        return tk.abort(404, tk._("Data product not found"))
    if pkg.get("type") != "data-product":
        return tk.abort(404, tk._("Data product not found"))
    components = []
    if _user_name():  # staff also learn which restricted datasets the product gives, by their listing title
        components = tk.get_action("hhs_marketplace_component_list")(_context(), {"id": pkg["id"]})
    else:
        for ref in pkg.get("component_datasets") or []:
            found = model.Package.get(ref)
            if found is not None and not found.private and found.state == "active":
                title = found.title or found.name
                components.append({"ref": found.name, "name": found.name, "title": title, "private": False})
    usage = tk.get_action("hhs_marketplace_product_usage")(_context(), {"id": pkg["id"]})
    # Read with every component (the viewer's package_show leaves out those the viewer may not see).
    stored = tk.get_action("package_show")({"ignore_auth": True}, {"id": pkg["id"]})
    at_once = permissions.opens_at_once(stored.get("component_datasets"))
    mine, grants = [], []
    if _user_name():
        mine = tk.get_action("hhs_marketplace_request_list")(_context(), {"scope": "mine", "product": pkg["id"]})[
            "results"
        ]
        grants = tk.get_action("hhs_marketplace_grant_list")(_context(), {"product": pkg["id"]})
    return tk.render(
        "hhs_marketplace/product.html",
        {
            "pkg": pkg,
            "components": components,
            "usage": usage,
            "mine": mine,
            "approved": [r for r in mine if r["status"] == "approved"],
            "grants": grants,
            "form": form or {},
            "errors": errors or {},
            "is_steward": permissions.is_steward(pkg.get("owner_org"), _user_name()),
            "at_once": at_once,
        },
    )


@marketplace.route("/marketplace/<name>")
def product(name: str) -> str:
    return _product_page(name)


@marketplace.route("/marketplace/<name>/request", methods=["POST"])
def request_access(name: str) -> Any:
    if (redirect := _login_first()) is not None:
        return redirect
    form = tk.request.form
    data = {
        "product": name,
        "purpose": form.get("purpose", ""),
        "project": form.get("project", ""),
        "datasets": form.getlist("datasets"),
        "columns": form.get("columns", ""),
        "accept_terms": form.get("accept_terms") == "on",
    }
    if form.get("end_date"):
        data["end_date"] = form["end_date"]
    try:
        result = tk.get_action("hhs_marketplace_request_create")(_context(), data)
    except tk.ValidationError as e:
        return _product_page(name, form=dict(form), errors=_errors(e))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    if result["status"] == "approved":
        tk.h.flash_success(
            tk._("You have access to {product} until {date}.").format(
                product=result["product"]["title"], date=result["end_date"]
            )
        )
        return tk.h.redirect_to("hhs_marketplace.product", name=name)
    if result.get("duplicate"):
        tk.h.flash_notice(tk._("You already have an open request for this product; here it is."))
    else:
        tk.h.flash_success(tk._("Your request was sent to the product's stewards."))
    return tk.h.redirect_to("hhs_marketplace.request_read", id=result["id"])


# ---------------------------------------------------------------- requests


@marketplace.route("/marketplace/requests")
def requests() -> Any:
    if (redirect := _login_first()) is not None:
        return redirect
    status = tk.request.args.get("status") or None
    filters = {"status": status} if status else {}
    mine = _call("hhs_marketplace_request_list", {"scope": "mine", **filters})
    decides = bool(permissions.division_ids(_user_name(), least=2)) or permissions.is_second_level(None, _user_name())
    queue = _call("hhs_marketplace_request_list", {"scope": "queue", **filters}) if decides else None
    return tk.render("hhs_marketplace/requests.html", {"mine": mine, "queue": queue, "status": status})


@marketplace.route("/marketplace/requests/<id>")
def request_read(id: str) -> Any:  # noqa: A002 (CKAN's route parameter name)
    if (redirect := _login_first()) is not None:
        return redirect
    request = _call("hhs_marketplace_request_show", {"id": id}, "Access request")
    user = _user_name()
    allowed = {}
    for step in REQUEST_STEPS:
        try:
            tk.check_access(f"hhs_marketplace_request_{step}", _context(), {"id": id})
            allowed[step] = True
        except tk.NotAuthorized:
            allowed[step] = False
    return tk.render("hhs_marketplace/request.html", {"request_": request, "allowed": allowed, "user": user})


DECISIONS = ("approve", "ask_info", "reject")


@marketplace.route("/marketplace/requests/<id>/decide", methods=["POST"])
def request_decide(id: str) -> Any:  # noqa: A002
    """The stewards' one decision form: the decision as a radio, one message."""
    if (redirect := _login_first()) is not None:
        return redirect
    decision = tk.request.form.get("decision", "")
    if decision not in DECISIONS:
        tk.h.flash_error(tk._("decision: choose approve, ask for more information or reject"))
        return tk.h.redirect_to("hhs_marketplace.request_read", id=id)
    return request_step(id, decision)


@marketplace.route(
    "/marketplace/requests/<id>/<any(approve, reject, ask_info, respond, withdraw, extend, revoke):step>",
    methods=["POST"],
)
def request_step(id: str, step: str) -> Any:  # noqa: A002
    if (redirect := _login_first()) is not None:
        return redirect
    data = {"id": id}
    for field in ("message", "end_date"):
        if tk.request.form.get(field):
            data[field] = tk.request.form[field]
    try:
        tk.get_action(f"hhs_marketplace_request_{step}")(_context(), data)
        tk.h.flash_success(tk._("Done: {step}.").format(step=step.replace("_", " ")))
    except tk.ValidationError as e:
        _flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Access request not found"))
    return tk.h.redirect_to("hhs_marketplace.request_read", id=id)


@marketplace.route("/marketplace/requests/<id>/record")
def record_read(id: str) -> Any:  # noqa: A002
    """The data-use record, a page that prints as the agreement (print CSS)."""
    if (redirect := _login_first()) is not None:
        return redirect
    data: dict[str, Any] = {"id": id}
    if tk.request.args.get("version"):
        data["version"] = tk.request.args["version"]
    record = _call("hhs_marketplace_use_record_show", data, "Data-use record")
    return tk.render("hhs_marketplace/record.html", {"record": record})


@marketplace.route("/marketplace/records.csv")
def records_csv() -> Any:
    """Every data-use record version for the Data Governance Board, as CSV."""
    if (redirect := _login_first()) is not None:
        return redirect
    first = _call("hhs_marketplace_use_record_export", {"limit": 1000})
    columns = [
        "request", "version", "change", "recorded", "recorded_by", "product", "division", "requester",
        "requester_email", "requester_divisions", "purpose", "project", "terms", "components", "status",
        "decisions", "grant_start", "grant_end", "access_ended",
    ]  # fmt: skip
    context = _context()

    def rows():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        page, offset = first, 0
        while True:
            for row in page["results"]:
                writer.writerow([csv_cell(row[c]) for c in columns])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            offset += len(page["results"])
            if not page["results"] or offset >= page["count"]:
                return
            page = tk.get_action("hhs_marketplace_use_record_export")(dict(context), {"limit": 1000, "offset": offset})

    return flask.Response(
        flask.stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=data-use-records.csv"},
    )


# ---------------------------------------------------------------- licences


@marketplace.route("/marketplace/licences")
def licences() -> Any:
    if (redirect := _login_first()) is not None:
        return redirect
    args = tk.request.args
    filters = {k: args[k] for k in ("q", "vendor", "division") if args.get(k)}
    if args.get("current"):
        filters["current"] = True
    found = _call("hhs_marketplace_licence_search", {**filters, "limit": 100})
    return tk.render(
        "hhs_marketplace/licences.html",
        {"found": found, "filters": filters, "my_divisions": _my_divisions(least=2)},
    )


def _my_divisions(least: int = 1) -> list[dict[str, str]]:
    ids = permissions.division_ids(_user_name(), least=least)
    if not ids and tk.current_user and getattr(tk.current_user, "sysadmin", False):
        ids = [g.id for g in model.Session.query(model.Group).filter_by(is_organization=True, state="active")]
    rows = model.Session.query(model.Group).filter(model.Group.id.in_(ids or [""])).order_by(model.Group.title)
    return [{"name": g.name, "title": g.title or g.name} for g in rows]


def _licence_form(licence_id: str | None) -> Any:
    if (redirect := _login_first()) is not None:
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
            result = tk.get_action(action)(_context(), {**data, **({"id": licence_id} if licence_id else {})})
            tk.h.flash_success(tk._("Licence saved."))
            return tk.h.redirect_to("hhs_marketplace.licence_read", id=result["id"])
        except tk.ValidationError as e:
            errors = _errors(e)
        except tk.NotAuthorized as e:
            return tk.abort(403, str(e))
        except tk.ObjectNotFound:
            return tk.abort(404, tk._("Licence not found"))
    elif licence_id:
        licence = _call("hhs_marketplace_licence_show", {"id": licence_id}, "Licence")
        try:
            tk.check_access("hhs_marketplace_licence_update", _context(), {"id": licence_id})
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
        {"form": form, "errors": errors, "divisions": _my_divisions(least=2), "licence_id": licence_id},
    )


@marketplace.route("/marketplace/licences/new", methods=["GET", "POST"])
def licence_new() -> Any:
    return _licence_form(None)


@marketplace.route("/marketplace/licences/<id>/edit", methods=["GET", "POST"])
def licence_edit(id: str) -> Any:  # noqa: A002
    return _licence_form(id)


@marketplace.route("/marketplace/licences/<id>")
def licence_read(id: str) -> Any:  # noqa: A002
    if (redirect := _login_first()) is not None:
        return redirect
    licence = _call("hhs_marketplace_licence_show", {"id": id}, "Licence")
    holder = permissions.is_steward(licence["holder"]["id"] if licence["holder"] else None, _user_name())
    covered = {o["id"] for o in licence["covered"]}
    may_ask = [d for d in _my_divisions() if model.Group.get(d["name"]).id not in covered]
    return tk.render("hhs_marketplace/licence.html", {"licence": licence, "holder": holder, "may_ask": may_ask})


@marketplace.route("/marketplace/licences/<id>/ask", methods=["POST"])
def licence_ask(id: str) -> Any:  # noqa: A002
    if (redirect := _login_first()) is not None:
        return redirect
    try:
        tk.get_action("hhs_marketplace_licence_request_create")(
            _context(),
            {
                "licence": id,
                "division": tk.request.form.get("division", ""),
                "reason": tk.request.form.get("reason", ""),
            },
        )
        tk.h.flash_success(tk._("Your request was sent to the licence holder."))
    except tk.ValidationError as e:
        _flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    return tk.h.redirect_to("hhs_marketplace.licence_read", id=id)


@marketplace.route("/marketplace/licences/<id>/requests/<rid>/<any(approve, reject):step>", methods=["POST"])
def licence_decide(id: str, rid: str, step: str) -> Any:  # noqa: A002
    if (redirect := _login_first()) is not None:
        return redirect
    data = {"id": rid, **({"message": tk.request.form["message"]} if tk.request.form.get("message") else {})}
    try:
        tk.get_action(f"hhs_marketplace_licence_request_{step}")(_context(), data)
        tk.h.flash_success(tk._("Done: {step}.").format(step=step))
    except tk.ValidationError as e:
        _flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Licence request not found"))
    return tk.h.redirect_to("hhs_marketplace.licence_read", id=id)


# ---------------------------------------------------------------- needs


@marketplace.route("/marketplace/needs", methods=["GET", "POST"])
def needs() -> Any:
    if (redirect := _login_first()) is not None:
        return redirect
    form: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if tk.request.method == "POST":
        form = dict(tk.request.form)
        data = {k: form[k] for k in ("title", "description", "why", "needed_by") if form.get(k)}
        data["asked"] = tk.request.form.getlist("asked")
        try:
            need = tk.get_action("hhs_marketplace_need_create")(_context(), data)
            tk.h.flash_success(tk._("Your data need was posted."))
            return tk.h.redirect_to("hhs_marketplace.need_read", id=need["id"])
        except tk.ValidationError as e:
            errors = _errors(e)
    status = tk.request.args.get("status", "open")
    found = _call("hhs_marketplace_need_list", {"status": status} if status in ("open", "closed") else {})
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


@marketplace.route("/marketplace/needs/<id>")
def need_read(id: str) -> Any:  # noqa: A002
    if (redirect := _login_first()) is not None:
        return redirect
    need = _call("hhs_marketplace_need_show", {"id": id}, "Data need")
    return tk.render(
        "hhs_marketplace/need.html",
        {"need": need, "my_divisions": _my_divisions(), "is_poster": need["posted_by"] == _user_name()},
    )


@marketplace.route("/marketplace/needs/<id>/<any(answer, close):step>", methods=["POST"])
def need_step(id: str, step: str) -> Any:  # noqa: A002
    if (redirect := _login_first()) is not None:
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
            tk.get_action("hhs_marketplace_need_answer")(_context(), data)
            tk.h.flash_success(tk._("Your answer was added."))
        else:
            tk.get_action("hhs_marketplace_need_close")(
                _context(), {"id": id, **({"message": form["message"]} if form.get("message") else {})}
            )
            tk.h.flash_success(tk._("The need is closed."))
    except tk.ValidationError as e:
        _flash_errors(e)
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Data need not found"))
    return tk.h.redirect_to("hhs_marketplace.need_read", id=id)


# ---------------------------------------------------------------- metrics


@marketplace.route("/marketplace/metrics")
def metrics() -> Any:
    if (redirect := _login_first()) is not None:
        return redirect
    return tk.render("hhs_marketplace/metrics.html", {"metrics": _call("hhs_marketplace_metrics", {})})
