"""Auth functions of data products' listings (the actions check that the caller may see the product)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ... import permissions


@permissions.staff
def hhs_marketplace_component_list(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # components of a product the caller may see (the action checks that)


@tk.auth_allow_anonymous_access
def hhs_marketplace_product_usage(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # aggregates of a product the caller may see (the action checks that)
