"""Actions of the glossary: terms, their lifecycle and revisions, search, and the datasets using them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import values
from ckanext.hhs.context import all_or_nothing as _all_or_nothing
from ckanext.hhs.logic.validation import validate

from .. import config as glossary_config
from .. import model as gm
from .. import permissions, similarity
from . import schema

# "No check": the viewer of code that sees every term (imports, the CLI, the board's own queue).
ANYONE: Any = object()


# ---------------------------------------------------------------- create, show, update


@validate(schema.term_create)
@_all_or_nothing
def hhs_glossary_term_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Propose a new term (it starts as a draft; `hhs_glossary_term_propose` sends it for review).

    :param label: the preferred label, e.g. "Medicare beneficiary"
    :param slug: the term's URL name (optional; made from the label)
    :param definition: the governed definition
    :param explanation: a plain-language explanation for non-specialists (optional)
    :param example: an example of use (optional)
    :param abbreviation: (optional)
    :param synonyms: other names (list of strings, optional)
    :param parent: the broader term (slug or id, optional)
    :param related: related terms, a list of ``{"term": slug, "type": one of related, is_a, part_of,
        has_part, used_with, see_also, calculated_from}`` (optional)
    :param steward: the steward division (organization name or id, optional)
    :param owners: user names of the term's owners (optional)
    :param references: external references, a list of ``{"name", "url"}`` (optional)
    :param exact_matches: codes in standard code systems, a list of ``{"system", "code"}`` (optional)
    :param sensitivity: sensitivity tags such as ``PHI`` (list, optional)
    :param message: why the term is proposed (optional)
    :returns: the term, with ``similar``: existing terms it may duplicate
    :rtype: dict
    """
    tk.check_access("hhs_glossary_term_create", context, data_dict)
    user = _user(context)
    term = gm.Term(proposed_by=user.id, status="draft")
    data_dict.setdefault("slug", "-".join(similarity.normalise(data_dict["label"]).split())[:100] or "term")
    _apply(term, data_dict)
    model.Session.add(term)
    model.Session.flush()
    _apply_links(term, data_dict, viewer=user)
    _revise(term, user, "create", data_dict.get("message", ""))
    model.Session.commit()
    result = _dictize(term, full=True, viewer=user)
    result["similar"] = _similar_to(term, user)
    return result


@tk.side_effect_free
@validate(schema.term_ref)
def hhs_glossary_term_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A term with its hierarchy, related terms and pending changes.

    :param id: the term's slug or id
    :rtype: dict
    """
    tk.check_access("hhs_glossary_term_show", context, data_dict)
    return _dictize(_get(data_dict["id"]), full=True, viewer=permissions.user_of(context))


@validate(schema.term_update)
@_all_or_nothing
def hhs_glossary_term_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Change a term. Fields left out keep their values.

    Its proposer, owners, steward division's editors and the board edit a term that is not yet approved;
    the board edits an approved one. Anyone else logged in proposes a change: it waits, as a pending
    revision, for the board to approve or reject it.

    :param id: the term's slug or id
    :param message: why (optional)
    :returns: the term; ``pending_revision`` is the number of the proposed change when it waits
    :rtype: dict
    """
    tk.check_access("hhs_glossary_term_update", context, data_dict)
    user = _user(context)
    term = _get(data_dict["id"])
    if _edits_directly(user, term):
        _apply(term, data_dict)
        _apply_links(term, data_dict, viewer=user)
        _revise(term, user, "update", data_dict.get("message", ""))
        model.Session.commit()
        return _dictize(term, full=True, viewer=user)
    # Checked now, applied on approval: the proposal is validated against the term as it is.
    proposal = _proposed(term, data_dict)
    revision = _revise(term, user, "update", data_dict.get("message", ""), pending=True, data=proposal)
    model.Session.commit()
    return {**_dictize(term, full=True, viewer=user), "pending_revision": revision.number}


# ---------------------------------------------------------------- lifecycle


@validate(schema.term_ref)
@_all_or_nothing
def hhs_glossary_term_propose(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Send a draft (or rejected) term to the board for review.

    :param id: the term's slug or id
    :param message: a note for the reviewers (optional)
    """
    tk.check_access("hhs_glossary_term_propose", context, data_dict)
    return _transition(context, data_dict, ("draft", "rejected"), "in_review", "propose")


@validate(schema.term_review)
@_all_or_nothing
def hhs_glossary_term_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Approve a term in review, or a pending change (``revision``). Board reviewers only, never their own.

    :param id: the term's slug or id
    :param revision: the number of a pending change to approve and apply (optional)
    :param message: the reviewer's note (optional)
    """
    tk.check_access("hhs_glossary_term_approve", context, data_dict)
    return _review(context, data_dict, approve=True)


@validate(schema.term_reject)
@_all_or_nothing
def hhs_glossary_term_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a term in review, or a pending change (``revision``), saying why. Board reviewers only.

    :param id: the term's slug or id
    :param revision: the number of a pending change (optional)
    :param message: why (required)
    """
    tk.check_access("hhs_glossary_term_reject", context, data_dict)
    return _review(context, data_dict, approve=False)


@validate(schema.term_deprecate)
@_all_or_nothing
def hhs_glossary_term_deprecate(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Deprecate an approved term, optionally naming the approved term that replaces it. Board only.

    :param id: the term's slug or id
    :param replaced_by: slug or id of the replacement (optional)
    :param message: why (optional)
    """
    tk.check_access("hhs_glossary_term_deprecate", context, data_dict)
    term = _get(data_dict["id"])
    if data_dict.get("replaced_by"):
        replacement = _get(data_dict["replaced_by"], field="replaced_by")
        if replacement.status != "approved" or replacement.id == term.id:
            raise tk.ValidationError({"replaced_by": [tk._("The replacement must be another approved term")]})
        term.replaced_by_id = replacement.id
    return _transition(context, data_dict, ("approved",), "deprecated", "deprecate", term=term)


def _transition(
    context: Context,
    data_dict: DataDict,
    sources: tuple[str, ...],
    target: str,
    action: str,
    term: gm.Term | None = None,
) -> dict[str, Any]:
    user = _user(context)
    term = term or _get(data_dict["id"])
    if term.status not in sources:
        raise tk.ValidationError(
            {
                "status": [
                    tk._('Term "{term}" is {status}; it must be {allowed} to {action}').format(
                        term=term.slug,
                        status=_label(term.status),
                        allowed=" or ".join(map(_label, sources)),
                        action=action,
                    )
                ]
            }
        )
    term.status = target
    if action in ("approve", "reject"):
        term.reviewed_by = user.id
        term.review_note = data_dict.get("message", "")
    term.modified = values.now()
    _revise(term, user, action, data_dict.get("message", ""))
    model.Session.commit()
    return _dictize(term, full=True, viewer=user)


def _review(context: Context, data_dict: DataDict, approve: bool) -> dict[str, Any]:
    """A board decision on a term in review, or on one pending change (``revision``)."""
    if data_dict.get("revision"):
        return _review_change(context, data_dict, approve)
    if approve:
        return _transition(context, data_dict, ("in_review",), "approved", "approve")
    return _transition(context, data_dict, ("in_review",), "rejected", "reject")


def _review_change(context: Context, data_dict: DataDict, approve: bool) -> dict[str, Any]:
    user = _user(context)
    term = _get(data_dict["id"])
    revision = _pending(term, data_dict["revision"])
    revision.pending = False
    if approve:
        _apply(term, revision.data)
        _apply_links(term, revision.data)
    _revise(
        term, user, "approve" if approve else "reject", data_dict.get("message", "") or f"revision {revision.number}"
    )
    model.Session.commit()
    return _dictize(term, full=True, viewer=user)


# ---------------------------------------------------------------- reading


@tk.side_effect_free
@validate(schema.term_list)
def hhs_glossary_term_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Terms A–Z, filtered. Anonymous users see approved and deprecated terms only.

    :param q: words in the label, synonyms, abbreviation or definition (optional)
    :param status: draft, in_review, approved, deprecated or rejected (optional)
    :param steward: steward division name (optional)
    :param letter: first letter of the label (optional)
    :param parent: only the narrower terms of this term (slug; optional)
    :param limit: (optional, default 100)
    :param offset: (optional)
    :returns: ``count`` and ``results``
    """
    tk.check_access("hhs_glossary_term_list", context, data_dict)
    viewer = permissions.user_of(context)
    seen = permissions.visible(viewer)
    query = model.Session.query(gm.Term).filter(seen)
    if data_dict.get("status"):
        query = query.filter(gm.Term.status == data_dict["status"])
    if data_dict.get("steward"):
        query = query.join(model.Group, model.Group.id == gm.Term.steward_org_id).filter(
            model.Group.name == data_dict["steward"]
        )
    if data_dict.get("letter"):
        query = query.filter(sa.func.upper(sa.func.left(gm.Term.label, 1)) == data_dict["letter"][:1].upper())
    if data_dict.get("parent"):
        query = query.filter(gm.Term.parent_id == _get(data_dict["parent"], field="parent", viewer=viewer).id)
    if data_dict.get("q"):
        words = similarity.normalise(data_dict["q"]).split()
        for word in words:
            like = f"%{word}%"
            query = query.filter(sa.or_(gm.Term.search_text.like(like), gm.Term.definition.ilike(like)))
    count = query.count()
    terms = (
        query.order_by(sa.func.lower(gm.Term.label))
        .offset(data_dict.get("offset", 0))
        .limit(data_dict.get("limit", 100))
        .all()
    )
    names = _names(terms)
    return {"count": count, "results": [_dictize(t, viewer=viewer, names=names, seen=seen) for t in terms]}


@tk.side_effect_free
@validate(schema.term_list)
def hhs_glossary_term_search(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Search terms by words in their label, synonyms, abbreviation or definition (see `term_list`)."""
    tk.check_access("hhs_glossary_term_search", context, data_dict)
    return tk.get_action("hhs_glossary_term_list")(context, data_dict)


@tk.side_effect_free
@validate(schema.term_autocomplete)
def hhs_glossary_term_autocomplete(context: Context, data_dict: DataDict) -> list[dict[str, str]]:
    """Approved terms whose label, abbreviation or a synonym starts a word with `q`, for forms.

    :param q: what was typed
    :param limit: (optional, default 10)
    :returns: ``slug``, ``label`` and ``definition`` of each
    """
    tk.check_access("hhs_glossary_term_autocomplete", context, data_dict)
    typed = similarity.normalise(data_dict["q"])
    if not typed:
        return []
    rows = (
        model.Session.query(gm.Term.slug, gm.Term.label, gm.Term.definition)
        .filter(gm.Term.status == "approved")
        .filter(sa.or_(gm.Term.search_text.like(f"{typed}%"), gm.Term.search_text.like(f"% {typed}%")))
        .order_by(gm.Term.search_text.like(f"{typed}%").desc(), sa.func.length(gm.Term.label))
        .limit(min(int(data_dict.get("limit", 10)), 50))
        .all()
    )
    return [{"slug": s, "label": label, "definition": d[:200]} for s, label, d in rows]


@tk.side_effect_free
@validate(schema.term_similar)
def hhs_glossary_term_similar(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Existing terms that a proposed name, synonyms or definition may duplicate, best first.

    :param label: (optional)
    :param synonyms: (optional)
    :param definition: (optional)
    :param exclude: a term's slug or id to leave out (optional)
    :returns: terms with ``score`` (0–1) and ``reason``
    """
    tk.check_access("hhs_glossary_term_similar", context, data_dict)
    names = [data_dict.get("label", ""), *data_dict.get("synonyms", [])]
    viewer = permissions.user_of(context)
    exclude = _get(data_dict["exclude"], field="exclude", viewer=viewer).id if data_dict.get("exclude") else None
    return _similar(names, data_dict.get("definition", ""), exclude, viewer)


@tk.side_effect_free
@validate(schema.term_ref)
def hhs_glossary_revision_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Every change of a term, newest first: number, who, when, action, why, pending, and the snapshot.

    :param id: the term's slug or id
    """
    tk.check_access("hhs_glossary_revision_list", context, data_dict)
    term = _get(data_dict["id"])
    revisions = (
        model.Session.query(gm.Revision, model.User.name)
        .join(model.User, model.User.id == gm.Revision.user_id)
        .filter(gm.Revision.term_id == term.id)
        .order_by(gm.Revision.number.desc())
    )
    return [
        {
            "number": r.number,
            "user": name,
            "created": r.created.isoformat(),
            "action": r.action,
            "message": r.message,
            "pending": r.pending,
            "data": r.data,
        }
        for r, name in revisions
    ]


@tk.side_effect_free
@validate(schema.revision_compare)
def hhs_glossary_revision_compare(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What changed between two revisions of a term: ``{field: {"a": old, "b": new}}``.

    :param id: the term's slug or id
    :param a: a revision number
    :param b: another revision number
    """
    tk.check_access("hhs_glossary_revision_compare", context, data_dict)
    term = _get(data_dict["id"])
    found = {
        r.number: r.data
        for r in model.Session.query(gm.Revision).filter(
            gm.Revision.term_id == term.id, gm.Revision.number.in_([data_dict["a"], data_dict["b"]])
        )
    }
    for key in ("a", "b"):
        if data_dict[key] not in found:
            raise tk.ValidationError(
                {key: [tk._("Term {term} has no revision {n}").format(term=term.slug, n=data_dict[key])]}
            )
    a, b = found[data_dict["a"]], found[data_dict["b"]]
    changes = {k: {"a": a.get(k), "b": b.get(k)} for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
    return {"term": term.slug, "a": data_dict["a"], "b": data_dict["b"], "changes": changes}


@tk.side_effect_free
@validate(schema.term_list)
def hhs_glossary_review_queue(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What waits for the board: terms in review and pending changes, each with its likely duplicates."""
    tk.check_access("hhs_glossary_review_queue", context, data_dict)
    terms = model.Session.query(gm.Term).filter(gm.Term.status == "in_review").order_by(gm.Term.modified).all()
    changes = (
        model.Session.query(gm.Revision, gm.Term, model.User.name)
        .join(gm.Term, gm.Term.id == gm.Revision.term_id)
        .join(model.User, model.User.id == gm.Revision.user_id)
        .filter(gm.Revision.pending.is_(True))
        .order_by(gm.Revision.created)
        .all()
    )
    return {
        "terms": [{**_dictize(t), "similar": _similar_to(t, _user(context))} for t in terms],
        "changes": [
            {
                "term": _dictize(t),
                "revision": r.number,
                "user": name,
                "message": r.message,
                "created": r.created.isoformat(),
                "changes": {
                    k: {"a": v, "b": r.data[k]} for k, v in gm.snapshot(t).items() if k in r.data and r.data[k] != v
                },
            }
            for r, t, name in changes
        ],
    }


@tk.side_effect_free
@validate(schema.term_datasets)
def hhs_glossary_term_datasets(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The datasets that use a term (linked, or through a column of their data dictionary), as far as
    the caller may see them: private datasets only for those allowed to see them.

    :param id: the term's slug or id
    :param limit: (optional, default 20)
    :param offset: (optional)
    """
    tk.check_access("hhs_glossary_term_datasets", context, data_dict)
    term = _get(data_dict["id"])
    result = tk.get_action("package_search")(
        {"user": context.get("user", "")},
        {
            "fq": f'+vocab_glossary_terms:"{term.slug}"',
            "include_private": True,
            "rows": data_dict.get("limit", 20),
            "start": data_dict.get("offset", 0),
            "sort": "title_string asc",
        },
    )
    return {"count": result["count"], "results": result["results"]}


@tk.side_effect_free
@validate(schema.term_ref)
def hhs_glossary_term_columns(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The columns that hold a term, across divisions: the join keys between their data. Only columns
    of datasets the caller may see are listed.

    :param id: the term's slug or id
    :returns: ``dataset`` (name, title), ``division``, ``resource`` (id, name) and ``column`` of each
    """
    tk.check_access("hhs_glossary_term_columns", context, data_dict)
    term = _get(data_dict["id"])
    found, start = [], 0
    while True:
        page = tk.get_action("package_search")(
            {"user": context.get("user", "")},
            {
                "fq": f'+vocab_glossary_terms:"{term.slug}"',
                "include_private": True,
                "rows": 500,
                "start": start,
                "sort": "name asc",
            },
        )
        for pkg in page["results"]:
            for res in pkg.get("resources") or []:
                found += [
                    {
                        "dataset": {"name": pkg["name"], "title": pkg["title"]},
                        "division": (pkg.get("organization") or {}).get("title"),
                        "resource": {"id": res["id"], "name": res.get("name") or res["id"]},
                        "column": m["column"],
                    }
                    for m in res.get("column_terms") or []
                    if m.get("term") == term.slug
                ]
        start += 500
        if start >= page["count"]:
            return found


def hhs_glossary_embed(context: Context, data_dict: DataDict) -> dict[str, int]:
    """Store the embedding of each definition that has none: terms written before embeddings were
    kept, or while ``ckanext.hhs.glossary.similar_by_meaning`` was off. Sysadmins only.

    :param all: recompute every definition's, not only the missing ones (optional, default false)
    :param progress: (Python callers only) called with 1 after each term
    :returns: ``embedded``: how many were stored
    """
    tk.check_access("hhs_glossary_embed", context, data_dict)
    query = model.Session.query(gm.Term).filter(gm.Term.definition != "")
    if not _flag(data_dict, "all"):
        query = query.filter(gm.Term.definition_embedding.is_(None))
    progress = data_dict.get("progress") if callable(data_dict.get("progress")) else None
    terms = query.all()
    for term in terms:
        term.definition_embedding = similarity.meaning(term.definition)
        if progress:
            progress(1)
    model.Session.commit()
    return {"embedded": len(terms)}


# ---------------------------------------------------------------- import


def hhs_glossary_import(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Create or update terms from rows (the CSV layout of `ckanext.hhs.glossary.csv_io`, or SKOS parsed
    into it), with the status each row gives. Sysadmins only.

    Parents are applied before their narrower terms. Each row is applied whole or not at all; rows that
    fail are reported with their row number, term and field, and the others go through, unless
    ``atomic`` is true: then nothing is applied when any row fails.

    :param rows: list of row dicts
    :param atomic: apply all rows or none (optional, default false)
    :param progress: (Python callers only) called with 1 after each row
    :returns: ``created``, ``updated``, ``unchanged`` (slugs) and ``failed`` (``row``, ``term``, ``errors``)
    """
    tk.check_access("hhs_glossary_import", context, data_dict)
    user = _user(context)
    rows = data_dict.get("rows")
    if not isinstance(rows, list):
        raise tk.ValidationError({"rows": [tk._("Expected a list of rows")]})
    report: dict[str, list[Any]] = {"created": [], "updated": [], "unchanged": [], "failed": []}
    done: list[tuple[int, dict[str, Any], gm.Term]] = []
    progress = data_dict.get("progress") if callable(data_dict.get("progress")) else None
    for number, row in _parents_first(rows, report):
        if progress:
            progress(1)
        savepoint = model.Session.begin_nested()
        try:
            term, outcome = _import_row(row, user)
            savepoint.commit()
        except tk.ValidationError as e:
            savepoint.rollback()
            report["failed"].append({"row": number, "term": row.get("name"), "errors": e.error_dict})
            continue
        report[outcome].append(term.slug)
        done.append((number, row, term))
    # Related terms may point forward in the file: linked once every row is in.
    for number, row, term in done:
        savepoint = model.Session.begin_nested()
        try:
            related, errors = tk.navl_validate(
                {"related": row.get("relatedTerms") or []}, schema.term_related(), context
            )
            if errors:
                raise tk.ValidationError(errors)
            related.setdefault("related", [])
            before = gm.snapshot(term)
            _apply_links(term, related)
            if gm.snapshot(term) != before and term.slug in report["unchanged"]:
                report["unchanged"].remove(term.slug)
                report["updated"].append(term.slug)
                _revise(term, user, "import", "imported")
            savepoint.commit()
        except tk.ValidationError as e:
            savepoint.rollback()
            report["failed"].append(
                {
                    "row": number,
                    "term": term.slug,
                    "errors": {**e.error_dict, "note": ["the term was imported without its related terms"]},
                }
            )
    if report["failed"] and _flag(data_dict, "atomic"):
        model.Session.rollback()
        return {"created": [], "updated": [], "unchanged": [], "failed": report["failed"], "applied": False}
    model.Session.commit()
    return {**report, "applied": True}


def _parents_first(rows: list[Any], report: dict[str, list[Any]]) -> list[tuple[int, dict[str, Any]]]:
    """(CSV line number, row) with each row after the row of its parent; rows in a parent loop fail."""
    pending = {}
    for number, row in enumerate(rows, start=2):  # line 1 of a CSV is its header
        if not isinstance(row, dict) or not row.get("name"):
            report["failed"].append({"row": number, "term": None, "errors": {"name": [tk._("Missing value")]}})
        elif row["name"] in pending:
            report["failed"].append(
                {
                    "row": number,
                    "term": row["name"],
                    "errors": {"name": [tk._("The same name appears twice in the file")]},
                }
            )
        else:
            pending[row["name"]] = (number, row)
    ordered = []
    while pending:
        ready = [name for name, (_, row) in pending.items() if row.get("parent") not in pending]
        if not ready:
            for name, (number, _row) in pending.items():
                report["failed"].append(
                    {
                        "row": number,
                        "term": name,
                        "errors": {
                            "parent": [
                                tk._("{term}: broader terms loop: {chain}").format(
                                    term=name, chain=_loop(pending, name)
                                )
                            ]
                        },
                    }
                )
            break
        for name in ready:
            ordered.append(pending.pop(name))
    return ordered


def _loop(pending: dict[str, tuple[int, dict[str, Any]]], start: str) -> str:
    chain, name = [start], pending[start][1].get("parent")
    while name in pending and name not in chain:
        chain.append(name)
        name = pending[name][1].get("parent")
    return " → ".join([*chain, name or ""])


def _import_row(row: dict[str, Any], user: model.User) -> tuple[gm.Term, str]:
    data = {
        "slug": row["name"],
        "label": row.get("displayName") or row["name"],
        "definition": row.get("description", ""),
        "explanation": row.get("explanation", ""),
        "example": row.get("example", ""),
        "abbreviation": row.get("abbreviation", ""),
        "synonyms": row.get("synonyms", []),
        "sensitivity": row.get("tags", []),
        "references": row.get("references", []),
        "exact_matches": row.get("exactMatches", []),
        "steward": row.get("steward", ""),
        "parent": row.get("parent", ""),
    }
    data, errors = tk.navl_validate(data, schema.term_create(), {"user": user.name})
    status = row.get("status") or "approved"
    if status not in gm.STATUSES:
        errors["status"] = [
            tk._("{status!r} is not one of {statuses}").format(status=status, statuses=", ".join(gm.STATUSES))
        ]
    if errors:
        raise tk.ValidationError(errors)
    term = gm.Term.by_slug_or_id(data["slug"])
    before = gm.snapshot(term) if term else None
    if term is None:
        term = gm.Term(proposed_by=user.id)
        model.Session.add(term)
    # A row gives the whole term: what it leaves empty is emptied.
    for field in (*gm.LIST_FIELDS, "explanation", "example", "abbreviation", "steward", "parent"):
        data.setdefault(field, [] if field in gm.LIST_FIELDS else "")
    _apply(term, data)
    term.status = status
    model.Session.flush()
    _apply_links(term, {"parent": data["parent"]})
    outcome = "created" if before is None else "unchanged" if gm.snapshot(term) == before else "updated"
    if outcome != "unchanged":
        _revise(term, user, "import", "imported")
    model.Session.flush()
    return term, outcome


# ---------------------------------------------------------------- helpers


def _flag(data_dict: DataDict, key: str) -> bool:
    """A true/false parameter of an action without a schema; anything else is the field's error."""
    try:
        return tk.get_validator("boolean_validator")(data_dict.get(key), {})
    except tk.Invalid as e:
        raise tk.ValidationError({key: [e.error]}) from e


def _label(status: str) -> str:
    return status.replace("_", " ")


def _user(context: Context, required: bool = True) -> model.User | None:
    user = model.User.get(context.get("user") or "")
    if user is None and required:
        raise tk.NotAuthorized(tk._("You must be logged in"))
    return user


def _get(ref: str, field: str = "id", viewer: Any = ANYONE) -> gm.Term:
    """The term `ref` names; one the viewer may not see is not found either (its existence is not told)."""
    term = gm.Term.by_slug_or_id(ref)
    if term is None or (viewer is not ANYONE and not permissions.may_see(viewer, term)):
        if field == "id":
            raise tk.ObjectNotFound(tk._("Glossary term not found: {term}").format(term=ref))
        raise tk.ValidationError({field: [tk._('"{term}" is not a glossary term').format(term=ref)]})
    return term


def _pending(term: gm.Term, number: Any) -> gm.Revision:
    revision = (
        model.Session.query(gm.Revision)
        .filter(gm.Revision.term_id == term.id, gm.Revision.number == int(number), gm.Revision.pending.is_(True))
        .first()
    )
    if revision is None:
        raise tk.ValidationError(
            {"revision": [tk._("Term {term} has no pending change {n}").format(term=term.slug, n=number)]}
        )
    return revision


def _edits_directly(user: model.User, term: gm.Term) -> bool:
    if permissions.is_reviewer(user.name):
        return True
    return term.status not in permissions.PUBLIC_STATUSES and permissions.may_edit(user, term)


def _apply(term: gm.Term, data: dict[str, Any]) -> None:
    """Set the plain fields of a term from validated input; links are set by `_apply_links`."""
    old_definition = term.definition
    for field in (*gm.TEXT_FIELDS, *gm.LIST_FIELDS):
        if field in data:
            setattr(term, field, data[field])
    if "slug" in data:
        clash = model.Session.query(gm.Term.id).filter(gm.Term.slug == data["slug"], gm.Term.id != term.id).first()
        if clash:
            raise tk.ValidationError({"slug": [tk._('A term named "{slug}" already exists').format(slug=data["slug"])]})
    if "steward" in data:
        term.steward_org_id = _organization_id(data["steward"]) if data["steward"] else None
    term.search_text = " ".join(
        similarity.normalise(n) for n in (term.label, term.abbreviation or "", *(term.synonyms or [])) if n
    )
    # The definition's embedding is kept while comparing by meaning; `ckan hhs glossary embed` fills gaps.
    by_meaning = glossary_config.similar_by_meaning()
    if term.definition != old_definition or (by_meaning and term.definition_embedding is None):
        term.definition_embedding = similarity.meaning(term.definition) if by_meaning else None
    term.modified = values.now()


def _apply_links(term: gm.Term, data: dict[str, Any], viewer: Any = ANYONE) -> None:
    """Parent and related terms: they must exist (for the viewer), and the hierarchy may not loop."""
    if "parent" in data:
        parent = _get(data["parent"], field="parent", viewer=viewer) if data["parent"] else None
        if parent:
            chain, node = [term.slug], parent
            while node is not None:
                chain.append(node.slug)
                if node.id == term.id:
                    raise tk.ValidationError(
                        {
                            "parent": [
                                tk._("{term}: a broader term may not loop back: {chain}").format(
                                    term=term.slug, chain=" → ".join(chain)
                                )
                            ]
                        }
                    )
                node = model.Session.get(gm.Term, node.parent_id) if node.parent_id else None
        term.parent_id = parent.id if parent else None
    if "related" in data:
        model.Session.query(gm.Relation).filter(gm.Relation.term_id == term.id).delete()
        for item in data["related"]:
            other = _get(item["term"], field="related", viewer=viewer)
            if other.id == term.id:
                raise tk.ValidationError(
                    {"related": [tk._("{term} cannot be related to itself").format(term=term.slug)]}
                )
            model.Session.add(gm.Relation(term_id=term.id, related_id=other.id, relation_type=item["type"]))
    model.Session.flush()


def _proposed(term: gm.Term, data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot a pending change would give, checked now (slug clash, links) without changing the term."""
    proposal = {k: v for k, v in data.items() if k not in ("id", "message")}
    with model.Session.no_autoflush:
        nested = model.Session.begin_nested()
        try:
            _apply(term, proposal)
            _apply_links(term, proposal)
        finally:
            nested.rollback()
    model.Session.refresh(term)
    return proposal


def _organization_id(ref: str) -> str:
    org = model.Group.get(ref)
    if org is None or not org.is_organization:
        raise tk.ValidationError({"steward": [tk._('"{org}" is not a division').format(org=ref)]})
    return org.id


def _revise(
    term: gm.Term,
    user: model.User,
    action: str,
    message: str,
    pending: bool = False,
    data: dict[str, Any] | None = None,
) -> gm.Revision:
    number = (
        model.Session.query(sa.func.max(gm.Revision.number)).filter(gm.Revision.term_id == term.id).scalar() or 0
    ) + 1
    revision = gm.Revision(
        term_id=term.id,
        number=number,
        user_id=user.id,
        action=action,
        message=message or "",
        data=data if data is not None else gm.snapshot(term),
        pending=pending,
    )
    model.Session.add(revision)
    return revision


def _names(terms: list[gm.Term]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The steward divisions and proposers of a page of terms, read in two queries rather than two per term."""
    org_ids = {t.steward_org_id for t in terms if t.steward_org_id}
    user_ids = {t.proposed_by for t in terms if t.proposed_by}
    orgs = model.Session.query(model.Group.id, model.Group.name, model.Group.title).filter(model.Group.id.in_(org_ids))
    users = model.Session.query(model.User.id, model.User.name).filter(model.User.id.in_(user_ids))
    return (
        {gid: {"name": name, "title": title} for gid, name, title in (orgs if org_ids else [])},
        dict(users.all()) if user_ids else {},
    )


def _dictize(
    term: gm.Term,
    full: bool = False,
    viewer: Any = ANYONE,
    names: tuple[dict[str, Any], dict[str, str]] | None = None,
    seen: sa.ColumnElement[bool] | None = None,
) -> dict[str, Any]:
    """A term as the actions return it; linked terms the viewer may not see are left out. For a list of
    terms, `names` are the steward divisions and proposers already read (`_names`) and `seen` the viewer's
    permissions.visible filter."""
    orgs, users = names or _names([term])
    # What the viewer may see, worked out once for the term's links (queries of its own each time before).
    if seen is None and viewer is not ANYONE and (full or term.parent_id or term.replaced_by_id):
        seen = permissions.visible(viewer)
    out: dict[str, Any] = {f: getattr(term, f) for f in (*gm.TEXT_FIELDS, *gm.LIST_FIELDS)}
    out.update(
        id=term.id,
        status=term.status,
        review_note=term.review_note,
        created=term.created.isoformat(),
        modified=term.modified.isoformat(),
        parent=_brief(term.parent_id, seen),
        replaced_by=_brief(term.replaced_by_id, seen),
        steward=orgs.get(term.steward_org_id),
        proposed_by=users.get(term.proposed_by),
    )
    if full:
        children = model.Session.query(gm.Term).filter(gm.Term.parent_id == term.id)
        if seen is not None:
            children = children.filter(seen)
        out["narrower"] = [
            {"slug": c.slug, "label": c.label, "status": c.status} for c in children.order_by(gm.Term.label)
        ]
        related = [(_brief(r.related_id, seen), r.relation_type) for r in gm.relations_of(term.id)]
        out["related"] = [{**brief, "type": kind} for brief, kind in related if brief]
        out["pending_changes"] = [
            r.number
            for r in model.Session.query(gm.Revision.number).filter(
                gm.Revision.term_id == term.id, gm.Revision.pending.is_(True)
            )
        ]
    return out


def _brief(term_id: str | None, seen: sa.ColumnElement[bool] | None = None) -> dict[str, str] | None:
    """Slug, label and status of a linked term; `seen` (permissions.visible) leaves out one the viewer may not see."""
    if not term_id:
        return None
    query = model.Session.query(gm.Term.slug, gm.Term.label, gm.Term.status).filter(gm.Term.id == term_id)
    if seen is not None:
        query = query.filter(seen)
    row = query.first()
    return {"slug": row[0], "label": row[1], "status": row[2]} if row else None


def _similar_to(term: gm.Term, viewer: model.User | None) -> list[dict[str, Any]]:
    return _similar([term.label, term.abbreviation or "", *(term.synonyms or [])], term.definition, term.id, viewer)


def _similar(names: list[str], definition: str, exclude: str | None, viewer: model.User | None) -> list[dict[str, Any]]:
    by_meaning = glossary_config.similar_by_meaning()
    rows = model.Session.query(
        gm.Term.id,
        gm.Term.label,
        gm.Term.abbreviation,
        gm.Term.synonyms,
        gm.Term.definition,
        gm.Term.definition_embedding if by_meaning else sa.null(),
    ).filter(gm.Term.status.in_(("approved", "in_review", "draft", "deprecated")), permissions.visible(viewer))
    candidates = [
        similarity.Candidate(tid, [label, abbr or "", *(syn or [])], definition_, vector)
        for tid, label, abbr, syn, definition_, vector in rows
        if tid != exclude
    ]
    found = similarity.similar(names, definition, candidates, by_meaning=by_meaning)
    return [{**_brief(f["id"]), "score": f["score"], "reason": f["reason"]} for f in found]
