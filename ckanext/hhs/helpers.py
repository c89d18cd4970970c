"""Template helpers of the core plugin; the `*_choices` ones feed scheming's `choices_helper`.

Display helpers turn stored values into words, one per vocabulary (label from value), so the
scheming display snippets and the search pages never hold per-page string handling.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any

import cachetools
from markupsafe import Markup
from sqlalchemy.orm import selectinload

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.hhs import values

from . import completeness, vocab
from .collection import hhs_collection_members, hhs_collection_parent

log = logging.getLogger(__name__)

__all__ = [
    "humanize_entity_type",
    "user_image",
    "hhs_collection_members",
    "hhs_collection_parent",
    "hhs_bureau_label",
    "hhs_division_tiles",
    "hhs_drop_nav_items",
    "hhs_field_groups",
    "hhs_glossary_chips",
    "hhs_facet_label",
    "hhs_format_of",
    "hhs_frequency_options",
    "hhs_frequency_label",
    "hhs_home_figures",
    "hhs_is_download",
    "hhs_label",
    "hhs_license",
    "hhs_license_options",
    "hhs_main_nav",
    "hhs_popular_datasets",
    "hhs_recent_datasets",
    "hhs_structured_data",
    "markdown_extract",
    "hhs_sidebar_organization",
    "hhs_uswds_built",
    "hhs_access_level_choices",
    "hhs_bureau_code_choices",
    "hhs_coding_system_choices",
    "hhs_completeness",
    "hhs_division_choices",
    "hhs_division_kind_choices",
    "hhs_health_theme_choices",
    "hhs_legal_basis_choices",
    "hhs_phi_class_choices",
    "hhs_resource_kind_choices",
    "hhs_sensitivity_choices",
    "hhs_table_format_choices",
]


def hhs_access_level_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.ACCESS_LEVELS)


def hhs_phi_class_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.PHI_CLASSES)


def hhs_sensitivity_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.SENSITIVITY)


def hhs_coding_system_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.coding_systems())


def hhs_legal_basis_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.LEGAL_BASES)


def hhs_health_theme_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.HEALTH_THEMES)


def hhs_resource_kind_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.RESOURCE_KINDS)


def hhs_table_format_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.TABLE_FORMATS)


def hhs_division_kind_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return vocab.choices(vocab.DIVISION_KINDS)


def hhs_bureau_code_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    return [{"value": b.code, "label": f"{b.code} {b.name}"} for b in vocab.hhs_bureaus()]


def hhs_division_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    # organization_list caps all_fields at 25 rows; divisions are more.
    rows = (
        model.Session.query(model.Group.name, model.Group.title)
        .filter(model.Group.is_organization, model.Group.state == "active")
        .order_by(model.Group.title)
    )
    return [{"value": "", "label": ""}] + [{"value": name, "label": title} for name, title in rows]


def hhs_completeness(pkg_dict: dict[str, Any]) -> completeness.Score:
    return completeness.score(pkg_dict)


# ---------------------------------------------------------------- theme
_USWDS_CSS = os.path.join(os.path.dirname(__file__), "assets", "build", "uswds.css")


@functools.cache
def hhs_uswds_built() -> bool:
    """Whether `npm run build` made the USWDS theme; without it pages keep CKAN's look, not an error."""
    if os.path.exists(_USWDS_CSS):
        return True
    log.warning("The USWDS theme is not built (%s missing): run `npm ci && npm run build`", _USWDS_CSS)
    return False


# ---------------------------------------------------------------- wording
@tk.chained_helper
def humanize_entity_type(next_helper: Callable[..., Any], entity_type: str, object_type: str, purpose: str) -> Any:
    """HHS words for CKAN's: an organization is a Division ("Divisions", "Add Division", ...)."""
    if entity_type == "organization" and object_type == "organization":
        return next_helper(entity_type, "division", purpose)
    return next_helper(entity_type, object_type, purpose)


_NAV_ITEM = re.compile(r"<li[^>]*>.*?</li>", re.S)


def hhs_main_nav(tabs: str) -> Markup:
    """The main navigation CKAN and the feature plugins built, without CKAN's Groups (HHS has
    none) and with About last, after the tabs feature plugins add."""
    items = _NAV_ITEM.findall(str(tabs))
    groups = tk.h.url_for("group.index")
    about = tk.h.url_for("home.about")
    kept = [i for i in items if f'href="{groups}"' not in i]
    kept.sort(key=lambda i: f'href="{about}"' in i)
    return Markup("".join(kept))


def hhs_drop_nav_items(tabs: str, *hrefs: str) -> Markup:
    """Navigation items CKAN and plugins built, without those linking to `hrefs` (e.g. Groups)."""
    items = _NAV_ITEM.findall(str(tabs))
    return Markup("".join(i for i in items if not any(f'href="{href}"' in i for href in hrefs)))


@tk.chained_helper
def user_image(next_helper: Callable[..., Any], user_id: str, size: int = 100) -> Any:
    """A user's picture when it was uploaded to the hub; otherwise their initials, drawn here: no
    image is fetched from another site (Gravatar and outside URLs are out of reach on HHS networks)."""
    user = model.User.get(user_id)
    if user is None:
        return ""
    if user.image_url and not user.image_url.startswith(("http://", "https://", "//")):
        return next_helper(user_id, size)
    name = user.fullname or user.name
    initials = "".join(word[0] for word in name.split()[:2]).upper() or "?"
    return tk.h.snippet("hhs/snippets/avatar.html", initials=initials, name=name, size=size)


# ---------------------------------------------------------------- values in words
_VOCABULARIES: dict[str, Callable[[], dict[str, str]]] = {
    "access_level": lambda: vocab.ACCESS_LEVELS,
    "phi_classification": lambda: vocab.PHI_CLASSES,
    "sensitivity": lambda: vocab.SENSITIVITY,
    "coding_system": vocab.coding_systems,
    "legal_basis": lambda: vocab.LEGAL_BASES,
    "health_theme": lambda: vocab.HEALTH_THEMES,
    "resource_kind": lambda: vocab.RESOURCE_KINDS,
    "table_format": lambda: vocab.TABLE_FORMATS,
    "kind": lambda: vocab.DIVISION_KINDS,
}


def hhs_label(vocabulary: str, value: Any) -> str:
    """The label of `value` in one of the HHS vocabularies; an unknown value is shown as it is."""
    if value in (None, ""):
        return ""
    if vocabulary == "bureau_code":
        return hhs_bureau_label(value)
    if vocabulary == "frequency":
        return hhs_frequency_label(value)
    mapping = _VOCABULARIES.get(vocabulary)
    return (mapping() if mapping else {}).get(str(value), str(value))


@functools.cache
def _bureau_names() -> dict[str, str]:
    # The whole OMB list, so a harvested code of another department still reads as a name.
    with open(os.path.join(vocab.DATA, "omb_bureau_codes.csv"), encoding="utf-8", newline="") as f:
        names = {f"{r['Agency Code']}:{r['Bureau Code']}": r["Bureau Name"] for r in csv.DictReader(f)}
    names.update({b.code: b.name for b in vocab.hhs_bureaus()})
    return names


def hhs_bureau_label(code: str) -> str:
    """`009:38 Centers for Medicare and Medicaid Services`; an unknown code alone."""
    name = _bureau_names().get(code)
    return f"{code} {name}" if name else code


_PERIODS = vocab.FREQUENCIES
_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day"}


def hhs_frequency_label(value: str) -> str:
    """An ISO 8601 repeating duration in words: `R/P1Y` -> "Annually", `R/P5Y` -> "Every 5 years"."""
    if not value:
        return ""
    if value in _PERIODS:
        return tk._(_PERIODS[value])
    match = re.fullmatch(r"R/P(\d+)([YMWD])", value)
    if match:
        return tk._("Every {n} {unit}s").format(n=match.group(1), unit=_UNITS[match.group(2)])
    return value


def hhs_frequency_options(current: Any) -> list[dict[str, str]]:
    """The update frequency form's choices, in words (stored as ISO 8601); a stored value not in the
    list (R/P5Y, a harvested week count) is offered as it is, so saving never changes it."""
    options = [{"value": "", "text": ""}]
    options += [{"value": iso, "text": tk._(label)} for iso, label in vocab.FREQUENCIES.items()]
    if isinstance(current, str) and current and current not in vocab.FREQUENCIES:
        options.append({"value": current, "text": hhs_frequency_label(current)})
    return options


def hhs_license(license_id: str) -> dict[str, str]:
    """Title and URL of a licence by its id, or by the URL or id a harvested record gave (vocab.license_entry);
    a licence the register does not know is shown as it was given ("Licence: <url>"), never dropped."""
    if not license_id:
        return {}
    found = vocab.license_entry(license_id)
    if found is not None:
        return {"title": found.title, "url": found.url or ""}
    url = license_id if license_id.startswith(("http://", "https://")) else ""
    if url:
        known = _license_title_from_url(license_id)
        return {
            "title": known
            if known != re.sub(r"^https?://", "", url).rstrip("/")
            else tk._("Licence: {url}").format(url=url),
            "url": url,
        }
    return {"title": license_id, "url": ""}


def hhs_license_options(current: Any) -> list[dict[str, str]]:
    """The licence form's choices: blank (no licence given), then the register. The stored value is the
    value of the entry it names (a harvested URL stays as it was when the form is saved unchanged), and
    a licence the register does not know is offered as it is, so saving never drops it."""
    current = current if isinstance(current, str) else ""
    entry = vocab.license_entry(current)
    options = [{"value": "", "text": tk._("No licence given")}]
    for licence in model.Package.get_license_register().licenses:
        value = current if entry is not None and licence.id == entry.id else licence.id
        options.append({"value": value, "text": licence.title})
    if current and entry is None:
        options.append({"value": current, "text": tk._("Licence: {url}").format(url=current)})
    return options


_KNOWN_LICENSE_URLS = {
    "creativecommons.org/publicdomain/zero/1.0": "Creative Commons CCZero",
    "creativecommons.org/licenses/by/4.0": "Creative Commons Attribution 4.0",
    "opendatacommons.org/licenses/odbl": "Open Data Commons Open Database License",
    "www.usa.gov/government-works": "U.S. Government Work (public domain)",
    "www.usa.gov/publicdomain/label/1.0": "U.S. Public Domain",
    "www.usa.gov/government-copyright": "U.S. Government Work (public domain)",
}


def _license_title_from_url(url: str) -> str:
    bare = re.sub(r"^https?://", "", url).rstrip("/")
    for prefix, title in _KNOWN_LICENSE_URLS.items():
        if bare.startswith(prefix):
            return title
    return bare


_MEDIA_FORMATS = {
    "text/csv": "CSV",
    "application/json": "JSON",
    "application/ld+json": "JSON-LD",
    "application/geo+json": "GeoJSON",
    "application/xml": "XML",
    "text/xml": "XML",
    "application/pdf": "PDF",
    "application/zip": "ZIP",
    "application/x-zip-compressed": "ZIP",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "text/html": "HTML",
    "text/plain": "TXT",
    "application/rdf+xml": "RDF",
    "text/turtle": "TTL",
    "application/vnd.apache.parquet": "Parquet",
    "application/x-sas-data": "SAS",
}


def hhs_format_of(resource: dict[str, Any]) -> str:
    """The format to show: the resource's own, else the one its media type names (display only)."""
    fmt = (resource.get("format") or "").strip()
    if fmt:
        return fmt
    media = (resource.get("mimetype") or "").split(";")[0].strip().lower()
    return _MEDIA_FORMATS.get(media, "")


def hhs_is_download(resource: dict[str, Any]) -> bool:
    """A file one downloads (not an API, a page or a lakehouse table)."""
    if resource.get("resource_kind") in ("api", "lakehouse", "documentation") or not resource.get("url"):
        return False
    if resource.get("url_type") == "upload" or resource.get("resource_kind") == "file":
        return True
    fmt = hhs_format_of(resource).upper()
    return bool(fmt) and fmt not in ("HTML", "API", "ESRI REST", "WMS", "WFS")


# ---------------------------------------------------------------- dataset page
_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "description",
        "Description",
        (
            "url",
            "theme",
            "spatial",
            "temporal",
            "language",
            "is_part_of",
            "data_dictionary",
            "conforms_to",
            "is_referenced_by",
        ),
    ),
    (
        "access",
        "Access and use",
        ("access_level", "access_rights", "license_id", "contact", "publisher", "data_quality", "system_of_records"),
    ),
    (
        "health",
        "Health",
        (
            "health_theme",
            "health_category",
            "coding_system",
            "population_coverage",
            "number_of_records",
            "number_of_unique_individuals",
            "min_typical_age",
            "max_typical_age",
            "phi_classification",
            "personal_data",
            "legal_basis",
            "purpose",
            "retention_period",
        ),
    ),
    (
        "governance",
        "Governance",
        (
            "bureau_code",
            "program_code",
            "data_steward",
            "sensitivity",
            "authoritative_source",
            "authoritative_dataset",
            "glossary_terms",
            "primary_it_investment_uii",
        ),
    ),
    ("source", "Source and history", ("identifier", "issued", "modified", "frequency", "source_withdrawn")),
)
# Shown elsewhere on the page (title, description, keywords, division) or never.
_NOT_GROUPED = {"id", "title", "name", "notes", "tag_string", "owner_org"}
# A "No" here is the default every dataset has, not information.
_SHOWN_ONLY_WHEN_TRUE = {"authoritative_source", "source_withdrawn"}


def hhs_field_groups(schema: dict[str, Any], pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The dataset's filled fields in the page's groups; fields no group names come last as "More"."""
    fields = {f["field_name"]: f for f in schema.get("dataset_fields", [])}
    placed: set[str] = set()
    groups = []
    for key, label, names in _GROUPS:
        placed.update(names)
        shown = [fields[n] for n in names if n in fields and _shown(fields[n], pkg)]
        if shown or key == "source":  # the source group also holds the hub's own dates
            groups.append({"key": key, "label": tk._(label), "fields": shown})
    rest = [f for n, f in fields.items() if n not in placed and n not in _NOT_GROUPED and _shown(f, pkg)]
    if rest:
        groups.append({"key": "more", "label": tk._("More"), "fields": rest})
    return groups


def _shown(field: dict[str, Any], pkg: dict[str, Any]) -> bool:
    name = field["field_name"]
    if field.get("display_snippet", "") is None and name != "license_id":
        return False
    if name in _SHOWN_ONLY_WHEN_TRUE:
        return pkg.get(name) in (True, "true", "True")
    return values.filled(pkg.get(name))


def hhs_glossary_chips(slugs: list[str] | str | None) -> list[dict[str, str]]:
    """Label and definition of each linked glossary term (the slug alone when the term is unknown)."""
    if isinstance(slugs, str):
        slugs = [slugs]
    chips = []
    for slug in slugs or []:
        try:
            term = tk.get_action("hhs_glossary_term_show")({}, {"id": slug})
        except KeyError:  # the glossary plugin is off
            chips.append({"slug": slug, "label": slug, "definition": "", "url": ""})
            continue
        except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
            chips.append({"slug": slug, "label": slug, "definition": "", "url": ""})
            continue
        chips.append(
            {
                "slug": slug,
                "label": term.get("label") or slug,
                "definition": term.get("definition") or "",
                "url": tk.h.url_for("hhs_glossary.read", slug=slug),
            }
        )
    return chips


@functools.cache
def _structured_data_serializer(names: tuple[str, ...]) -> type:
    """ckanext-dcat's RDF serializer with its profile classes looked up once, not on every page."""
    from ckanext.dcat.processors import RDFSerializer

    profiles = RDFSerializer(profiles=list(names))._profiles

    class Serializer(RDFSerializer):
        def _load_profiles(self, profile_names: list[str]) -> list[Any]:
            return profiles

    return Serializer


_HTML_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def hhs_structured_data(pkg: dict[str, Any]) -> Markup:
    """The dataset's schema.org JSON-LD, as ckanext-dcat's `structured_data` helper makes it, in less time:
    dcat looks its profile classes up among every installed distribution's entry points on each page,
    then parses and re-prints the JSON it just wrote. Here the classes are looked up once and the JSON is
    kept as written, with `<`, `>` and `&` (only ever inside its strings) escaped so that it cannot end
    the script element it sits in."""
    names = tuple(tk.config.get("ckanext.dcat.structured_data.profiles") or ["schemaorg"])
    # The graph depends on the dataset as shown and the site's settings only: a page read again (nginx's
    # cache refills a popular page every minute) takes it from this process's copy.
    shown = json.dumps([names, tk.config.get("ckan.site_url"), pkg], sort_keys=True, default=str)
    key = hashlib.sha256(shown.encode()).digest()
    output = _STRUCTURED_DATA.get(key)
    if output is None:
        serializer = _structured_data_serializer(names)(profiles=list(names))
        output = _STRUCTURED_DATA[key] = serializer.serialize_dataset(pkg, _format="jsonld").translate(_HTML_UNSAFE)
    return Markup(output)


_STRUCTURED_DATA: cachetools.LRUCache[bytes, str] = cachetools.LRUCache(maxsize=512)


def _extract_key(_next: Any, text: str, extract_length: int = 190) -> tuple[str, int]:
    return text, extract_length


@tk.chained_helper
@cachetools.cached(cachetools.LRUCache(maxsize=2048), key=_extract_key)
def markdown_extract(next_helper: Callable[..., str], text: str, extract_length: int = 190) -> str:
    """CKAN's plain-text extract of a description, kept per process: a search page renders the Markdown of
    each of its 20 results to cut it to 180 characters (a fifth of the page's time on CMS descriptions).
    A pure function of its text: kept by text and length."""
    return next_helper(text, extract_length)


def hhs_sidebar_organization(pkg: dict[str, Any]) -> dict[str, Any]:
    """The division box of a dataset page, from the division the dataset dict already carries. CKAN's page
    asked organization_show for it (members, tags, groups and a dataset count it does not show)."""
    org = dict(pkg.get("organization") or {})
    image = org.get("image_url") or ""
    uploaded = image and not image.startswith("http")
    org["image_display_url"] = tk.h.url_for_static(f"uploads/group/{image}", qualified=True) if uploaded else image
    return org


# ---------------------------------------------------------------- search facets
_FACET_VOCABULARIES = {
    "access_level": "access_level",
    "vocab_health_theme": "health_theme",
    "vocab_coding_system": "coding_system",
    "phi_classification": "phi_classification",
    "vocab_legal_basis": "legal_basis",
    "vocab_bureau_code": "bureau_code",
    "sensitivity": "sensitivity",
}
_BANDS = {"high": "High (80% or more)", "medium": "Medium (50 to 79%)", "low": "Low (under 50%)"}


def hhs_facet_label(facet: str, item: dict[str, Any]) -> str:
    """What a facet item reads as: labels for vocabulary values, full names for divisions."""
    name = item.get("name", "")
    if facet in _FACET_VOCABULARIES:
        return hhs_label(_FACET_VOCABULARIES[facet], name)
    if facet == "completeness_band":
        return tk._(_BANDS.get(name, name))
    if facet == "license_id":
        return hhs_license(name).get("title") or name
    return item.get("display_name") or name


# ---------------------------------------------------------------- home page
def _count(fq: str) -> int:
    return tk.get_action("package_search")({}, {"fq": fq, "rows": 0, "include_private": True})["count"]


def hhs_home_figures() -> list[dict[str, Any]]:
    """Live figures of the hub for the viewer: datasets, divisions, data products, glossary terms."""
    figures = [
        {"label": tk._("Datasets"), "count": _count("+dataset_type:dataset"), "url": tk.h.url_for("dataset.search")},
        {
            "label": tk._("Divisions"),
            "count": model.Session.query(model.Group)
            .filter(model.Group.is_organization, model.Group.state == "active")
            .count(),
            "url": tk.h.url_for("organization.index"),
        },
    ]
    # Data products exist only when the marketplace registers their type.
    if tk.h.scheming_get_dataset_schema("data-product"):
        figures.append(
            {
                "label": tk._("Data products"),
                "count": _count("+dataset_type:data-product"),
                "url": tk.h.url_for("data-product.search"),
            }
        )
    try:
        terms = tk.get_action("hhs_glossary_term_list")({}, {"status": "approved", "limit": 1})["count"]
    except KeyError:  # the glossary plugin is off
        pass
    else:
        figures.append({"label": tk._("Glossary terms"), "count": terms, "url": tk.h.url_for("hhs_glossary.index")})
    return figures


def hhs_division_tiles() -> list[dict[str, Any]]:
    """Every division with its acronym and the number of datasets the viewer may see."""
    facets = tk.get_action("package_search")(
        {}, {"rows": 0, "facet.field": ["organization"], "facet.limit": -1, "include_private": True}
    )["facets"].get("organization", {})
    # organization_list caps all_fields at 25 rows; divisions are more.
    orgs = (
        model.Session.query(model.Group)
        .filter(model.Group.is_organization, model.Group.state == "active")
        .options(selectinload(model.Group._extras))  # the acronyms in one query, not one per division
        .order_by(model.Group.title)
    )
    tiles = [
        {
            "name": org.name,
            "title": org.title,
            "acronym": org.extras.get("acronym") or "",
            "count": facets.get(org.name, 0),
        }
        for org in orgs
    ]
    return sorted(tiles, key=lambda t: (-t["count"], t["title"]))


def hhs_popular_datasets(limit: int = 4) -> list[dict[str, Any]]:
    """The most viewed datasets of the last 14 days, by CKAN's page view tracking (the `tracking`
    plugin). Without tracking nothing measures popularity, so nothing is called popular: the home page
    then shows only the recently updated datasets."""
    if not p.plugin_loaded("tracking"):
        return []
    return tk.get_action("package_search")(
        {},
        {"rows": limit, "sort": "views_recent desc", "fq": "+dataset_type:dataset +views_recent:[1 TO *]"},
    )["results"]


def hhs_recent_datasets(limit: int = 6) -> list[dict[str, Any]]:
    return tk.get_action("package_search")(
        {}, {"rows": limit, "sort": "metadata_modified desc", "fq": "+dataset_type:dataset"}
    )["results"]
