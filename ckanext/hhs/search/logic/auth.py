"""Auth functions of search by meaning."""

from __future__ import annotations

import ckan.authz as authz
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict


def hhs_search_rebuild(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": "Only sysadmins may rebuild the search vectors."}


@tk.auth_allow_anonymous_access
def hhs_search_suggest(context: Context, data_dict: DataDict) -> AuthResult:
    # Whoever may search may be helped; what they are shown is filtered as their search is.
    return authz.is_authorized("package_search", context, data_dict)
