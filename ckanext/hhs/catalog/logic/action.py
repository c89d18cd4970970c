"""Actions of the catalog feature."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.hhs import pod

from .. import copies, export


@tk.side_effect_free
def hhs_catalog_validate(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Check every record of a data.json listing against the official POD v1.1 dataset schema.

    :param division: limit to one division (organization name or id) (optional)
    :type division: string
    :param inventory: check the internal inventory (non-public datasets too) instead of the public
        catalog; needs the inventory permission (optional, default false)
    :type inventory: bool
    :returns: ``checked`` (count) and ``failures``: one per failing dataset, with ``identifier``,
        ``name`` and ``errors`` (``path``, ``message``)
    :rtype: dict
    """
    tk.check_access("hhs_catalog_validate", context, data_dict)
    try:
        inventory = tk.get_validator("boolean_validator")(data_dict.get("inventory"), {})
    except tk.Invalid as e:
        raise tk.ValidationError({"inventory": [e.error]}) from e
    division_id = None
    division = data_dict.get("division")
    if division not in (None, "") and (not isinstance(division, str) or "\x00" in division):
        raise tk.ValidationError({"division": [tk._("Give a division's name or id")]})
    if division:
        division_id = tk.get_action("organization_show")(
            {"user": context.get("user")}, {"id": data_dict["division"], "include_datasets": False}
        )["id"]
    checked, failures = 0, []
    user = context.get("user") if inventory else None
    for record in export.records(export.scope(division_id, inventory), user):
        checked += 1
        errors = pod.schema_errors("dataset.json", record)
        if errors:
            failures.append(
                {
                    "identifier": record.get("identifier"),
                    "title": record.get("title"),
                    "errors": [{"path": p, "message": m} for p, m in errors],
                }
            )
    return {"checked": checked, "failures": failures}


def _refused_without_redis(name: str) -> Action:
    """`name` chained: refused before it writes anything while Redis does not answer.

    The stored catalog copies learn of a write after its commit (plugin.py). With Redis gone that news
    would be lost: the writer got an error for a write that was stored, and a dataset that left the
    public catalog could go out again in an old copy once Redis is back. So such a write is refused
    with a 503 (nothing stored) as long as the copies cannot be told."""

    @tk.chained_action
    def action(up_func: Action, context: Context, data_dict: DataDict) -> Any:
        copies.reachable()
        return up_func(context, data_dict)

    action.__name__ = action.__qualname__ = name
    action.__doc__ = f"{name}, refused while Redis (the catalog copies) does not answer."
    return action


for _name in copies.WRITES:
    globals()[_name] = _refused_without_redis(_name)
