"""Automated quality checks: what each dataset is missing or has weak, with a value to give it where one
can be derived, and the validation of its tabular resources against their declared Table Schema.

The check runs as the site user in a background job (`run`), over one dataset or every dataset changed
since it was last checked (by metadata_modified), one page of ids at a time and one commit per dataset,
so a stopped run resumes where it stopped and a second run over an unchanged catalog does nothing.
Glossary terms are suggested through the glossary's own actions, health themes from the core
vocabulary, a contact or steward from the dataset's division, and repairs of double-encoded text
(mojibake) by `ftfy`. The tabular resources are validated by tabular.py; the demo is in seed.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from typing import Any

import ftfy
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.hhs import completeness, values, vocab
from ckanext.hhs.context import site_context

from .. import config, permissions
from ..failures import failure_message
from . import model as qm
from . import tabular

log = logging.getLogger(__name__)

SHORT_DESCRIPTION = 80  # characters: less says too little to find or judge the data
MAX_GLOSSARY_SUGGESTIONS = 5
MAX_THEME_SUGGESTIONS = 3
# Glossary terms about the catalog's own metadata: nearly every description says "dataset", so suggesting
# them would tell a steward nothing about the data.
CATALOG_TERMS = frozenset(
    {"dataset", "distribution", "data-steward", "authoritative-source", "access-level", "bureau-code"}
)

# Words in a dataset's title, description or keywords that point to a health theme of the vocabulary.
THEME_CUES: dict[str, tuple[str, ...]] = {
    "chronic-disease": (
        "chronic",
        "diabetes",
        "cancer",
        "heart disease",
        "obesity",
        "hypertension",
        "asthma",
        "kidney",
    ),
    "infectious-disease": (
        "infectious",
        "covid",
        "influenza",
        "vaccin",
        "hiv",
        "hepatitis",
        "tuberculosis",
        "outbreak",
    ),
    "behavioral-health": ("mental health", "behavioral", "substance use", "opioid", "suicide", "alcohol"),
    "maternal-child-health": ("maternal", "infant", "pregnan", "prenatal", "newborn", "child health"),
    "health-care-quality": ("quality", "patient safety", "readmission", "star rating", "quality measure"),
    "health-care-cost": ("cost", "spending", "payment", "utilization", "reimbursement", "charges", "claims"),
    "health-insurance": ("insurance", "coverage", "enrollment", "enrollee", "medicare advantage", "marketplace plan"),
    "providers": ("provider", "hospital", "physician", "clinician", "facility", "nursing home", "hospice", "supplier"),
    "drugs-devices": ("drug", "prescription", "medical device", "biologic", "pharmac", "part d"),
    "environmental-health": ("environmental", "air quality", "drinking water", "lead poisoning", "toxic"),
    "emergency-preparedness": ("emergency", "preparedness", "disaster", "pandemic"),
    "social-services": ("child care", "tanf", "foster care", "head start", "social services", "child support"),
    "health-equity": ("equity", "disparit", "underserved", "rural health", "race and ethnicity"),
    "research": ("research", "clinical trial", "grant", "study"),
}
# Text that says a dataset covers a place, so a missing spatial coverage is worth filling.
_NATIONAL = re.compile(r"\b(national(ly)?|nationwide|united states|u\.s\.|all states)\b", re.I)
_PLACES = re.compile(r"\b(state|states|county|counties|zip|city|cities|region|geograph\w*)\b", re.I)


# ---------------------------------------------------------------- finding suggestions


def suggestions_for(
    pkg: dict[str, Any], division: dict[str, Any] | None, glossary: Glossary | None = None
) -> list[dict[str, Any]]:
    """The suggestions for one dataset (package_show output): each with key, kind, field, mode
    (set or add), current, suggested (None when nothing can be derived) and reason."""
    found: list[dict[str, Any]] = []

    def add(kind: str, field: str, reason: str, suggested: Any = None, current: Any = None, mode: str = "set"):
        digest = hashlib.sha1(json.dumps(suggested, sort_keys=True).encode()).hexdigest()[:12]
        found.append(
            {
                "key": f"{kind}:{field}:{digest}",
                "kind": kind,
                "field": field,
                "mode": mode,
                "current": current,
                "suggested": suggested,
                "reason": reason,
            }
        )

    title, notes = pkg.get("title") or "", pkg.get("notes") or ""
    keywords = [t["name"] for t in pkg.get("tags") or [] if t.get("name")]
    text = " ".join([title, notes, *keywords])

    # Text visibly double-encoded (mojibake): its repaired form. fix_encoding changes only that.
    for field in ("title", "notes"):
        value = pkg.get(field) or ""
        repaired = ftfy.fix_encoding(value)
        if repaired != value:
            add("encoding", field, "The text is double-encoded (mojibake); this is its repaired form", repaired, value)

    if not notes.strip():
        add("missing", "notes", "The dataset has no description")
    elif len(notes.strip()) < SHORT_DESCRIPTION:
        add("weak", "notes", f"The description is very short ({len(notes.strip())} characters)", current=notes)
    words = title.split()
    if title and (
        len(words) < 3 and len(title) < 20 or title.isupper() or "_" in title or title.lower() == pkg.get("name")
    ):
        add("weak", "title", "The title is too short or reads like a file name to say what the data is", current=title)
    if not keywords:
        add("missing", "tag_string", "The dataset has no keywords")

    steward = division_steward(division)
    if not values.filled(pkg.get("contact")):
        add("contact", "contact", "No contact point: its division's steward", [steward] if steward else None)
    if not values.filled(pkg.get("data_steward")):
        add("steward", "data_steward", "No data steward named: its division's steward", [steward] if steward else None)

    if not values.filled(pkg.get("data_dictionary")):
        schema_url = next((r.get("schema_url") for r in pkg.get("resources") or [] if r.get("schema_url")), None)
        suggested = [{"url": schema_url, "format": "application/json"}] if schema_url else None
        add("missing", "data_dictionary", "No data dictionary explains the columns", suggested)

    if not values.filled(pkg.get("temporal")) and pkg.get("frequency") and pkg.get("frequency") != "irregular":
        add("missing", "temporal", "Updated on a schedule but says no time period covered", _resource_period(pkg))
    if not values.filled(pkg.get("spatial")) and (_NATIONAL.search(text) or _PLACES.search(text)):
        suggested = "United States" if _NATIONAL.search(text) else None
        add("missing", "spatial", "Its text speaks of places but it says no geography covered", suggested)

    themes = set(pkg.get("health_theme") or [])
    for theme, reason in suggest_themes(text, keywords):
        if theme not in themes:
            add("theme", "health_theme", reason, theme, sorted(themes), mode="add")

    if glossary is not None:
        linked = set(pkg.get("glossary_terms") or [])
        for slug, reason in glossary.suggest(title, notes, keywords):
            if slug not in linked:
                add("glossary", "glossary_terms", reason, slug, sorted(linked), mode="add")
    return found


def division_steward(division: dict[str, Any] | None) -> dict[str, str] | None:
    """The contact a division names for its data (organization fields steward_name, steward_email)."""
    if not division or not division.get("steward_email"):
        return None
    return {"name": division.get("steward_name") or division.get("title") or "", "email": division["steward_email"]}


def suggest_themes(text: str, keywords: list[str]) -> list[tuple[str, str]]:
    """Health themes (vocab.HEALTH_THEMES) the text and keywords point to, best first."""
    lowered, keyword_text = f" {text.lower()} ", " ".join(keywords).lower()
    scored = []
    for theme, cues in THEME_CUES.items():
        hits = [c for c in cues if re.search(rf"\b{re.escape(c)}", lowered)]
        in_keywords = [c for c in cues if re.search(rf"\b{re.escape(c)}", keyword_text)]
        score = len(hits) + len(in_keywords)
        if in_keywords or len(hits) >= 2:
            cue = ", ".join(dict.fromkeys(in_keywords + hits))
            scored.append((score, theme, f"{vocab.HEALTH_THEMES[theme]}: its text or keywords mention {cue}"))
    scored.sort(key=lambda s: -s[0])
    return [(theme, reason) for _, theme, reason in scored[:MAX_THEME_SUGGESTIONS]]


class Glossary:
    """Approved glossary terms, read once per run through the glossary's own actions.

    A term is suggested when the dataset's title or description names it (label, synonym or
    abbreviation), or when the glossary's duplicate finder (`hhs_glossary_term_similar`) finds a keyword
    that names a term (the same or a close name)."""

    def __init__(self, context: dict[str, Any]):
        self.context = context
        self.terms: list[tuple[str, str, list[str], str]] = []  # slug, label, normalised names, abbreviation
        offset = 0
        while True:
            page = tk.get_action("hhs_glossary_term_list")(
                dict(context), {"status": "approved", "limit": 100, "offset": offset}
            )
            for t in (t for t in page["results"] if t["slug"] not in CATALOG_TERMS):
                names = [_normalise(n) for n in (t["label"], *(t.get("synonyms") or [])) if len(_normalise(n)) > 3]
                self.terms.append((t["slug"], t["label"], names, t.get("abbreviation") or ""))
            offset += 100
            if offset >= page["count"] or not page["results"]:
                break
        self.approved = {slug: label for slug, label, _, _ in self.terms}

    @classmethod
    def load(cls, context: dict[str, Any]) -> Glossary | None:
        try:
            return cls(context)
        except KeyError:  # hhs_glossary is not loaded
            return None

    def suggest(self, title: str, notes: str, keywords: list[str]) -> list[tuple[str, str]]:
        text = f" {_normalise(title + ' ' + notes)} "
        found: dict[str, str] = {}
        for slug, label, names, abbreviation in self.terms:
            named = next((n for n in names if f" {n} " in text), None)
            if named:
                found[slug] = f'Its title or description names the glossary term "{label}"'
            elif len(abbreviation) > 1 and re.search(rf"\b{re.escape(abbreviation)}\b", f"{title} {notes}"):
                found[slug] = f'Its title or description uses "{abbreviation}" ({label})'
        # Keywords only: comparing the description by meaning embeds it (seconds per dataset on 2 cores).
        similar = tk.get_action("hhs_glossary_term_similar")(dict(self.context), {"synonyms": keywords[:20]})
        for term in similar:
            if term.get("status") == "approved" and term["slug"] not in found and term["slug"] in self.approved:
                found[term["slug"]] = f'Glossary term "{term["label"]}": {term["reason"]} ({term["score"]:.2f})'
        # Longer (more specific) names first: "Medicare beneficiary" before "Beneficiary".
        ranked = sorted(found.items(), key=lambda kv: -len(self.approved.get(kv[0], "")))
        return ranked[:MAX_GLOSSARY_SUGGESTIONS]


def _normalise(text: str) -> str:
    """Lower-case words, each singular ("Medicare beneficiaries" -> "medicare beneficiary")."""
    return " ".join(_singular(w) for w in re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _resource_period(pkg: dict[str, Any]) -> str | None:
    """The span of the periods its distributions cover (start/end), when they say."""
    spans = [r.get("temporal") for r in pkg.get("resources") or [] if isinstance(r.get("temporal"), str)]
    parts = [s.split("/") for s in spans if s.count("/") == 1]
    if not parts:
        return None
    return f"{min(p[0] for p in parts)}/{max(p[1] for p in parts)}"


def is_harvested(pkg: dict[str, Any]) -> bool:
    """Its division's catalog is the truth for it (imported or harvested): fixes go back to the source."""
    return bool(pkg.get("source_catalog") or pkg.get("pod_record") or pkg.get("harvest_source_id"))


def source_of(pkg: dict[str, Any]) -> str | None:
    if pkg.get("source_catalog"):
        return pkg["source_catalog"]
    return f"harvest:{pkg['harvest_source_id']}" if pkg.get("harvest_source_id") else None


def source_name(source: str | None) -> str | None:
    """A source as pages and the API show it: a URL (or harvest:<id>) as it is, a catalog file imported
    on the server by its file name only (its path tells the server's layout: for sysadmins only)."""
    if not source or not source.startswith("/"):
        return source
    return tk._("{name} (file)").format(name=source.rsplit("/", 1)[-1] or "?")


# ---------------------------------------------------------------- the check job


def start(scope: str, force: bool = False, wait: bool = False) -> qm.QualityRun:
    """Record a run and queue it (or, with wait, run it now)."""
    run_ = qm.QualityRun(scope=scope, status="queued")
    model.Session.add(run_)
    model.Session.commit()
    if wait:
        run(run_.id, force)
    else:
        tk.enqueue_job(
            run,
            [run_.id, force],
            title=f"hhs_governance: quality check of {scope}",
            rq_kwargs={"timeout": config.quality_job_timeout()},
        )
    return run_


def run(run_id: str, force: bool = False) -> None:
    """The job: check the run's dataset, or every dataset due (never checked, or changed since)."""
    run_ = model.Session.get(qm.QualityRun, run_id)
    if run_ is None or run_.status in ("running", "finished"):
        return  # queued twice: the first one does the work
    if run_.scope == "all" and _another_running(run_):
        run_.status, run_.error, run_.finished = "failed", "Another check of all datasets was running", values.now()
        model.Session.commit()
        return
    run_.status, run_.started = "running", values.now()
    model.Session.commit()
    context = site_context()
    try:
        glossary = Glossary.load(context)
        divisions: dict[str, dict[str, Any] | None] = {}
        started = run_.started
        if run_.scope != "all":
            _check_one(run_, run_.scope, context, glossary, divisions, validate_now=True)
        else:
            last = ""
            while ids := _due(last, started if force else None):
                for package_id in ids:
                    _check_one(run_, package_id, context, glossary, divisions)
                last = ids[-1]
        run_.status = "finished"
    except Exception:  # recorded and shown on the page, never old figures shown as new
        log.exception("Quality check %s failed", run_id)
        model.Session.rollback()
        run_ = model.Session.get(qm.QualityRun, run_id)
        run_.status, run_.error = "failed", failure_message(run_id)
    run_.finished = values.now()
    model.Session.commit()


def _another_running(run_: qm.QualityRun) -> bool:
    """Whether another check of all datasets started within the job timeout is still running."""
    since = values.now() - dt.timedelta(seconds=config.quality_job_timeout())
    return (
        model.Session.query(qm.QualityRun.id)
        .filter(qm.QualityRun.scope == "all", qm.QualityRun.status == "running", qm.QualityRun.started > since)
        .filter(qm.QualityRun.id != run_.id)
        .first()
        is not None
    )


def _due(after: str, checked_before: dt.datetime | None) -> list[str]:
    """The next page of ids of active datasets due a check (by id, after `after`)."""
    pkg, row = model.Package, qm.QualityDataset
    due = sa.or_(row.package_id.is_(None), row.modified.is_(None), row.modified < pkg.metadata_modified)
    if checked_before is not None:  # forced: everything not yet checked by this run
        due = sa.or_(due, row.checked_at < checked_before)
    query = (
        model.Session.query(pkg.id)
        .outerjoin(row, row.package_id == pkg.id)
        .filter(pkg.type == "dataset", pkg.state == "active", pkg.id > after, due)
        .order_by(pkg.id)
        .limit(config.quality_page_size())
    )
    return [r[0] for r in query]


def _check_one(
    run_: qm.QualityRun,
    package_id: str,
    context: dict[str, Any],
    glossary: Glossary | None,
    divisions: dict[str, dict[str, Any] | None],
    validate_now: bool = False,
) -> None:
    try:
        pkg = tk.get_action("package_show")(dict(context), {"id": package_id})
        org_id = pkg.get("owner_org")
        if org_id and org_id not in divisions:
            divisions[org_id] = tk.get_action("organization_show")(
                dict(context), {"id": org_id, "include_datasets": False, "include_users": False}
            )
        store(pkg, suggestions_for(pkg, divisions.get(org_id or ""), glossary))
        run_.checked += 1
        model.Session.commit()
    except Exception as e:
        log.exception("Quality check of dataset %s failed", package_id)
        model.Session.rollback()
        try:  # in a savepoint: a dataset purged since its id was read has no row to record (foreign key)
            with model.Session.begin_nested():
                row = model.Session.get(qm.QualityDataset, package_id) or qm.QualityDataset(package_id=package_id)
                # Due again next run (this run has passed it: it pages by id, so it does not loop on it).
                row.modified, row.checked_at = None, values.now()
                row.error = f"{type(e).__name__} (details in the server log)"
                model.Session.add(row)
        except sa.exc.IntegrityError:
            log.info("Quality check of dataset %s: the dataset is gone", package_id)
        run_.failed += 1
        model.Session.commit()
        if run_.scope != "all":
            raise
        return
    if tabular.tabular_resources(pkg):
        if validate_now:
            tabular.validate_dataset(package_id)
        else:
            tk.enqueue_job(
                tabular.validate_dataset,
                [package_id],
                title=f"hhs_governance: validate the tables of {pkg['name']}",
                rq_kwargs={"timeout": config.quality_job_timeout()},
            )


def store(pkg: dict[str, Any], found: list[dict[str, Any]]) -> None:
    """Keep the dataset's suggestions in step with what a check found (the caller commits).

    New ones are added; open ones no longer found are dropped (the field was fixed); decisions are kept:
    a dismissed suggestion is not made again, and one on a source's fix list is `resolved` once the
    source fixes it."""
    harvested = is_harvested(pkg)
    existing = {s.key: s for s in model.Session.query(qm.Suggestion).filter_by(package_id=pkg["id"])}
    for item in found:
        suggestion = existing.pop(item["key"], None)
        if suggestion is None:
            suggestion = qm.Suggestion(package_id=pkg["id"], **item)
            model.Session.add(suggestion)
        elif suggestion.status != "open":
            continue
        suggestion.current, suggestion.reason, suggestion.mode = item["current"], item["reason"], item["mode"]
        suggestion.owner_org = pkg.get("owner_org")
        suggestion.source = source_of(pkg) if harvested else None
        suggestion.identifier = pkg.get("identifier") or pkg["id"]
    for gone in existing.values():
        if gone.status == "open":
            model.Session.delete(gone)
        elif gone.status == "accepted" and gone.outcome == "fix_list":
            gone.status = "resolved"
    row = model.Session.get(qm.QualityDataset, pkg["id"]) or qm.QualityDataset(package_id=pkg["id"])
    row.owner_org = pkg.get("owner_org")
    row.modified = dt.datetime.fromisoformat(pkg["metadata_modified"])
    row.checked_at, row.error = values.now(), ""
    model.Session.add(row)


def field_label(field: str) -> str:
    """A field's name in words: the completeness score's labels (the core's one definition)."""
    return FIELD_LABELS.get(field) or completeness.WEIGHTS.get(field, (0, field))[1]


FIELD_LABELS = {"title": "Title", "glossary_terms": "Glossary terms"}


# ---------------------------------------------------------------- showing and accepting suggestions


def suggestion_dict(s: qm.Suggestion) -> dict[str, Any]:
    return {
        "id": s.id,
        "package_id": s.package_id,
        "kind": s.kind,
        "field": s.field,
        "label": field_label(s.field),
        "mode": s.mode,
        "current": s.current,
        "suggested": s.suggested,
        "suggested_text": suggested_text(s),
        "reason": s.reason,
        "status": s.status,
        "outcome": s.outcome,
        "source": source_name(s.source),
        "identifier": s.identifier,
        "created": iso(s.created),
        "decided_at": iso(s.decided_at),
    }


def suggested_text(s: qm.Suggestion) -> str:
    """The suggested value in words: a health theme or a glossary term by its name, not its slug."""
    if s.kind == "theme":
        return vocab.HEALTH_THEMES.get(s.suggested, s.suggested)
    if s.kind == "glossary" and isinstance(s.suggested, str):
        return glossary_label(s.suggested) or s.suggested
    return display(s.suggested)


def glossary_label(slug: str) -> str | None:
    """A glossary term's name (hhs_glossary's table; None when the glossary is not installed)."""
    if not p.plugin_loaded("hhs_glossary"):
        return None
    from ckanext.hhs.glossary.model import Term

    return model.Session.query(Term.label).filter(Term.slug == slug).scalar()


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def panel(package_id: str, user: model.User | None) -> dict[str, Any] | None:
    """What the dataset page shows the dataset's editors and board members (None for anyone else, with
    no query for anonymous viewers): its open suggestions and validation results, in one query."""
    if user is None:
        return None
    may_edit = permissions.may_edit_dataset(user, package_id)
    if not (may_edit or permissions.is_board_member(user)):
        return None
    s, row = qm.Suggestion, qm.QualityDataset
    rows = (
        model.Session.query(row, s)
        .outerjoin(s, sa.and_(s.package_id == row.package_id, s.status == "open"))
        .filter(row.package_id == package_id)
        .order_by(s.field, s.created)
        .all()
    )
    checked = rows[0][0] if rows else None
    return {
        "checked": iso(checked.checked_at) if checked else None,
        "validation": checked.validation if checked else {},
        "suggestions": [suggestion_dict(sug) for _, sug in rows if sug is not None],
        "may_decide": may_edit,
    }


def display(value: Any) -> str:
    """A stored or suggested value in words, for pages and the fix list."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(display(v) for v in value)
    if isinstance(value, dict):
        if set(value) <= {"name", "email"}:
            return f"{value.get('name', '')} <{value['email']}>" if value.get("email") else value.get("name", "")
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v)
    return str(value)


def patch_for(suggestion: qm.Suggestion, pkg: dict[str, Any]) -> dict[str, Any]:
    """The package_patch data that applies an accepted suggestion to the dataset as it is now."""
    if suggestion.suggested is None:
        raise tk.ValidationError({"suggested": [tk._("There is no suggested value to accept; edit the dataset")]})
    field, value = suggestion.field, suggestion.suggested
    if suggestion.mode == "add":
        values = list(pkg.get(field) or [])
        return {"id": pkg["id"], field: values if value in values else [*values, value]}
    if suggestion.kind == "encoding" and pkg.get(field) != suggestion.current:
        raise tk.ValidationError({field: [tk._("The field changed since the check; run the check again")]})
    return {"id": pkg["id"], field: value}
