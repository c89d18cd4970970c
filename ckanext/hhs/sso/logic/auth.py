from __future__ import annotations

from ckan.types import AuthResult, Context, DataDict


def hhs_sso_sync(context: Context, data_dict: DataDict) -> AuthResult:
    """Only sysadmins (and the scheduler's `ckan hhs sso sync`) apply the provider's groups to everyone."""
    return {"success": False, "msg": "Only sysadmins may sync sign-in roles from the identity provider."}
