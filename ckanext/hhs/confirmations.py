"""A confirmation message after every save on the dataset and resource forms.

CKAN's dataset views save and redirect without a word (only a deletion says something). Rather than
copy those views, one after-request hook looks at a successful form save (a POST to a dataset or
resource form of any dataset type, answered with a redirect) and flashes what happened; page.html
shows flash messages as USWDS alerts. An API call is never a form view, so it never gets one.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def install(app: Any) -> None:
    app.after_request(_confirm_save)


def _confirm_save(response: Any) -> Any:
    request = tk.request
    view_args = request.view_args or {}
    if request.method != "POST" or response.status_code not in (302, 303) or "package_type" not in view_args:
        return response
    blueprint, _, view = (request.endpoint or "").rpartition(".")
    message = _message(blueprint, view, view_args["package_type"], request.form.get("save", ""), response)
    if message:
        tk.h.flash_success(message)
    return response


def _message(blueprint: str, view: str, package_type: str, save: str, response: Any) -> str | None:
    what = {"dataset": tk._("dataset"), "harvest": tk._("harvest source")}.get(
        package_type, package_type.replace("-", " ")
    )
    to_resource_form = "/resource/new" in (response.headers.get("Location") or "")
    if blueprint.endswith("_resource") or blueprint == "resource":
        if view == "edit":
            return tk._("The resource was saved.")
        if view != "new":
            return None
        if save == "again":
            return tk._("The resource was saved. Add another one, or finish.")
        if save == "go-metadata" or (save == "" and not to_resource_form):
            return tk._("The {what} was created.").format(what=what)
        if save == "go-dataset-complete":
            return tk._("The resource was added.")
        return None
    if view == "edit":
        return tk._("The {what} was saved.").format(what=what)
    if view == "new":
        if to_resource_form:
            return tk._("The {what} was saved as a draft: add its data to finish.").format(what=what)
        return tk._("The {what} was created.").format(what=what)
    return None
