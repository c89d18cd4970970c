"""Submit CKAN's pages' forms as a browser would: the fields and values the HTML gives, changed where told."""

from __future__ import annotations

import lxml.html
from werkzeug.datastructures import MultiDict

from ckanext.hhs.tests.helpers import division_with, logged_in

__all__ = ["editor_client", "form_fields", "logged_in", "submit"]


def editor_client(app, division: str = "cms", **fields):
    """A client signed in as the editor of a new division (`fields` for the Division factory); returns
    (client, division)."""
    editor, org = division_with("editor", division, **fields)
    return logged_in(app, editor), org


def form_fields(html: str, form_id: str) -> list[tuple[str, str]]:
    """The name/value pairs a browser with JavaScript submits from the form: selected options, checked boxes,
    and not the hidden templates scheming's script removes when the page loads (new repeating rows)."""
    doc = lxml.html.fromstring(html)
    for template in doc.xpath('//div[@name="repeating-template"]'):
        template.drop_tree()
    (form,) = [f for f in doc.forms if f.get("id") == form_id]
    # lxml gives a checked box or radio with value="" as "on"; a browser sends "" (CKAN's link radio).
    empty = {(el.name, "on") for el in form.inputs if el.get("type") in ("radio", "checkbox") and el.get("value") == ""}
    return [(name, "" if (name, value) in empty else value) for name, value in form.form_values()]


def submit(
    client, url: str, form_id: str, changes: dict[str, str] | None = None, button: tuple[str, str] = ("save", "")
):
    """GET the page, fill the form as given (a value of None removes the field), POST it; the response."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    fields = form_fields(page.get_data(as_text=True), form_id)
    changes = dict(changes or {})
    values = MultiDict()
    for name, value in fields:
        if name in changes:
            if changes[name] is not None and name not in values:
                values.add(name, changes[name])
            continue
        values.add(name, value)
    for name, value in changes.items():
        if name not in values and value is not None and all(name != n for n, _ in fields):
            values.add(name, value)
    values.add(*button)
    return client.post(url, data=values)
