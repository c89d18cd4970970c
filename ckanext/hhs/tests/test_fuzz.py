"""Fuzzing: every hhs_* action through the HTTP action API, the HHS schema validators, and markup in
stored text on the pages that show it.

Property: whatever a caller sends (wrong types, huge strings and lists, Unicode with lone surrogates and
NUL, markup, SQL and Solr syntax, ids of real objects in the wrong places), the answer is a JSON
success, a validation error (409), a refusal (403), a 404 or a 400: never an HTTP 500 or a traceback.
The actions are read from CKAN's registry, so a new action is fuzzed without being listed here.

Examples per action: 25 in CI, derandomized (the same examples on every run, so a red CI means a change
broke something, not that the dice found an old bug); ``HHS_FUZZ_EXAMPLES=500`` draws 500 new random
ones per action, to look for bugs on demand.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ckan.lib.navl.dictization_functions as df
import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

EXAMPLES = int(os.environ.get("HHS_FUZZ_EXAMPLES", "25"))
settings.register_profile(
    "hhs-fuzz",
    max_examples=EXAMPLES,
    derandomize="HHS_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,  # no .hypothesis folder in the clone; failures print their example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("hhs-fuzz")

# A data product's fields, for the products the tests create.
PRODUCT = {
    "type": "data-product",
    "title": "Fuzz product",
    "notes": "x",
    "product_status": "active",
    "product_type": "dataset_bundle",
    "access_terms": "standard",
    "cost_model": "free",
    "standard_terms": "terms",
    "max_access_days": 180,
}

# What an action may answer: success, bad request, refused, not found, validation error.
ANSWERS = {200, 400, 403, 404, 409}

# ---------------------------------------------------------------- hostile values

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "'; DROP TABLE package; --",
    "1 OR 1=1",
    "' OR ''='",
    "*:*",
    "id:[* TO *]",
    "{!func}sum(1,1)",
    'title:"x" OR capacity:private',
    "+state:deleted",
    "(((((",
    "\\",
    '"',
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e\u200b\ufeff",
    "𝕳𝖍𝖘",
    "../../etc/passwd",
    "file:///etc/passwd",
    "http://127.0.0.1:22/",
    "s3://bucket/../../x",
    "%00%2e%2e",
    "",
    " ",
    "null",
    "NaN",
    "-1",
    "0",
    "1e309",
    "9" * 40,
    "2026-02-30",
    "99999-01-01",
    "select * from pg_user",
    "{{7*7}}",
    "${jndi:ldap://x}",
]
SURROGATES = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\x00"])
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(HOSTILE),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=10), SURROGATES, st.text(max_size=10)),
)
huge = st.builds(lambda c, n: c * n, st.sampled_from(["a", "<", "'", "é", "\x00", "*"]), st.integers(1_000, 100_000))
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
leaf = st.one_of(text, numbers)
huge_list = st.builds(lambda v, n: [v] * n, leaf, st.integers(1_000, 5_000))


def values(real: list[str]) -> st.SearchStrategy[Any]:
    """Any JSON value, hostile more often than not; sometimes the id or name of a real object."""
    base = st.one_of(leaf, st.sampled_from(real)) if real else leaf
    nested = st.recursive(
        base,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=3)),
        max_leaves=8,
    )
    return st.one_of(base, base, nested, huge, huge_list)


def _params(func: Any) -> list[str]:
    """The parameters an action documents (``:param name:`` lines: the API documentation)."""
    return sorted(set(re.findall(r":param (\w+):", func.__doc__ or "")))


def _registered() -> dict[str, Any]:
    """The hhs_ actions of our plugins (as test_auth.py finds them), with their functions."""
    found = {}
    for plugin in p.PluginImplementations(p.IActions):
        if type(plugin).__module__.startswith("ckanext.hhs"):
            found.update({n: f for n, f in plugin.get_actions().items() if n.startswith("hhs_")})
    return found


# The plugins are loaded while pytest collects (CKAN's session start), so the list is known here; the
# first test checks it against the registry at run time.
ACTIONS = sorted(_registered())


# ---------------------------------------------------------------- the world (built once)


@pytest.fixture(scope="module")
def world(reset_db, reset_index, migrate_loaded, tmp_path_factory):
    p.load_all()
    reset_db()
    reset_index()
    migrate_loaded()
    sysadmin = ckan_factories.Sysadmin(name="fuzz-sysadmin")
    cms = factories.Division(name="cms", title="CMS")
    factories.Division(
        name=tk.config.get("ckanext.hhs.governance_org") or "data-governance-board",
        kind="governance",
        bureau_code="009:90",
    )
    ctx = {"user": sysadmin["name"], "ignore_auth": False}
    helpers.call_action(
        "hhs_glossary_import",
        context=ctx,
        rows=[{"name": "fuzz-term", "displayName": "Fuzz term", "description": "A term.", "status": "approved"}],
    )
    dataset = factories.HhsDataset(
        name="fuzz-dataset",
        owner_org=cms["id"],
        private=True,
        resources=[{"url": "https://example.com/x", "name": "table", "resource_kind": "lakehouse"}],
    )
    public = factories.HhsDataset(name="fuzz-public", owner_org=cms["id"])
    product = helpers.call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        **{**PRODUCT, "name": "fuzz-product", "component_datasets": [dataset["name"], public["name"]]},
        owner_org=cms["id"],
    )
    real = [
        "cms",
        "fuzz-term",
        dataset["id"],
        dataset["name"],
        dataset["resources"][0]["id"],
        public["name"],
        product["id"],
        product["name"],
        sysadmin["name"],
    ]
    app = helpers._get_test_app()
    token = ckan_factories.APIToken(user=sysadmin["name"])["token"]
    yield {"app": app, "token": token, "real": real, "sysadmin": sysadmin, "cms": cms, "product": product}
    p.unload_non_system_plugins()


def _post(world: dict[str, Any], name: str, data: Any, role: str):
    headers = {"Authorization": world["token"]} if role == "sysadmin" else {}
    # JSON as a client sends it: lone surrogates escaped (\ud800), NaN and Infinity as Python writes them.
    body = json.dumps(data)
    return world["app"].post(
        f"/api/3/action/{name}", data=body, headers={**headers, "Content-Type": "application/json"}
    )


def _check(response, what: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code in ANSWERS, f"{what}: HTTP {response.status_code}: {body[:2000]}"
    assert "Traceback" not in body, f"{what}: {body[:2000]}"
    answer = json.loads(body)
    if response.status_code != 400:  # CKAN's 400s (a body that is no JSON object) answer with a bare message
        assert answer["success"] is (response.status_code == 200), f"{what}: {body[:500]}"


# ---------------------------------------------------------------- the properties


def test_every_registered_action_is_fuzzed(world):
    assert ACTIONS, "no hhs_ actions were registered while the tests were collected"
    assert set(_registered()) == set(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_action_answers_hostile_input_without_error(world, action):
    """As a sysadmin (who passes every auth function, so the input reaches the action) and as anonymous."""
    params = _params(_registered()[action])
    value = values(world["real"])
    documented = st.fixed_dictionaries({}, optional={name: value for name in params})
    extra = st.dictionaries(text, value, max_size=3)
    whole = st.one_of(
        st.builds(lambda a, b: {**b, **a}, documented, extra),
        documented,
        value,  # not even an object
    )

    @FUZZ
    @given(data=whole, role=st.sampled_from(["sysadmin", "sysadmin", "anonymous"]))
    @example(data={"limit": [], "offset": []}, role="sysadmin")  # an empty list past ignore_empty (a find)
    def run(data, role):
        _check(_post(world, action, data, role), f"{action} as {role} with {data!r}"[:3000])

    run()


# The HHS dataset schema's fields, for package_create / package_update with hostile values.
DATASET_FIELDS = [
    "title",
    "name",
    "owner_org",
    "state",
    "private",
    "version",
    "author_email",
    "tags",
    "extras",
    "groups",
    "notes",
    "tag_string",
    "identifier",
    "url",
    "bureau_code",
    "program_code",
    "access_level",
    "access_rights",
    "contact",
    "publisher",
    "license_id",
    "issued",
    "modified",
    "frequency",
    "temporal",
    "spatial",
    "theme",
    "language",
    "data_quality",
    "data_dictionary",
    "conforms_to",
    "health_theme",
    "coding_system",
    "number_of_records",
    "min_typical_age",
    "max_typical_age",
    "phi_classification",
    "personal_data",
    "retention_period",
    "data_steward",
    "sensitivity",
    "authoritative_source",
    "glossary_terms",
    "source_catalog",
    "hhs_findings",
    "resources",
]
PRODUCT_FIELDS = [
    "component_datasets",
    "product_status",
    "product_type",
    "access_terms",
    "cost_model",
    "max_access_days",
    "standard_terms",
    "glossary_terms",
    "data_contract",
]


@pytest.mark.parametrize("kind", ["dataset", "data-product"])
def test_schema_validators_answer_hostile_fields_without_error(world, kind):
    """package_create and package_update through the API as a sysadmin: the HHS schemas' validators
    answer every value with a field error or accept it."""
    value = values(world["real"])
    fields = DATASET_FIELDS if kind == "dataset" else PRODUCT_FIELDS + ["title", "notes"]
    hostile = st.fixed_dictionaries({}, optional={f: value for f in fields})
    base = {"type": kind, "owner_org": world["cms"]["id"]}

    @FUZZ
    @given(data=hostile, update=st.booleans())
    @example(data={"resources": None, "title": 0.0}, update=False)  # finds of earlier random runs, kept
    @example(data={"access_level": [""]}, update=False)
    @example(data={"coding_system": [[1]]}, update=True)
    @example(data={"owner_org": ["a"], "tag_string": 1, "state": {}}, update=True)
    def run(data, update):
        if update:
            target = "fuzz-public" if kind == "dataset" else world["product"]["id"]
            action, payload = "package_patch", {**data, "id": target}
        else:
            action, payload = "package_create", {**base, "name": "fuzz-new", **data}
        _check(_post(world, action, payload, "sysadmin"), f"{action} {kind} with {payload!r}"[:3000])
        # Nothing half-written: a failed create leaves no dataset behind.
        model.Session.remove()

    run()


def _schemas() -> dict[str, Any]:
    """The action schemas of our features (the @validator_args functions of each logic/schema module)."""
    import importlib
    import pkgutil

    import ckanext.hhs

    found = {}
    for info in pkgutil.walk_packages(ckanext.hhs.__path__, "ckanext.hhs."):
        if not re.search(r"\.logic\.schema(_\w+)?$", info.name):
            continue
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if callable(func) and getattr(func, "__module__", "") == module.__name__ and hasattr(func, "__wrapped__"):
                found[f"{info.name.removeprefix('ckanext.hhs.')}.{name}"] = func
    return found


SCHEMAS = sorted(_schemas())


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_answers_with_values_or_field_errors(world, name):
    """Each action schema's validators, as CKAN's navl runs them: values or field errors, never another
    exception (a validator that raised TypeError was an HTTP 500 of its action)."""
    schema = _schemas()[name]()
    value = values(world["real"])
    hostile = st.fixed_dictionaries({}, optional={field: value for field in schema})

    @FUZZ
    @given(data=hostile)
    def run(data):
        context = {"model": model, "session": model.Session, "user": world["sysadmin"]["name"]}
        try:
            df.validate(data, _schemas()[name](), context)
        except df.DataError:
            pass  # a list where a subschema wants objects: the API answers it with a 400
        finally:
            model.Session.remove()

    run()


# ---------------------------------------------------------------- what the fuzzing found (fixed)

FOUND = [
    # CKAN's natural_number_validator failed on "" after ignore_missing (int_validator makes it None):
    # the number fields take ignore_empty, and the core's natural_number_validator gives a field error.
    ("hhs_glossary_term_autocomplete", {"q": "d", "limit": ""}, "sysadmin"),
    ("hhs_glossary_term_list", {"limit": "", "offset": ""}, "anonymous"),
    ("hhs_lakehouse_query", {"sql": "select 1", "limit": ""}, "anonymous"),
    ("hhs_lakehouse_table_list", {"limit": ""}, "anonymous"),
    ("hhs_marketplace_request_list", {"limit": ""}, "sysadmin"),
    # Range checks after natural_number_validator ran on a value it had refused.
    ("hhs_marketplace_licence_search", {"offset": "<script>alert(1)</script>"}, "sysadmin"),
    ("hhs_glossary_term_datasets", {"id": "fuzz-term", "offset": ":"}, "sysadmin"),
    # CKAN's boolean_validator called .lower() on numbers and lists; tk.asbool refused "".
    ("hhs_marketplace_licence_search", {"current": 0}, "sysadmin"),
    ("hhs_lakehouse_table_register", {"id": "x", "allow_phi_preview": 0.5}, "sysadmin"),
    ("hhs_lakehouse_column_confirm", {"id": "x", "column": "c", "remove": ["", ""]}, "sysadmin"),
    ("hhs_divisions_seed", {"include_governance_board": []}, "sysadmin"),
    ("hhs_glossary_embed", {"all": ""}, "sysadmin"),
    ("hhs_glossary_embed", {"all": [1]}, "sysadmin"),
    ("hhs_catalog_validate", {"inventory": ""}, "anonymous"),
    ("hhs_catalog_validate", {"inventory": "<b>"}, "sysadmin"),
    # A lone UTF-16 surrogate (JSON "\ud800") reached PostgreSQL, which cannot encode it.
    ("hhs_marketplace_licence_update", {"id": "\ud800"}, "sysadmin"),
    ("hhs_marketplace_need_show", {"id": "x\udfff"}, "sysadmin"),
    ("hhs_glossary_term_show", {"id": "\ud800"}, "sysadmin"),
    ("hhs_glossary_term_create", {"label": "\udc00", "definition": "x"}, "sysadmin"),
    ("hhs_dataset_completeness", {"id": "\ud800"}, "anonymous"),
    ("hhs_lakehouse_preview", {"id": "\ud800"}, "sysadmin"),
    ("package_create", {"type": "data-product", "name": "x", "component_datasets": "\ud800"}, "sysadmin"),
    # NaN/Infinity (not JSON; Python reads them) echoed back in CKAN's 400 answer, which it then could not write.
    ("hhs_glossary_term_create", {"label": "x", "definition": "y", "exact_matches": float("inf")}, "anonymous"),
    # A NUL or a value of another type as an id reached the database or CKAN's package_show.
    ("hhs_dataset_completeness", {"id": True}, "sysadmin"),
    ("hhs_dataset_completeness", {"id": 1}, "anonymous"),  # in its auth function (CKAN's package_show's)
    ("hhs_lakehouse_join_keys", {"id": "\x00"}, "sysadmin"),
    ("hhs_lakehouse_table_show", {"id": "a\x00"}, "anonymous"),
    # A list as the division went on to organization_show as its id.
    ("hhs_catalog_validate", {"division": ["", ""]}, "sysadmin"),
    ("hhs_catalog_validate", {"division": "cms\x00"}, "anonymous"),
    # A NUL in a name or id looked up before validation reached PostgreSQL, which refuses it in a query.
    ("hhs_catalog_import", {"division": "cms\x00", "source": "https://example.com/data.json"}, "sysadmin"),
    ("hhs_catalog_import", {"division": {"a": 1}, "source": "https://example.com/data.json"}, "anonymous"),
    ("harvest_object_show", {"id": "a\x00"}, "sysadmin"),
    ("harvest_object_show", {"id": "a\x00"}, "anonymous"),
    ("package_update", {"id": "a\x00", "name": "x"}, "sysadmin"),
    ("package_patch", {"id": "a\x00"}, "sysadmin"),
    # tk.asbool raised ValueError on a flag that is no yes/no word.
    ("package_create", {"type": "dataset", "name": "fuzz-x", "authoritative_source": "<b>"}, "sysadmin"),
    # ckanext-scheming iterated `resources` before validation.
    ("package_create", {"type": "dataset", "name": "fuzz-x", "resources": 0.0}, "sysadmin"),
    ("package_patch", {"id": "fuzz-public", "resources": "abc"}, "sysadmin"),
]


@pytest.mark.parametrize(("action", "data", "role"), FOUND)
def test_found_by_fuzzing(world, action, data, role):
    response = _post(world, action, data, role)
    _check(response, f"{action} with {data!r}")


@pytest.mark.parametrize("inner", ["1", '"\\ud800"', "NaN"])
def test_a_body_nested_too_deeply_is_a_validation_error(world, inner):
    """Python's JSON parser raises RecursionError past its recursion limit, which CKAN does not catch."""
    depth = 100_000
    body = '{"id": ' + "[" * depth + inner + "]" * depth + "}"
    response = world["app"].post(
        "/api/3/action/hhs_glossary_term_show",
        data=body,
        headers={"Authorization": world["token"], "Content-Type": "application/json"},
    )
    _check(response, f"nested {depth} deep around {inner}")
    assert response.status_code == 409


@pytest.mark.parametrize("action", ["package_show", "hhs_dataset_completeness", "harvest_object_show"])
def test_a_nul_in_a_get_query_is_a_validation_error(world, action):
    response = world["app"].get(f"/api/3/action/{action}?id=a%00b", headers={"Authorization": world["token"]})
    _check(response, f"GET {action} with a NUL id")
    assert response.status_code == 409 and "id" in response.json["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/dataset/a%00",
        "/dataset/a%00/resource/b",
        "/dataset/a%00.rdf",
        "/organization/a%00",
        "/organization/a%00/data.json",
        "/group/a%00",
        "/user/a%00",
        "/glossary/a%00",
        "/harvest/a%00",
    ],
)
def test_a_page_with_a_nul_in_its_path_is_not_found(world, path):
    response = world["app"].get(path)
    assert response.status_code == 404, (path, response.status_code)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/dataset/new", {"name": "a\x00b", "title": "x", "save": "continue"}),  # CKAN's name check: 500
        ("/organization/new", {"name": "o\x00", "title": "x", "save": "save"}),  # the same
        ("/api/3/action/package_create", {"name": "a\x00b", "title": "x"}),  # the action API as a form
    ],
)
def test_a_form_with_a_nul_is_refused_naming_the_field(world, path, form):
    response = world["app"].post(path, data=form, headers={"Authorization": world["token"]})
    body = response.get_data(as_text=True)
    if path.startswith("/api/"):
        assert response.status_code == 409 and "name" in response.json["error"], body[:500]
    else:
        assert response.status_code == 400 and "name: text may not contain NUL characters" in body, body[:500]


# ---------------------------------------------------------------- stored markup is escaped where shown

MARKUP = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "</textarea><script>alert(1)</script>",
    "</script><script>alert(1)</script>",  # out of the JSON-LD block on the dataset page
    "' onmouseover='alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "{{ 7*7 }}<b>bold</b>",
]
_serial = iter(range(1_000_000))


class _Markup(html.parser.HTMLParser):
    """What in a page would run: event handler attributes, javascript: links, scripts calling alert."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Data blocks (JSON-LD) hold the text as data; only a script the browser runs counts.
        kind = (dict(attrs).get("type") or "").lower()
        self._script = tag == "script" and kind in ("", "text/javascript", "application/javascript", "module")
        for name, raw in attrs:
            value = (raw or "").strip().lower()
            if name.startswith("on") and "alert" in value or value.startswith("javascript:"):
                self.live.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(" in data:
            self.live.append(f"<script>{data.strip()[:80]}")


def _live_markup(body: str) -> list[str]:
    parser = _Markup()
    parser.feed(body)
    return parser.live


def test_the_markup_check_sees_live_markup():
    for vector in MARKUP[:3] + ['<a href="javascript:alert(1)">x</a>']:
        assert _live_markup(f"<p>{vector}</p>"), vector
    assert _live_markup("<p>&lt;script&gt;alert(1)&lt;/script&gt; &#39; onmouseover=&#39;alert(1)</p>") == []
    assert _live_markup('<script type="application/ld+json">{"a": "\\u003cscript\\u003ealert(1)"}</script>') == []
    assert _live_markup('<script type="application/ld+json">{"a": "</script><script>alert(1)</script>') != []


def test_stored_markup_is_escaped_on_the_pages_that_show_it(world):
    """Text with markup saved through the actions never comes back as live markup (an event handler, a
    javascript: link, a script) on the dataset, glossary term, data need, licence and access request
    pages, nor in the search pages that repeat the query."""
    sysadmin = world["sysadmin"]["name"]
    headers = {"Authorization": world["token"]}
    # A dataset of its own: the fuzzing above may have renamed or deleted the shared ones.
    shown = factories.HhsDataset(name=f"markup-{next(_serial)}", owner_org=world["cms"]["id"])["name"]
    # And a product of its own: the schema fuzzing may have changed the shared one's terms (its longest
    # access, say). Dates are relative to today, so that the test does not expire.
    product = helpers.call_action(
        "package_create",
        context={"user": sysadmin},
        **{**PRODUCT, "name": f"markup-product-{next(_serial)}", "component_datasets": [shown]},
        owner_org=world["cms"]["id"],
    )["name"]
    today = dt.date.today()
    soon, next_year = (today + dt.timedelta(days=30)).isoformat(), (today + dt.timedelta(days=365)).isoformat()

    def page(url: str) -> str:
        response = world["app"].get(url, headers=headers)
        assert response.status_code == 200, url
        return response.get_data(as_text=True)

    @settings(FUZZ, max_examples=max(8, EXAMPLES // 3))
    @given(
        payload=st.builds(
            lambda a, m, b: a + m + b,
            st.text("ab <>&'\"", max_size=5),
            st.sampled_from(MARKUP),
            st.text("xy", max_size=3),
        )
    )
    def run(payload):
        n = next(_serial)
        ctx = {"user": sysadmin, "ignore_auth": False}
        helpers.call_action("package_patch", context=ctx, id=shown, title=f"T{n} {payload}", notes=payload)
        term = helpers.call_action(
            "hhs_glossary_term_create", context=ctx, slug=f"xss-{n}", label=f"L{n} {payload}", definition=payload
        )
        need = helpers.call_action(
            "hhs_marketplace_need_create", context=ctx, title=f"N{n} {payload}", description=payload
        )
        licence = helpers.call_action(
            "hhs_marketplace_licence_create",
            context=ctx,
            vendor=f"V{n} {payload}",
            product=payload,
            terms=payload,
            holder="cms",
            start_date=today.isoformat(),
            end_date=next_year,
        )
        request_ = helpers.call_action(
            "hhs_marketplace_request_create",
            context=ctx,
            product=product,
            purpose=f"P{n} {payload}",
            end_date=soon,
            accept_terms=True,
        )
        for url in (
            f"/dataset/{shown}",
            f"/glossary/{term['slug']}",
            f"/marketplace/needs/{need['id']}",
            f"/marketplace/licences/{licence['id']}",
            f"/marketplace/requests/{request_['id']}",
            f"/dataset/?q={payload}",
            f"/glossary?q={payload}",
            f"/marketplace?q={payload}",
        ):
            live = _live_markup(page(url))
            assert live == [], f"{url} turns {payload!r} into live markup: {live}"
        # The request is withdrawn so that the next example may ask again.
        helpers.call_action("hhs_marketplace_request_withdraw", context=ctx, id=request_["id"])

    for vector in MARKUP:  # each vector as it is, then random ones around them
        run = example(payload=vector)(run)
    run()
