"""E-mails of the marketplace, sent with CKAN's mailer (the configured SMTP server).

A mail that cannot be sent is logged, never an error of the step that sent it: the request, its
decision and its audit trail are already stored and shown on the site."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer as ckan_mail

from ckanext.hhs import config as core_config

from . import model as mm

log = logging.getLogger(__name__)


def _link(path: str) -> str:
    return tk.config["ckan.site_url"].rstrip("/") + path


def _send(users: Iterable[model.User], subject: str, body: str) -> None:
    sent = set()
    for user in users:
        if user is None or not user.email or user.email in sent or user.state != "active":
            continue
        sent.add(user.email)
        try:
            ckan_mail.mail_recipient(user.display_name, user.email, subject, body)
        except ckan_mail.MailerException as e:
            log.warning("marketplace mail to %s not sent: %s", user.name, e)


def _members(org_id: str | None, capacities: tuple[str, ...]) -> list[model.User]:
    if not org_id:
        return []
    return (
        model.Session.query(model.User)
        .join(model.Member, model.Member.table_id == model.User.id)
        .filter(
            model.Member.group_id == org_id,
            model.Member.table_name == "user",
            model.Member.state == "active",
            model.Member.capacity.in_(capacities),
        )
        .all()
    )


def _stewards(org_id: str | None) -> list[model.User]:
    return _members(org_id, ("editor", "admin"))


def _product_title(request: mm.AccessRequest) -> str:
    product = model.Session.get(model.Package, request.product_id)
    return product.title if product else request.product_id


def _requester(request: mm.AccessRequest) -> model.User:
    return model.Session.get(model.User, request.requester_id)


def request_submitted(request: mm.AccessRequest, answer: str | None = None) -> None:
    requester = _requester(request)
    title = _product_title(request)
    if answer:
        subject = tk._("Access request answered: {product}").format(product=title)
        intro = tk._("{user} answered your question:\n\n{answer}").format(user=requester.display_name, answer=answer)
    else:
        subject = tk._("New access request: {product}").format(product=title)
        intro = tk._(
            "{user} asks for access to {product} until {date}.\n\nPurpose: {purpose}\nProject: {project}"
        ).format(
            user=requester.display_name,
            product=title,
            date=request.end_date,
            purpose=request.purpose,
            project=request.project or "-",
        )
    body = f"{intro}\n\n{tk._('Decide it here')}: {_link(f'/marketplace/requests/{request.id}')}\n"
    recipients = _stewards(request.owner_org_id)
    if request.status == "awaiting_second":
        recipients = _second_level(request)
    _send(recipients, subject, body)


def _second_level(request: mm.AccessRequest) -> list[model.User]:
    board = model.Group.get(core_config.governance_org())
    return [*_members(request.owner_org_id, ("admin",)), *_stewards(board.id if board else None)]


def request_second_level(request: mm.AccessRequest) -> None:
    title = _product_title(request)
    body = tk._(
        "A steward approved a request for {product}, a restricted product: it needs a second-level approval.\n\n"
        "Purpose: {purpose}\n\nReview it here: {link}\n"
    ).format(product=title, purpose=request.purpose, link=_link(f"/marketplace/requests/{request.id}"))
    _send(_second_level(request), tk._("Second-level approval needed: {product}").format(product=title), body)


def request_decided(request: mm.AccessRequest, question: str | None = None) -> None:
    title = _product_title(request)
    link = _link(f"/marketplace/requests/{request.id}")
    if question:
        subject = tk._("More information needed: {product}").format(product=title)
        body = tk._("The stewards of {product} ask:\n\n{question}\n\nAnswer here: {link}\n").format(
            product=title, question=question, link=link
        )
    elif request.status == "approved":
        subject = tk._("Access granted: {product}").format(product=title)
        body = tk._(
            "Your request for {product} was approved. You have access until {date}.\n\n{data}Details: {link}\n"
        ).format(product=title, date=request.end_date, data=_granted_data(request), link=link)
    else:
        subject = tk._("Access request {status}: {product}").format(status=request.status, product=title)
        body = tk._("Your request for {product} was {status}.\n\nDetails and reasons: {link}\n").format(
            product=title, status=request.status, link=link
        )
    _send([_requester(request)], subject, body)


def _granted_data(request: mm.AccessRequest) -> str:
    """The data the grant opens, one link each: the mail leads to the data in one click."""
    rows = (
        model.Session.query(model.Package.name, model.Package.title)
        .join(mm.Grant, mm.Grant.package_id == model.Package.id)
        .filter(mm.Grant.request_id == request.id, mm.Grant.revoked.is_(None))
        .order_by(model.Package.title)
        .all()
    )
    product = model.Session.get(model.Package, request.product_id)
    lines = [f"- {title or name}: {_link(f'/dataset/{name}')}" for name, title in rows]
    if product is not None:
        lines.append(f"- {tk._('All of the product')}: {_link(f'/marketplace/{product.name}')}")
    return tk._("Your data:") + "\n" + "\n".join(lines) + "\n\n"


def request_changed(request: mm.AccessRequest, message: str) -> None:
    """A steward extended or withdrew the requester's access."""
    title = _product_title(request)
    link = _link(f"/marketplace/requests/{request.id}")
    if request.status == "approved":
        subject = tk._("Access extended: {product}").format(product=title)
        body = tk._("Your access to {product} now lasts until {date}.\n\n{note}{data}Details: {link}\n").format(
            product=title, date=request.end_date, note=f"{message}\n\n" if message else "",
            data=_granted_data(request), link=link,
        )  # fmt: skip
    else:
        subject = tk._("Access withdrawn: {product}").format(product=title)
        body = tk._("The stewards of {product} withdrew your access:\n\n{note}\n\nDetails: {link}\n").format(
            product=title, note=message, link=link
        )
    _send([_requester(request)], subject, body)


def request_expired(request: mm.AccessRequest) -> None:
    title = _product_title(request)
    body = tk._("Your access to {product} ended on {date}. Ask again if you still need it: {link}\n").format(
        product=title, date=request.end_date, link=_link(f"/marketplace/requests/{request.id}")
    )
    _send([_requester(request)], tk._("Access ended: {product}").format(product=title), body)


def licence_asked(licence: mm.Licence, ask: mm.LicenceRequest) -> None:
    org = model.Session.get(model.Group, ask.org_id)
    user = model.Session.get(model.User, ask.user_id)
    body = tk._(
        "{user} asks that {division} be covered by your licence {vendor} {product} instead of buying it again.\n\n"
        "Reason: {reason}\n\nDecide here: {link}\n"
    ).format(
        user=user.display_name,
        division=org.title,
        vendor=licence.vendor,
        product=licence.product,
        reason=ask.reason or "-",
        link=_link(f"/marketplace/licences/{licence.id}"),
    )
    subject = tk._("{division} asks to use your licence: {vendor} {product}").format(
        division=org.title, vendor=licence.vendor, product=licence.product
    )
    _send(_stewards(licence.holder_org_id), subject, body)


def licence_decided(licence: mm.Licence, ask: mm.LicenceRequest) -> None:
    subject = tk._("Licence {vendor} {product}: your division's request was {status}").format(
        vendor=licence.vendor, product=licence.product, status=ask.status
    )
    body = f"{ask.note or ''}\n\n{_link(f'/marketplace/licences/{licence.id}')}\n"
    _send([model.Session.get(model.User, ask.user_id)], subject, body)


def licence_renewal(licence: mm.Licence, days: int) -> None:
    subject = tk._("Licence ends in {days} days: {vendor} {product}").format(
        days=days, vendor=licence.vendor, product=licence.product
    )
    body = tk._(
        "The licence {vendor} {product} (contract {contract}) ends on {date}. Renew it or let it end: {link}\n"
    ).format(
        vendor=licence.vendor,
        product=licence.product,
        contract=licence.contract_number or "-",
        date=licence.end_date,
        link=_link(f"/marketplace/licences/{licence.id}"),
    )
    _send(_stewards(licence.holder_org_id), subject, body)


def need_posted(need: mm.Need) -> None:
    body = tk._(
        "A data need was posted and your division is asked to answer:\n\n{title}\n\n{description}\n\n{link}\n"
    ).format(title=need.title, description=need.description, link=_link(f"/marketplace/needs/{need.id}"))
    users = [u for org_id in need.asked_org_ids or [] for u in _stewards(org_id)]
    _send(users, tk._("Data need: {title}").format(title=need.title), body)


def need_answered(need: mm.Need) -> None:
    body = tk._('Your data need "{title}" has a new answer: {link}\n').format(
        title=need.title, link=_link(f"/marketplace/needs/{need.id}")
    )
    _send(
        [model.Session.get(model.User, need.posted_by)],
        tk._("Answer to your data need: {title}").format(title=need.title),
        body,
    )
