"""Auth functions of the harvest feature."""

from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.hhs import divisions
from ckanext.hhs.context import db_key


def hhs_catalog_import(context: Context, data_dict: DataDict) -> AuthResult:
    # The division is resolved and checked before anything is fetched. A server path reads the
    # server's disk: sysadmins only. A URL: the division's admins too.
    org = divisions.find(data_dict.get("division"))
    if org is None:
        return {"success": False, "msg": tk._("Catalogs are imported into an HHS division (an organization)")}
    user = context.get("user")
    if authz.is_sysadmin(user):
        return {"success": True}
    if not str(data_dict.get("source") or "").startswith(("http://", "https://")):
        return {"success": False, "msg": tk._("Only sysadmins may import a catalog from a server path")}
    allowed = bool(user) and authz.has_user_permission_for_group_or_org(org.id, user, "admin")
    return {"success": allowed, "msg": tk._("Only the division's admins may import its catalog")}


def hhs_catalog_import_status(context: Context, data_dict: DataDict) -> AuthResult:
    # The action checks that the job is the caller's own (or the caller is a sysadmin).
    if not context.get("user"):
        return {"success": False, "msg": tk._("Log in to see your imports")}
    return {"success": True}


# ckanext-harvest shows every harvested object to anyone; it holds what the source served. Its
# division's editors only, like the job reports (the run status is trimmed in logic/action.py).


@tk.chained_auth_function
def harvest_object_show(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    key = db_key(data_dict.get("id"))
    if not key:
        return {"success": False, "msg": tk._("Harvest object not found")}
    obj = HarvestObject.get(key)
    if obj is None:
        return next_auth(context, data_dict)  # the action's 404
    return _source_editor(context, obj.harvest_source_id)


@tk.chained_auth_function
def harvest_job_abort(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    # ckanext-harvest lets only sysadmins abort; a source's division admins may abort its jobs too (a
    # job its crashed consumer left running otherwise blocked their source until a sysadmin came).
    source = _abort_source(data_dict)
    user = context.get("user")
    if source is not None and user and authz.has_user_permission_for_group_or_org(source.owner_org, user, "admin"):
        return {"success": True}
    return next_auth(context, data_dict)


def _abort_source(data_dict: DataDict) -> model.Package | None:
    """The source whose job harvest_job_abort would abort: `source_id`, or `id` (a source or a job)."""
    key = db_key(data_dict.get("source_id") or data_dict.get("id"))
    if not key:
        return None
    source = model.Package.get(key)
    if source is None:
        job = HarvestJob.get(key)
        source = model.Package.get(job.source_id) if job is not None else None
    return source if source is not None and source.type == "harvest" and source.owner_org else None


def hhs_harvest_source_overlap(context: Context, data_dict: DataDict) -> AuthResult:
    # What the source's harvests brought in, against other divisions: for the source's editors.
    source = model.Package.get(db_key(data_dict.get("id")))
    if source is None or source.type != "harvest":
        return {"success": False, "msg": tk._("Harvest source not found")}
    return _source_editor(context, source.id)


def _source_editor(context: Context, source_id: str) -> AuthResult:
    try:
        tk.check_access("harvest_source_update", {"model": model, "user": context.get("user") or ""}, {"id": source_id})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Only the division's editors may see what its harvests read")}
    return {"success": True}
