"""Actions of the core plugin."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic import validate
from ckan.types import Action, Context, DataDict

from ckanext.hhs import completeness, divisions, vocab

from . import schema


@validate(schema.divisions_seed)
def hhs_divisions_seed(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Create or update every HHS division as an organization; safe to run again.

    Divisions come from the package's data/divisions.csv (OMB bureau codes of agency 009).

    :param include_governance_board: also create the Data Governance Board organization
        (default: true)
    :type include_governance_board: bool
    :returns: the division names ``created``, ``updated`` and ``unchanged``
    :rtype: dict
    """
    tk.check_access("hhs_divisions_seed", context, data_dict)
    rows = divisions.load()
    if data_dict.get("include_governance_board", True):
        rows.append(divisions.governance_board())
    return divisions.seed(context, rows)


@tk.side_effect_free
def hhs_vocabulary_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The controlled lists of the HHS schemas: access levels, PHI classes, coding systems, ...

    :returns: a dict of list name to ``[{"value": ..., "label": ...}]``
    :rtype: dict
    """
    tk.check_access("hhs_vocabulary_list", context, data_dict)
    return {
        "access_level": vocab.choices(vocab.ACCESS_LEVELS),
        "phi_classification": vocab.choices(vocab.PHI_CLASSES),
        "sensitivity": vocab.choices(vocab.SENSITIVITY),
        "coding_system": vocab.choices(vocab.coding_systems()),
        "legal_basis": vocab.choices(vocab.LEGAL_BASES),
        "health_theme": vocab.choices(vocab.HEALTH_THEMES),
        "resource_kind": vocab.choices(vocab.RESOURCE_KINDS),
        "table_format": vocab.choices(vocab.TABLE_FORMATS),
        "division_kind": vocab.choices(vocab.DIVISION_KINDS),
        "bureau_code": [{"value": b.code, "label": b.name} for b in vocab.hhs_bureaus()],
    }


@tk.side_effect_free
@validate(schema.dataset_ref)
def hhs_dataset_completeness(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A dataset's metadata completeness: weighted share of recommended fields filled.

    :param id: the dataset id or name
    :type id: string
    :returns: ``percent``, ``band`` (high, medium, low) and the ``missing`` field labels
    :rtype: dict
    """
    tk.check_access("hhs_dataset_completeness", context, data_dict)
    pkg = tk.get_action("package_show")(dict(context), {"id": data_dict["id"]})
    return completeness.score(pkg)._asdict()


# ckanext-scheming walks a dataset's resources before validating it: a `resources` that is no list of
# objects (a number, a string) failed with a TypeError, an HTTP 500 (found by tests/test_fuzz.py).
@tk.chained_action
def package_create(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _resources_are_objects(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _resources_are_objects(data_dict)
    return up_func(context, data_dict)


def _resources_are_objects(data_dict: DataDict) -> None:
    resources = data_dict.get("resources")
    if resources is not None and not (isinstance(resources, list) and all(isinstance(r, dict) for r in resources)):
        raise tk.ValidationError({"resources": [tk._("Must be a list of resources (objects)")]})
