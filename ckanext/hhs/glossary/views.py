"""Glossary pages: browse and search, term pages, propose and edit forms, history, the board's
review queue, SKOS and CSV downloads, and the autocomplete used by the dataset form."""

from __future__ import annotations

from typing import Any

import flask

import ckan.lib.navl.dictization_functions as dict_fns
import ckan.plugins.toolkit as tk
from ckan.logic import clean_dict, parse_params, tuplize_dict

from . import csv_io, export, skos

glossary = flask.Blueprint("hhs_glossary", __name__)
PAGE = 50
MAX_PAGE = 1000  # pages of PAGE terms: far more than the glossary holds; bounds the offset asked of the database
FORM_LISTS = ("synonyms", "owners", "sensitivity")


def _context() -> dict[str, Any]:
    user = tk.current_user
    return {"user": user.name if user and user.is_authenticated else ""}


def _call(action: str, data: dict[str, Any]) -> Any:
    try:
        return tk.get_action(action)(_context(), data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Glossary term not found"))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ValidationError as e:  # a bad query string value: say which
        messages = {k: v if isinstance(v, list) else [v] for k, v in e.error_dict.items()}
        return tk.abort(400, "; ".join(f"{field}: {' '.join(map(str, m))}" for field, m in messages.items()))


def _page() -> int:
    """The query string's page number (1 when absent); anything but 1 to MAX_PAGE is a 400."""
    value = tk.request.args.get("page") or "1"
    in_range = value.isascii() and value.isdigit() and len(value) <= 4 and 1 <= int(value) <= MAX_PAGE
    if not in_range:
        return tk.abort(400, tk._("page: must be a whole number from 1 to {n}").format(n=MAX_PAGE))
    return int(value)


@glossary.route("/glossary")
def index() -> str:
    args = tk.request.args
    page = _page()
    filters = {k: args[k] for k in ("q", "status", "steward", "letter") if args.get(k)}
    found = _call("hhs_glossary_term_list", {**filters, "limit": PAGE, "offset": (page - 1) * PAGE})
    tree = None
    if args.get("view") == "hierarchy":
        tree = _call(
            "hhs_glossary_term_list", {"limit": 1000, **({"status": filters["status"]} if "status" in filters else {})}
        )
    return tk.render(
        "hhs_glossary/index.html",
        {
            "found": found,
            "filters": filters,
            "page": page,
            "pages": -(-found["count"] // PAGE),
            "letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "tree": _tree(tree["results"]) if tree else None,
        },
    )


def _tree(terms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    for t in terms:
        by_parent.setdefault((t["parent"] or {}).get("slug"), []).append(t)
    slugs = {t["slug"] for t in terms}

    def children(slug: str | None) -> list[dict[str, Any]]:
        return [{**t, "children": children(t["slug"])} for t in by_parent.get(slug, [])]

    roots = [t for t in terms if not t["parent"] or t["parent"]["slug"] not in slugs]
    return [{**t, "children": children(t["slug"])} for t in roots]


@glossary.route("/glossary/<slug>")
def read(slug: str) -> str:
    term = _call("hhs_glossary_term_show", {"id": slug})
    datasets = _call("hhs_glossary_term_datasets", {"id": slug, "limit": 20})
    revisions = _call("hhs_glossary_revision_list", {"id": slug})
    columns = _call("hhs_glossary_term_columns", {"id": slug})
    return tk.render(
        "hhs_glossary/read.html", {"term": term, "datasets": datasets, "revisions": revisions, "columns": columns}
    )


@glossary.route("/glossary/<slug>/history")
def history(slug: str) -> str:
    term = _call("hhs_glossary_term_show", {"id": slug})
    revisions = _call("hhs_glossary_revision_list", {"id": slug})
    compared = None
    if tk.request.args.get("a") and tk.request.args.get("b"):
        try:
            compared = tk.get_action("hhs_glossary_revision_compare")(
                _context(), {"id": slug, "a": tk.request.args["a"], "b": tk.request.args["b"]}
            )
        except tk.ValidationError as e:
            tk.h.flash_error("; ".join(str(m) for msgs in e.error_dict.values() for m in msgs))
    return tk.render("hhs_glossary/history.html", {"term": term, "revisions": revisions, "compared": compared})


def _form_data(term: dict[str, Any] | None) -> dict[str, Any]:
    """The term form as the actions take it: related terms from the picker (slugs), references one a
    line ("Name | URL", a URL or a name), codes from rows; empty rows and lines are dropped."""
    data = clean_dict(dict_fns.unflatten(tuplize_dict(parse_params(tk.request.form))))
    for key in ("_ckan_phase", "intent"):
        data.pop(key, None)
    if not data.get("slug", "").strip():
        data.pop("slug", None)  # left empty: the action makes one from the label
    # A relation edited through the picker keeps its type (broader, narrower, ...); a new one is "related".
    types = {r["slug"]: r["type"] for r in (term or {}).get("related", [])}
    related = data.pop("related_terms", [])
    related = [related] if isinstance(related, str) else related
    data["related"] = [{"term": slug, "type": types.get(slug, "related")} for slug in related if slug]
    data["references"] = [_reference(line) for line in (data.get("references") or "").splitlines() if line.strip()]
    rows = data.get("exact_matches") or []
    data["exact_matches"] = [
        {k: (row.get(k) or "").strip() for k in ("system", "code", "label") if (row.get(k) or "").strip()}
        for row in rows
        if any((row.get(k) or "").strip() for k in ("system", "code", "label"))
    ]
    for key in FORM_LISTS:
        if key in data:
            data[key] = [v.strip() for v in data[key].replace("\n", ",").split(",") if v.strip()]
    return data


def _reference(line: str) -> dict[str, str]:
    name, _, url = line.rpartition("|")
    name, url = name.strip(), url.strip()
    if not url.startswith(("http://", "https://")):
        return {"name": line.strip()}
    return {"name": name or url, "url": url}


def _form(slug: str | None) -> Any:
    if not tk.current_user or not tk.current_user.is_authenticated:
        return tk.h.redirect_to("user.login", came_from=tk.request.path)
    term = _call("hhs_glossary_term_show", {"id": slug}) if slug else None
    data: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    if tk.request.method == "POST":
        data = _form_data(term)
        propose = tk.request.form.get("intent") == "propose"
        try:
            if slug:
                result = tk.get_action("hhs_glossary_term_update")(_context(), {**data, "id": slug})
                if result.get("pending_revision"):
                    tk.h.flash_success(tk._("Change saved. It waits for the Data Governance Board's review."))
                else:
                    tk.h.flash_success(tk._("Term saved."))
            else:
                result = tk.get_action("hhs_glossary_term_create")(_context(), data)
                if propose:
                    tk.get_action("hhs_glossary_term_propose")(_context(), {"id": result["slug"]})
                    tk.h.flash_success(tk._("Term proposed. The Data Governance Board reviews it next."))
                else:
                    tk.h.flash_success(tk._("Draft saved. Propose it for review when it is ready."))
            return tk.h.redirect_to("hhs_glossary.read", slug=result["slug"])
        except tk.ValidationError as e:
            errors = e.error_dict
        except tk.NotAuthorized as e:
            return tk.abort(403, str(e))
    elif term:
        data = {
            **term,
            "parent": (term["parent"] or {}).get("slug", ""),
            "steward": (term["steward"] or {}).get("name", ""),
        }
    if term and tk.request.method != "POST":
        data["related"] = [{"term": r["slug"], "type": r["type"]} for r in term["related"]]
    form = dict(data)
    form["related_terms"] = [r["term"] for r in data.get("related") or []]
    form["parent"] = [data["parent"]] if data.get("parent") else []
    form["references"] = "\n".join(
        f"{r['name']} | {r['url']}" if r.get("url") and r.get("name") != r.get("url") else r.get("url") or r["name"]
        for r in data.get("references") or []
    )
    # The rows of codes a term has, and two empty ones to add to.
    form["exact_matches"] = list(data.get("exact_matches") or []) + [{}, {}]
    for key in FORM_LISTS:
        if isinstance(data.get(key), list):
            form[key] = ", ".join(data[key])
    return tk.render(
        "hhs_glossary/form.html",
        {
            "term": term,
            "data": form,
            "errors": errors,
            "error_summary": {
                _FIELD_LABELS.get(k, k): "; ".join(map(str, v)) if isinstance(v, list) else str(v)
                for k, v in errors.items()
            },
        },
    )


_FIELD_LABELS = {
    "label": "Preferred label",
    "slug": "URL name",
    "definition": "Definition",
    "related": "Related terms",
    "references": "References",
    "exact_matches": "Codes in standard systems",
    "parent": "Broader term",
    "steward": "Steward division",
    "owners": "Owners",
}


@glossary.route("/glossary/new", methods=["GET", "POST"])
def new() -> Any:
    return _form(None)


@glossary.route("/glossary/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str) -> Any:
    return _form(slug)


@glossary.route("/glossary/<slug>/<any(propose, approve, reject, deprecate):step>", methods=["POST"])
def lifecycle(slug: str, step: str) -> Any:
    form = tk.request.form
    data = {"id": slug, **{k: form[k] for k in ("message", "revision", "replaced_by") if form.get(k)}}
    try:
        tk.get_action(f"hhs_glossary_term_{step}")(_context(), data)
        tk.h.flash_success(tk._("Done: {step}.").format(step=step))
    except tk.ValidationError as e:
        tk.h.flash_error("; ".join(f"{k}: {m}" for k, msgs in e.error_dict.items() for m in msgs))
    except tk.NotAuthorized as e:
        return tk.abort(403, str(e))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Glossary term not found"))
    came_from = form.get("came_from") or ""
    local = came_from.startswith("/") and not came_from.startswith("//")  # never redirect off the site
    return tk.h.redirect_to(came_from if local else tk.h.url_for("hhs_glossary.read", slug=slug))


@glossary.route("/glossary/review")
def review() -> str:
    queue = _call("hhs_glossary_review_queue", {})
    return tk.render("hhs_glossary/review.html", {"queue": queue})


def _approved_terms() -> list[dict[str, Any]]:
    return list(export.terms(_context(), ("approved", "deprecated")))


@glossary.route("/glossary.<any(ttl, jsonld):fmt>")
def scheme(fmt: str) -> flask.Response:
    rdf_format, mimetype = skos.FORMATS[fmt]
    return flask.Response(skos.graph(_approved_terms()).serialize(format=rdf_format), mimetype=mimetype)


@glossary.route("/glossary/<slug>.<any(ttl, jsonld):fmt>")
def concept(slug: str, fmt: str) -> flask.Response:
    rdf_format, mimetype = skos.FORMATS[fmt]
    term = _call("hhs_glossary_term_show", {"id": slug})
    return flask.Response(skos.graph([term]).serialize(format=rdf_format), mimetype=mimetype)


@glossary.route("/glossary.csv")
def csv_download() -> flask.Response:
    return flask.Response(
        csv_io.write(_approved_terms()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=hhs-glossary.csv"},
    )


@glossary.route("/api/2/util/hhs_glossary/autocomplete")
def autocomplete() -> flask.Response:
    typed = tk.request.args.get("incomplete", "")
    found = tk.get_action("hhs_glossary_term_autocomplete")(_context(), {"q": typed}) if typed.strip() else []
    # The shape CKAN's autocomplete JavaScript module reads (as /api/2/util/tag/autocomplete answers),
    # with the definition the glossary picker shows under each label.
    results = [{"Name": t["slug"], "Label": t["label"], "Definition": t["definition"]} for t in found]
    return flask.jsonify({"ResultSet": {"Result": results}})
