"""Actions of the lakehouse: register tables, refresh and show their metadata, map columns to glossary
terms and show the join keys they make, preview tables and query them read-only."""

from __future__ import annotations

import difflib
import functools
import re
import time
from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.hhs import roles
from ckanext.hhs.context import fresh
from ckanext.hhs.logic.validation import validate

from .. import config, jobs, query, readers
from .. import model as lm
from . import schema

# Only the actions are registered (blanket exports __all__); the other public functions are for the
# plugin's hooks and jobs.
__all__ = [
    "hhs_lakehouse_table_register",
    "hhs_lakehouse_table_refresh",
    "hhs_lakehouse_table_show",
    "hhs_lakehouse_table_list",
    "hhs_lakehouse_column_suggest",
    "hhs_lakehouse_column_confirm",
    "hhs_lakehouse_join_keys",
    "hhs_lakehouse_preview",
    "hhs_lakehouse_query",
]

_SLUG = re.compile(r"[^a-z0-9]+")


# ---------------------------------------------------------------- helpers


def _resource(context: Context, resource_id: str) -> dict[str, Any]:
    return tk.get_action("resource_show")(fresh(context, check_auth=True), {"id": resource_id})


def _row(resource_id: str) -> lm.LakehouseTable:
    row = model.Session.get(lm.LakehouseTable, resource_id)
    if row is None:
        raise tk.ObjectNotFound(tk._("This resource has no registered lakehouse table"))
    return row


def _sql_name(package: model.Package, resource: dict[str, Any]) -> str:
    def slug(text: str) -> str:
        return _SLUG.sub("_", text.lower()).strip("_")

    base = f"{slug(package.name)}__{slug(resource.get('name') or 'table')}"[:60]
    taken = model.Session.query(lm.LakehouseTable).filter(
        lm.LakehouseTable.sql_name == base, lm.LakehouseTable.resource_id != resource["id"]
    )
    return f"{base}_{resource['id'][:8]}" if taken.first() else base


def location(row: lm.LakehouseTable) -> config.Location:
    try:
        return config.resolve(row.table_uri, config.division_of(row.package_id))
    except config.RefusedURI as e:
        raise tk.ValidationError({"table_uri": [str(e)]}) from e


def reveals_paths(context: Context) -> bool:
    """Only sysadmins see where tables are on the server (or in which bucket)."""
    return authz.is_sysadmin(context.get("user"))


def _public(context: Context, text: str) -> str:
    return text if reveals_paths(context) else config.hide_paths(text)


def _dictize(row: lm.LakehouseTable, context: Context) -> dict[str, Any]:
    meta = row.meta or {}
    reveal = reveals_paths(context)
    return {
        "resource_id": row.resource_id,
        "package_id": row.package_id,
        "table_uri": row.table_uri if reveal else config.neutral_name(row.package_id),
        "table_format": row.table_format,
        "sql_name": row.sql_name,
        "status": row.status,
        "error": _public(context, row.error) if row.error else row.error,
        "columns": meta.get("columns", []),
        "rows": meta.get("rows"),
        "files": meta.get("files"),
        "bytes": meta.get("bytes"),
        "partitioning": meta.get("partitioning", []),
        "version": meta.get("version"),
        "committed": row.committed.isoformat() if row.committed else None,
        "refreshed": row.refreshed.isoformat() if row.refreshed else None,
        "freshness": meta.get("freshness"),
        "stale": row.stale,
        "last_drift": meta.get("last_drift"),
        "allow_phi_preview": row.allow_phi_preview,
    }


def _overlap(a: config.Location, b: config.Location) -> bool:
    return a.scheme == b.scheme and (a.uri == b.uri or a.uri.startswith(b.uri + "/") or b.uri.startswith(a.uri + "/"))


def may_guard_phi(user_name: str | None, package_id: str) -> bool:
    """Sysadmins and the dataset's division admins: who may allow PHI previews, and so who may do what
    would lift the PHI gate another way (move a table, declassify a dataset that has tables)."""
    user = model.User.get(user_name or "")
    package = model.Package.get(package_id)
    return bool(user and package and (user.sysadmin or _is_org_admin(user, package.owner_org)))


def claim_errors(user_name: str | None, package_id: str, resource_id: str | None, uri: str) -> list[str]:
    """Why this resource may not read the table at uri: a table is registered once, on one resource (else
    an editor could register a PHI dataset's table again on a public, non-PHI dataset and preview it
    there), and moving a registered table to another location is for the division's admins. A URI
    config.resolve() refuses is left to the caller, which explains it."""
    try:
        wanted = config.resolve(uri, config.division_of(package_id))
    except config.RefusedURI:
        return []
    own = model.Session.get(lm.LakehouseTable, resource_id) if resource_id else None
    if own is not None and not may_guard_phi(user_name, package_id):
        try:
            moved = config.resolve(own.table_uri).uri != wanted.uri
        except config.RefusedURI:
            moved = True
        if moved:
            return [tk._("Only the division's admins may move a registered table to another location")]
    others = model.Session.query(lm.LakehouseTable).filter(lm.LakehouseTable.resource_id != (resource_id or ""))
    for other in others:
        try:
            theirs = config.resolve(other.table_uri)
        except config.RefusedURI:
            continue
        if _overlap(wanted, theirs):
            # Which dataset holds it is not said: it may be private.
            return [tk._("A table is registered once: this location is, holds or lies inside another resource's")]
    return []


def upsert(package_id: str, resource: dict[str, Any], uri: str, fmt: str, user_id: str | None) -> lm.LakehouseTable:
    """Register (or re-point) a resource's table; the caller has checked the URI and format."""
    row = model.Session.get(lm.LakehouseTable, resource["id"])
    package = model.Package.get(package_id)
    if row is None:
        row = lm.LakehouseTable(resource_id=resource["id"], package_id=package_id, registered_by=user_id, meta={})
        model.Session.add(row)
    if row.table_uri != uri or row.table_format != fmt:
        row.status, row.error, row.meta = "pending", None, {}
    row.table_uri, row.table_format = uri, fmt
    row.sql_name = _sql_name(package, resource)
    row.modified = lm.now()
    return row


def enqueue_refresh(resource_ids: list[str]) -> str:
    job = tk.enqueue_job(jobs.refresh, [resource_ids], title="hhs_lakehouse: refresh table metadata")
    return job.id


# ---------------------------------------------------------------- register, refresh, show


@validate(schema.table_register)
def hhs_lakehouse_table_register(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Register a resource's lakehouse table (its URI under an allowed root and its format) and queue a
    refresh of its metadata. Given a URI or format, the resource is updated with them first.

    :param id: the resource's id
    :param table_uri: the table's location: an absolute local path, file:// or s3:// URI (optional:
        the resource's own)
    :param table_format: delta, iceberg or parquet (optional: the resource's own)
    :param allow_phi_preview: let authorised users preview it although the dataset holds identifiable
        PHI (optional; the division's admins only)
    :param queue: queue the refresh as a background job (default true); false reads it now
    :returns: the registered table (see ``hhs_lakehouse_table_show``)
    """
    tk.check_access("hhs_lakehouse_table_register", context, data_dict)
    resource = _resource(context, data_dict["id"])
    # The stored values: resource_show names the location neutrally for others than sysadmins.
    stored = model.Resource.get(resource["id"]).extras
    uri = data_dict.get("table_uri") or stored.get("table_uri") or ""
    fmt = (data_dict.get("table_format") or stored.get("table_format") or "").lower()
    errors: dict[str, list[str]] = {}
    if fmt not in readers.FORMATS:
        errors["table_format"] = [tk._("Choose delta, iceberg or parquet")]
    package = model.Package.get(resource["package_id"])
    try:
        config.resolve(uri, config.division_of(package.id))
    except config.RefusedURI as e:
        errors["table_uri"] = [str(e)]
    else:
        claimed = claim_errors(context.get("user"), package.id, resource["id"], uri)
        if claimed:
            errors["table_uri"] = claimed
    if "allow_phi_preview" in data_dict and not may_guard_phi(context.get("user"), package.id):
        errors["allow_phi_preview"] = [tk._("Only the division's admins may allow previews of PHI")]
    if errors:
        raise tk.ValidationError(errors)
    changes = {k: v for k, v in (("table_uri", uri), ("table_format", fmt)) if stored.get(k) != v}
    if changes or resource.get("resource_kind") != "lakehouse":
        patch_context = {**fresh(context, check_auth=True), "hhs_lakehouse_registering": True}
        resource = tk.get_action("resource_patch")(
            patch_context, {"id": resource["id"], "resource_kind": "lakehouse", **changes}
        )
    user = model.User.get(context.get("user") or "")
    row = upsert(package.id, resource, uri, fmt, user.id if user else None)
    if "allow_phi_preview" in data_dict:
        row.allow_phi_preview = bool(data_dict["allow_phi_preview"])
    model.Session.commit()
    if data_dict["queue"]:
        enqueue_refresh([row.resource_id])
    else:
        jobs.refresh([row.resource_id])
    return _dictize(_row(resource["id"]), context)


def _is_org_admin(user: model.User, org_id: str | None) -> bool:
    return bool(org_id) and authz.has_user_permission_for_group_or_org(org_id, user.name, "admin")


@validate(schema.table_refresh)
def hhs_lakehouse_table_refresh(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Re-read the metadata of one registered table, or of every one (sysadmins).

    :param id: the resource's id (unless all)
    :param all: refresh every registered table (default false)
    :param queue: queue a background job (default true) or read now
    :returns: ``job_id`` when queued, else ``results`` (each table's id, status, error, drift, stale)
    """
    tk.check_access("hhs_lakehouse_table_refresh", context, data_dict)
    if data_dict["all"]:
        ids = [r for (r,) in model.Session.query(lm.LakehouseTable.resource_id).order_by(lm.LakehouseTable.created)]
    elif data_dict.get("id"):
        _resource(context, data_dict["id"])
        ids = [_row(data_dict["id"]).resource_id]
    else:
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    if data_dict["queue"]:
        return {"job_id": enqueue_refresh(ids), "count": len(ids)}
    results = [{**r, "error": _public(context, r["error"])} if r.get("error") else r for r in jobs.refresh(ids)]
    return {"results": results, "count": len(ids)}


@tk.side_effect_free
@validate(schema.table_ref)
def hhs_lakehouse_table_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A registered table's metadata as the last refresh read it: columns (name, type, nullable, the
    glossary term each is mapped to), rows, files, bytes, partitioning, version or snapshot, commit time,
    freshness against the dataset's update frequency, the last schema drift, and status or error.

    :param id: the resource's id
    """
    tk.check_access("hhs_lakehouse_table_show", context, data_dict)
    resource = _resource(context, data_dict["id"])
    out = _dictize(_row(resource["id"]), context)
    terms = {m.get("column"): m.get("term") for m in resource.get("column_terms") or []}
    for column in out["columns"]:
        column["term"] = terms.get(column["name"])
    return out


@tk.side_effect_free
@validate(schema.table_list)
def hhs_lakehouse_table_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Registered tables of the datasets the caller may see (the governance dashboard counts stale ones).

    :param package_id: only this dataset's tables (optional)
    :param stale: only stale (true) or fresh (false) tables (optional)
    :param limit: (optional, default 100)
    :param offset: (optional)
    :returns: ``count``, ``stale`` (how many of them are stale) and ``results``
    """
    tk.check_access("hhs_lakehouse_table_list", context, data_dict)
    q = model.Session.query(lm.LakehouseTable).order_by(lm.LakehouseTable.created)
    if data_dict.get("package_id"):
        package = model.Package.get(data_dict["package_id"])
        q = q.filter(lm.LakehouseTable.package_id == (package.id if package else data_dict["package_id"]))
    if "stale" in data_dict:
        q = q.filter(lm.LakehouseTable.stale.is_(bool(data_dict["stale"])))
    may_read = functools.cache(lambda package_id: roles.may_read(context.get("user"), package_id))
    visible = [row for row in q if may_read(row.package_id)]
    page = visible[data_dict["offset"] : data_dict["offset"] + data_dict["limit"]]
    results = [_dictize(r, context) for r in page]
    return {"count": len(visible), "stale": sum(r.stale for r in visible), "results": results}


# ---------------------------------------------------------------- columns, terms and join keys


def _words(text: str) -> str:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text or "")
    return " ".join(_SLUG.sub(" ", spaced.lower()).split())


@tk.side_effect_free
@validate(schema.table_ref)
def hhs_lakehouse_column_suggest(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Glossary terms suggested for the table's unmapped columns, from their names and the approved
    terms' labels, abbreviations and synonyms; a steward confirms them with ``hhs_lakehouse_column_confirm``.

    :param id: the resource's id
    :returns: ``column``, ``term`` (slug), ``label``, ``score`` (0-1) and ``reason`` of each suggestion
    """
    tk.check_access("hhs_lakehouse_column_suggest", context, data_dict)
    table = tk.get_action("hhs_lakehouse_table_show")(fresh(context, check_auth=True), {"id": data_dict["id"]})
    terms = tk.get_action("hhs_glossary_term_list")(
        fresh(context, check_auth=True), {"status": "approved", "limit": 1000}
    )
    names = []
    for term in terms["results"]:
        for name, reason in (
            (term.get("label"), "label"),
            (term.get("abbreviation"), "abbreviation"),
            *((s, "synonym") for s in term.get("synonyms") or []),
        ):
            if name:
                names.append((_words(name), reason, term))
    out = []
    for column in table["columns"]:
        if column.get("term"):
            continue
        wanted = _words(column["name"])
        best: tuple[float, str, dict[str, Any]] | None = None
        for name, reason, term in names:
            if name == wanted:
                score, why = 1.0, f"column name is the term's {reason}"
            else:
                ratio = difflib.SequenceMatcher(None, wanted, name).ratio()
                words_in = set(name.split()) <= set(wanted.split()) and len(name) > 2
                score = max(ratio, 0.8 if words_in else 0)
                why = (
                    f"column name contains the term's {reason}"
                    if words_in
                    else f"column name is like the term's {reason}"
                )
            if score >= 0.75 and (best is None or score > best[0]):
                best = (round(score, 2), why, term)
        if best:
            out.append(
                {
                    "column": column["name"],
                    "term": best[2]["slug"],
                    "label": best[2]["label"],
                    "score": best[0],
                    "reason": best[1],
                }
            )
    return out


@validate(schema.column_confirm)
def hhs_lakehouse_column_confirm(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Map a column of the table to an approved glossary term (or remove its mapping); the mapping is kept
    in the resource's "Columns and glossary terms".

    :param id: the resource's id
    :param column: the column's name, as the table has it
    :param term: the approved term's slug (unless remove)
    :param remove: remove the column's mapping (optional)
    :returns: the resource's column mappings
    """
    tk.check_access("hhs_lakehouse_column_confirm", context, data_dict)
    table = tk.get_action("hhs_lakehouse_table_show")(fresh(context, check_auth=True), {"id": data_dict["id"]})
    column = data_dict["column"]
    if column not in {c["name"] for c in table["columns"]}:
        raise tk.ValidationError({"column": [tk._("The table has no column {column}").format(column=column)]})
    if not data_dict.get("remove"):
        if not data_dict.get("term"):
            raise tk.ValidationError({"term": [tk._("Missing value")]})
        try:
            term = tk.get_action("hhs_glossary_term_show")(fresh(context, check_auth=True), {"id": data_dict["term"]})
        except (tk.ObjectNotFound, tk.NotAuthorized) as e:
            raise tk.ValidationError({"term": [tk._("No such glossary term")]}) from e
        if term.get("status") != "approved":
            raise tk.ValidationError({"term": [tk._("Only approved terms may be mapped")]})
    resource = _resource(context, data_dict["id"])
    mappings = [m for m in resource.get("column_terms") or [] if m.get("column") != column]
    if not data_dict.get("remove"):
        mappings.append({"column": column, "term": term["slug"]})
    updated = tk.get_action("resource_patch")(
        fresh(context, check_auth=True), {"id": resource["id"], "column_terms": mappings}
    )
    return updated.get("column_terms") or []


@tk.side_effect_free
@validate(schema.table_ref)
def hhs_lakehouse_join_keys(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The join keys of a table: for each mapped column, the columns of other datasets (the caller may
    see) that hold the same glossary term, from ``hhs_glossary_term_columns``.

    :param id: the resource's id
    :returns: ``column``, ``term`` and ``links`` (dataset, division, resource, column, and ``sql_name``
        when that resource's table is registered) of each mapped column
    """
    tk.check_access("hhs_lakehouse_join_keys", context, data_dict)
    resource = _resource(context, data_dict["id"])
    out = []
    for mapping in resource.get("column_terms") or []:
        try:
            columns = tk.get_action("hhs_glossary_term_columns")(
                fresh(context, check_auth=True), {"id": mapping["term"]}
            )
        except (tk.ObjectNotFound, tk.NotAuthorized):
            continue
        links = [c for c in columns if c["resource"]["id"] != resource["id"]]
        if not links:
            continue
        registered = dict(
            model.Session.query(lm.LakehouseTable.resource_id, lm.LakehouseTable.sql_name).filter(
                lm.LakehouseTable.resource_id.in_([c["resource"]["id"] for c in links])
            )
        )
        for link in links:
            link["sql_name"] = registered.get(link["resource"]["id"])
        out.append({"column": mapping["column"], "term": mapping["term"], "links": links})
    return out


# ---------------------------------------------------------------- preview and query


def _audit(context: Context, kind: str, sql: str, tables: list[str], status: str, **extra: Any) -> None:
    user = model.User.get(context.get("user") or "")
    model.Session.add(
        lm.QueryLog(user_id=user.id if user else None, kind=kind, sql=sql, tables=tables, status=status, **extra)
    )
    model.Session.commit()


@tk.side_effect_free
@validate(schema.preview)
def hhs_lakehouse_preview(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The first rows of a registered table, for users who may see its dataset (never for identifiable
    PHI unless the table allows previews). Audited.

    :param id: the resource's id
    :param rows: how many rows (optional; at most ``ckanext.hhs.lakehouse.preview_rows``)
    :returns: ``columns``, ``rows`` (lists of values), ``truncated`` and ``limit`` (which limit cut the
        rows: at most ``ckanext.hhs.lakehouse.query_max_bytes`` bytes and ``query_max_cells`` cells)
    """
    tk.check_access("hhs_lakehouse_preview", context, data_dict)
    resource = _resource(context, data_dict["id"])
    row = _row(resource["id"])
    limit = min(int(data_dict.get("rows") or config.preview_rows()), config.preview_rows())
    started = time.monotonic()
    try:
        # The same deadline and result limits as a query, from opening the table to JSON-ready rows.
        with readers.reading(config.query_timeout()):
            source = readers.arrow_source(location(row), row.table_format, limit=limit)
            left = config.query_timeout() - (time.monotonic() - started)
            if left <= 0:
                raise query.QueryTimeout(f"Opening the table took longer than {config.query_timeout()} s")
            result = query.preview(source, _limits(limit, left))
    except (readers.ReadError, query.QueryRefused, query.QueryTimeout) as e:
        status = "timeout" if isinstance(e, query.QueryTimeout) else "error"
        _audit(context, "preview", row.sql_name, [row.resource_id], status, error=str(e))
        raise tk.ValidationError({"id": [_public(context, str(e))]}) from e
    _audit(
        context, "preview", row.sql_name, [row.resource_id], "ok",
        rows=len(result.rows), ms=int((time.monotonic() - started) * 1000),
    )  # fmt: skip
    return {"columns": result.columns, "rows": result.rows, "truncated": result.truncated, "limit": result.limit}


def _limits(rows: int, seconds: float) -> query.Limits:
    return query.Limits(
        rows=rows,
        timeout=seconds,
        memory=config.query_memory(),
        bytes=config.query_max_bytes(),
        cells=config.query_max_cells(),
    )


@tk.side_effect_free
@validate(schema.query)
def hhs_lakehouse_query(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Run one read-only SELECT over registered tables, named by their ``sql_name``; joins across
    divisions are allowed over tables whose datasets the caller may see (and may preview). Parsed and
    checked with sqlglot, run by DuckDB with a time limit and a memory limit; the result holds at most
    ``limit`` rows, ``ckanext.hhs.lakehouse.query_max_bytes`` bytes and ``query_max_cells`` cells. Audited.

    :param sql: the SELECT query
    :param limit: most rows to return (optional; at most ``ckanext.hhs.lakehouse.query_max_rows``)
    :returns: ``columns``, ``rows``, ``truncated``, ``limit`` (when truncated, which limit cut it), ``ms``
        and ``datasets`` (name, title, division and table of each dataset the result drew on)
    """
    tk.check_access("hhs_lakehouse_query", context, data_dict)
    sql = data_dict["sql"]
    try:
        _, names = query.check(sql)
    except query.QueryRefused as e:
        _audit(context, "query", sql, [], "refused", error=str(e))
        raise tk.ValidationError({"sql": [str(e)]}) from e
    # A deleted resource's table keeps its registration (its location stays taken) but is not read.
    live = (
        model.Session.query(lm.LakehouseTable)
        .join(model.Resource, model.Resource.id == lm.LakehouseTable.resource_id)
        .filter(lm.LakehouseTable.sql_name.in_(sorted(names)), model.Resource.state == "active")
    )
    rows = {r.sql_name: r for r in live}
    sources, used = {}, []
    for name in sorted(names):
        row = rows.get(name)
        refusal = None
        if row is None:
            refusal = tk._("There is no registered table {name} you may read").format(name=name)
        else:
            try:
                tk.check_access("hhs_lakehouse_preview", fresh(context, check_auth=True), {"id": row.resource_id})
            except tk.NotAuthorized as e:
                # The same answer for a table that is not there and one the caller may not see.
                refusal = tk._("There is no registered table {name} you may read").format(name=name)
                if roles.may_read(context.get("user"), row.package_id):
                    refusal = str(e.message) or refusal
        if refusal:
            _audit(context, "query", sql, [], "refused", error=refusal)
            raise tk.ValidationError({"sql": [refusal]})
        used.append(row)
    started = time.monotonic()
    max_rows = min(int(data_dict.get("limit") or config.query_max_rows()), config.query_max_rows())
    try:
        # One deadline for opening the tables, reading them (every connection the readers open goes
        # through the fetch guard's proxy and is cut at it) and running the query.
        with readers.reading(config.query_timeout()):
            for row in used:
                sources[row.sql_name] = readers.arrow_source(
                    location(row), row.table_format, scan=query.scan_hints(sql, row.sql_name, max_rows)
                )
            left = config.query_timeout() - (time.monotonic() - started)
            if left <= 0:
                raise query.QueryTimeout(f"Opening the tables took longer than {config.query_timeout()} s")
            result = query.run(sql, sources, _limits(max_rows, left))
    except (query.QueryRefused, query.QueryTimeout, readers.ReadError) as e:
        status = "timeout" if isinstance(e, query.QueryTimeout) else "error"
        _audit(context, "query", sql, [r.resource_id for r in used], status, error=str(e),
               ms=int((time.monotonic() - started) * 1000))  # fmt: skip
        raise tk.ValidationError({"sql": [_public(context, str(e))]}) from e
    _audit(context, "query", sql, [r.resource_id for r in used], "ok", rows=len(result.rows), ms=result.ms)
    datasets = []
    for row in used:
        package = model.Package.get(row.package_id)
        org = model.Group.get(package.owner_org) if package.owner_org else None
        datasets.append(
            {
                "name": package.name,
                "title": package.title,
                "division": org.title if org else None,
                "table": row.sql_name,
                "resource_id": row.resource_id,
            }
        )
    return {
        "columns": result.columns,
        "rows": result.rows,
        "truncated": result.truncated,
        "limit": result.limit,
        "ms": result.ms,
        "datasets": datasets,
    }
