"""Auth functions of search by meaning: only sysadmins (who pass every check) rebuild vectors."""

from __future__ import annotations

from ckan.types import AuthResult, Context, DataDict


def hhs_search_rebuild(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": "Only sysadmins may rebuild the search vectors."}
