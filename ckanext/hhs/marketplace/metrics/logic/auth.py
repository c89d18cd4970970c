"""Auth function of the marketplace figures."""

from __future__ import annotations

from ckan.types import AuthResult, Context, DataDict

from ... import permissions


@permissions.staff
def hhs_marketplace_metrics(context: Context, data_dict: DataDict) -> AuthResult:
    return permissions.OK  # aggregates only
