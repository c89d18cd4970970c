"""Product pages: the marketplace search and a product's page with "Request access"."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.search import SearchError, SearchQueryError

from .. import pages, permissions

PAGE = 20
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


def _quoted(value: str) -> str:
    """A facet value inside a quoted Solr term: quotes and backslashes would end or escape it."""
    return value.replace("\\", "").replace('"', "")


def index() -> str:
    args = tk.request.args
    page = pages.page_number()
    fq = ["+dataset_type:data-product"]
    filters = {k: args.getlist(k) for k in FACETS if args.getlist(k)}
    for key, values in filters.items():
        fq += [f'+{key}:"{_quoted(v)}"' for v in values]
    if "product_status" not in filters:
        fq.append("-product_status:retired")
    empty = {"count": 0, "results": [], "search_facets": {}}
    try:
        result = tk.get_action("package_search")(
            pages.context(),
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
        pkg = tk.get_action("package_show")(pages.context(), {"id": name})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Data product not found"))
    except tk.NotAuthorized:
        return tk.abort(404, tk._("Data product not found"))
    if pkg.get("type") != "data-product":
        return tk.abort(404, tk._("Data product not found"))
    components = []
    if pages.user_name():  # staff also learn which restricted datasets the product gives, by their listing title
        components = tk.get_action("hhs_marketplace_component_list")(pages.context(), {"id": pkg["id"]})
    else:
        for ref in pkg.get("component_datasets") or []:
            found = model.Package.get(ref)
            if found is not None and not found.private and found.state == "active":
                title = found.title or found.name
                components.append({"ref": found.name, "name": found.name, "title": title, "private": False})
    usage = tk.get_action("hhs_marketplace_product_usage")(pages.context(), {"id": pkg["id"]})
    # Read with every component (the viewer's package_show leaves out those the viewer may not see).
    stored = tk.get_action("package_show")({"ignore_auth": True}, {"id": pkg["id"]})
    at_once = permissions.opens_at_once(stored.get("component_datasets"))
    mine, grants = [], []
    if pages.user_name():
        mine = tk.get_action("hhs_marketplace_request_list")(pages.context(), {"scope": "mine", "product": pkg["id"]})[
            "results"
        ]
        grants = tk.get_action("hhs_marketplace_grant_list")(pages.context(), {"product": pkg["id"]})
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
            "is_steward": permissions.is_steward(pkg.get("owner_org"), pages.user_name()),
            "at_once": at_once,
        },
    )


def product(name: str) -> str:
    return _product_page(name)


def request_access(name: str) -> Any:
    if (redirect := pages.login_first()) is not None:
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
        result = tk.get_action("hhs_marketplace_request_create")(pages.context(), data)
    except tk.ValidationError as e:
        return _product_page(name, form=dict(form), errors=pages.errors(e))
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
