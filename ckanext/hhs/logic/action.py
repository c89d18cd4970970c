"""Actions of the core plugin."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.hhs import completeness, divisions, roles, vocab
from ckanext.hhs.logic.validation import validate

from . import schema, validators


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


@tk.side_effect_free
@validate(schema.resource_guess)
def hhs_resource_guess(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What a resource's link tells about it: the resource form fills the name, format and media type
    from it while staff type a link (never over what they typed), and a resource created without a
    format gets them the same way.

    :param url: the resource's link, or an uploaded file's name
    :type url: string
    :returns: ``name`` (the last segment of the link's path), ``format`` and ``mimetype`` (from its
        extension), each only when the link tells it
    :rtype: dict
    """
    tk.check_access("hhs_resource_guess", context, data_dict)
    return validators.resource_guess(data_dict["url"])


# CKAN core's fields are strings, but its validators assume it: an owner_org, state or license_id
# that is a number, list or object, a tag_string that is a number, or a `resources` that is no list of
# objects (ckanext-scheming walks them before validating) failed with a TypeError or a database error,
# an HTTP 500 (found by tests/test_fuzz.py). They get a field error first.
@tk.chained_action
def package_create(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _check_core_types(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    _check_core_types(data_dict)
    # The edit form names the dataset by its URL name; CKAN core then writes its id in `id` itself,
    # but the chained updates before it (a harvested dataset's kept record, harvest/edits.py) validate
    # the update first, and a name in `id` failed there ("This key is read-only"): every form save of
    # an imported dataset dropped its source record. Core's step, taken first.
    name_or_id = data_dict.get("id") or data_dict.get("name")
    package = model.Package.get(name_or_id) if isinstance(name_or_id, str) else None
    if package is not None and data_dict.get("id") != package.id:
        data_dict = {**data_dict, "id": package.id}
    return up_func(context, data_dict)


CORE_TEXT = (
    "id", "name", "title", "notes", "url", "version", "type", "state", "owner_org", "license_id",
    "author", "author_email", "maintainer", "maintainer_email",
)  # fmt: skip


def _check_core_types(data_dict: DataDict) -> None:
    errors: dict[str, list[str]] = {}
    for field in CORE_TEXT:
        if data_dict.get(field) is not None and not isinstance(data_dict[field], str):
            errors[field] = [tk._("Must be a string")]
    tags = data_dict.get("tag_string")
    if tags is not None and not (isinstance(tags, str) or _all(tags, str)):
        errors["tag_string"] = [tk._("Must be a string of comma-separated tags, or a list of tags")]
    if "resources" in data_dict and not _all(data_dict["resources"], dict):
        errors["resources"] = [tk._("Must be a list of resources (objects)")]
    if errors:
        raise tk.ValidationError(errors)


def _all(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


# CKAN core lists every tag, also those that only private datasets carry (tag_list, tag_search,
# tag_autocomplete and the /api/2/util/tag/autocomplete page helper): a private dataset's distinctive
# keyword was there for anyone to read. A tag is kept when the caller may see an active dataset carrying it.
@tk.chained_action
@tk.side_effect_free
def tag_list(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    tags = up_func(context, data_dict)
    visible = _visible_tags(context, [t["name"] if isinstance(t, dict) else t for t in tags])
    return [t for t in tags if (t["name"] if isinstance(t, dict) else t) in visible]


@tk.chained_action
@tk.side_effect_free
def tag_autocomplete(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    names = up_func(context, data_dict)
    visible = _visible_tags(context, names)
    return [n for n in names if n in visible]


@tk.chained_action
@tk.side_effect_free
def tag_search(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    found = up_func(context, data_dict)
    visible = _visible_tags(context, [t["name"] for t in found["results"]])
    kept = [t for t in found["results"] if t["name"] in visible]
    return {**found, "count": found["count"] - (len(found["results"]) - len(kept)), "results": kept}


@tk.chained_action
@tk.side_effect_free
def tag_show(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    tag = up_func(context, data_dict)
    if tag["name"] not in _visible_tags(context, [tag["name"]]):
        raise tk.ObjectNotFound(tk._("Tag not found"))
    return tag


def _visible_tags(context: Context, names: list[str]) -> set[str]:
    user = roles.user_of(context)
    if not names or (user is not None and user.sysadmin):
        return set(names)
    query = (
        model.Session.query(model.Tag.name)
        .join(model.PackageTag, model.PackageTag.tag_id == model.Tag.id)
        .join(model.Package, model.Package.id == model.PackageTag.package_id)
        .filter(
            model.Tag.name.in_(names),
            model.PackageTag.state == "active",
            model.Package.state == "active",
            sa.or_(model.Package.private.is_(False), model.Package.owner_org.in_(roles.division_ids(user) or [""])),
        )
        .distinct()
    )
    return {name for (name,) in query}


# CKAN's dataset page asks for the views of each resource (about 30 on a CMS dataset), with one context.
# With no resource view plugin loaded, CKAN's answer is always empty (it drops views whose plugin is
# missing): the views are then not read, and the page's resources are read in one query, not one each.
# The resource must exist and the caller may read it, checked as CKAN checks them.
@tk.chained_action
@tk.side_effect_free
def resource_view_list(up_func: Action, context: Context, data_dict: DataDict) -> Any:
    if any(True for _ in p.PluginImplementations(p.IResourceView)):
        return up_func(context, data_dict)
    id_ = tk.get_or_bust(data_dict, "id")
    read: dict[str, model.Resource] = context.setdefault("hhs_resources", {})  # type: ignore[typeddict-unknown-key]
    resource = read.get(id_) or model.Resource.get(id_)
    if resource and id_ not in read:
        siblings = model.Session.query(model.Resource).filter(model.Resource.package_id == resource.package_id)
        read.update((r.id, r) for r in siblings)
    if not resource:
        raise tk.ObjectNotFound()
    context["resource"] = resource
    tk.check_access("resource_view_list", context, data_dict)
    return []
