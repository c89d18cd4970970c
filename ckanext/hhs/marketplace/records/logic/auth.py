"""Auth functions of data-use records: the request's parties and the Data Governance Board."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ... import model as mm
from ... import permissions


@permissions.staff
def hhs_marketplace_use_record_show(context: Context, data_dict: DataDict) -> AuthResult:
    request = permissions.get_object(mm.AccessRequest, data_dict)
    user = permissions.user_of(context)
    if request is None or permissions.is_party(request, user) or (user is not None and permissions.is_board(user.name)):
        return permissions.OK
    return permissions.refuse(
        tk._("Only the requester, the product's stewards and the Data Governance Board may read this record")
    )


@permissions.staff
def hhs_marketplace_use_record_export(context: Context, data_dict: DataDict) -> AuthResult:
    if permissions.is_board(context.get("user")):
        return permissions.OK
    return permissions.refuse(tk._("Only the Data Governance Board exports the data-use records"))
