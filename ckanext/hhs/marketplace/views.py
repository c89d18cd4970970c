"""The marketplace's one blueprint (``hhs_marketplace``) and its URL map. The pages live with their
sub-packages (products, requests, records, licences, needs, metrics); each endpoint keeps its view
function's name, as templates and redirects name it (``hhs_marketplace.request_read``)."""

from __future__ import annotations

import flask

from .licences import views as licences_views
from .metrics import views as metrics_views
from .needs import views as needs_views
from .products import views as products_views
from .records import views as records_views
from .requests import views as requests_views

marketplace = flask.Blueprint("hhs_marketplace", __name__)

marketplace.add_url_rule("/marketplace", view_func=products_views.index)
marketplace.add_url_rule("/marketplace/<name>", view_func=products_views.product)
marketplace.add_url_rule("/marketplace/<name>/request", view_func=products_views.request_access, methods=["POST"])
marketplace.add_url_rule("/marketplace/requests", view_func=requests_views.requests)
marketplace.add_url_rule("/marketplace/requests/<id>", view_func=requests_views.request_read)
marketplace.add_url_rule("/marketplace/requests/<id>/decide", view_func=requests_views.request_decide, methods=["POST"])
marketplace.add_url_rule(
    "/marketplace/requests/<id>/<any(approve, reject, ask_info, respond, withdraw, extend, revoke):step>",
    view_func=requests_views.request_step,
    methods=["POST"],
)
marketplace.add_url_rule("/marketplace/requests/<id>/record", view_func=records_views.record_read)
marketplace.add_url_rule("/marketplace/records.csv", view_func=records_views.records_csv)
marketplace.add_url_rule("/marketplace/licences", view_func=licences_views.licences)
marketplace.add_url_rule("/marketplace/licences/new", view_func=licences_views.licence_new, methods=["GET", "POST"])
marketplace.add_url_rule(
    "/marketplace/licences/<id>/edit", view_func=licences_views.licence_edit, methods=["GET", "POST"]
)
marketplace.add_url_rule("/marketplace/licences/<id>", view_func=licences_views.licence_read)
marketplace.add_url_rule("/marketplace/licences/<id>/ask", view_func=licences_views.licence_ask, methods=["POST"])
marketplace.add_url_rule(
    "/marketplace/licences/<id>/requests/<rid>/<any(approve, reject):step>",
    view_func=licences_views.licence_decide,
    methods=["POST"],
)
marketplace.add_url_rule("/marketplace/needs", view_func=needs_views.needs, methods=["GET", "POST"])
marketplace.add_url_rule("/marketplace/needs/<id>", view_func=needs_views.need_read)
marketplace.add_url_rule(
    "/marketplace/needs/<id>/<any(answer, close):step>", view_func=needs_views.need_step, methods=["POST"]
)
marketplace.add_url_rule("/marketplace/metrics", view_func=metrics_views.metrics)
