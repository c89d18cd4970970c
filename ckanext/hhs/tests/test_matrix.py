"""Permission matrix: who sees which dataset on every surface of the hub.

Roles (ROLES) x surfaces (SURFACES) x datasets of the CMS division in four states (public, private,
draft, deleted; draft and deleted are *not* flagged private, so their state alone must hide them).
Each cell is asserted against the tables below; a dataset a role may not see must leave no trace in
the response: neither its name, nor its title, nor its id, and no count that includes it.

The world is built once for the module (a few seconds) and every response is fetched once and kept,
so the suite runs in well under a minute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from werkzeug.datastructures import FileStorage

import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories

ROLES = ("anonymous", "outsider", "member", "editor", "admin", "collaborator", "board", "sysadmin")
DATASETS = ("public", "private", "draft", "deleted")

# The matrix. Cells: which of the four CMS datasets (P public, V private, D draft, X deleted) the response
# shows (a listing) or answers for (one request per dataset: a letter means success, "-" the surface's
# refusal); or a status code: the role is refused outright and nothing is shown.
# Roles: the outsider is a member of CDC; member, editor and admin are CMS's; the collaborator is an
# editor-collaborator of V, D and X (CKAN drops the collaborators of a dataset it deletes, so not of X any
# more); the board member is a member of the Data Governance Board.
# Marketplace and lakehouse rows are about the datasets they name: the product's components (P, V and X;
# drafts are refused as components), the access requests (the outsider's names P, the member's V), the
# need answered with P and V, the tables of each dataset and the join keys between them (the query page
# lists the tables whose metadata was read: a draft's table is not read until the dataset is active).
# Governance: the Board sees every division's figures and quality suggestions, private datasets included
# (its remit); a gap names only the linked datasets its viewer may open; a division's members get its
# harvest fix list (none of these datasets is harvested), its admins its gaps.
MATRIX = """
surface                       anonymous outsider member editor admin collaborator board sysadmin
api package_show              P---      P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
api package_patch             ----      ----     ----   PVDX   PVDX  -VD-         ----  PVDX
api package_search            P---      P---     PV--   PVD-   PVD-  PVD-         P---  PVD-
api facet counts              P---      P---     PV--   PV--   PV--  PV--         P---  PV--
api organization_show         P---      P---     PV--   PV--   PV--  PV--         P---  PV--
page dataset                  P---      P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
page dataset search           P---      P---     PV--   PV--   PV--  PV--         P---  PV--
page division                 P---      P---     PV--   PV--   PV--  PV--         P---  PV--
data.json                     P---      P---     P---   P---   P---  P---         P---  P---
division data.json            P---      P---     P---   P---   P---  P---         P---  P---
inventory data.json           403       P---     PV--   PV--   PV--  403          P---  PV--
dcat catalog.ttl              P---      P---     P---   P---   P---  P---         P---  P---
dcat division catalog.ttl     P---      P---     P---   P---   P---  P---         P---  P---
dcat division catalog.jsonld  P---      P---     P---   P---   P---  P---         P---  P---
dcat dataset.rdf              P---      P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
dcat dataset.ttl              P---      P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
api glossary term_datasets    P---      P---     PV--   PV--   PV--  PV--         P---  PV--
api glossary term_columns     P---      P---     PV--   PV--   PV--  PV--         P---  PV--
page glossary term            P---      P---     PV--   PV--   PV--  PV--         P---  PV--
api product components        P---      P---     PV-X   PV-X   PV-X  PV--         P---  PV-X
page product                  P---      P---     PV-X   PV-X   PV-X  PV--         P---  PV-X
page marketplace              ----      ----     ----   ----   ----  ----         ----  ----
api product_usage             ----      ----     ----   ----   ----  ----         ----  ----
api request_list mine         403       ----     ----   ----   ----  ----         ----  ----
api request_list queue        403       ----     ----   ----   ----  ----         ----  ----
page requests                 302       ----     ----   ----   ----  ----         ----  ----
api request_show outsider's   403       P---     403    P---   P---  403          403   P---
api request_show member's     403       403      -V--   -V--   -V--  403          403   -V--
page request member's         302       403      -V--   -V--   -V--  403          403   -V--
api need_show                 403       P---     PV--   PV--   PV--  PV--         P---  PV--
page need                     302       P---     PV--   PV--   PV--  PV--         P---  PV--
api licence_search            403       ----     ----   ----   ----  ----         ----  ----
page licences                 302       ----     ----   ----   ----  ----         ----  ----
api metrics                   403       ----     ----   ----   ----  ----         ----  ----
page metrics                  302       ----     ----   ----   ----  ----         ----  ----
api lakehouse table_list      P---      P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
api lakehouse table_show      P---      P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
api lakehouse join_keys       P---      P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
api lakehouse preview         403       P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
api lakehouse query           403       P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
page lakehouse preview        403       P---     PV-X   PVDX   PVDX  PVD-         P---  PVDX
page lakehouse query          403       P---     PV-X   PV-X   PV-X  PV--         P---  PV-X
governance dashboard          302       403      403    403    403   403          ----  ----
governance catalog.csv        302       403      403    403    403   403          ----  ----
governance duplicates         302       403      403    403    403   403          ----  ----
governance quality            302       403      403    403    403   403          -V--  -V--
governance fixlist.csv        302       403      ----   ----   ----  403          ----  ----
governance gaps               302       403      403    403    ----  403          ----  ----
governance gaps.csv           302       403      403    403    PV--  403          P---  PV--
api governance metrics_show   403       403      403    403    403   403          ----  ----
api governance duplicate_list 403       403      403    403    403   403          ----  ----
api governance gap_list       403       403      403    403    PV--  403          P---  PV--
api governance gap_show       403       403      403    403    PV--  403          P---  PV--
governance gap                302       403      403    403    PV--  403          P---  PV--
api governance suggestions    403       403      403    403    403   403          -V--  -V--
api governance fixlist_show   403       403      ----   ----   ----  403          ----  ----
"""

NAMES = {
    "public": ("matrix-public-okapi", "Okapi public claims"),
    "private": ("matrix-private-narwhal", "Narwhal private claims"),
    "draft": ("matrix-draft-axolotl", "Axolotl draft claims"),
    "deleted": ("matrix-deleted-pangolin", "Pangolin deleted claims"),
}
TERM = "matrix-join-key"
PRODUCT = "matrix-product-ibis"


def _act(name: str, user: str, **data: Any) -> Any:
    return helpers.call_action(name, context={"user": user, "ignore_auth": False}, **data)


def _build(root) -> dict[str, Any]:
    """The world of the matrix: users in each role, the four datasets (each with a registered Parquet
    table whose column is linked to an approved glossary term), a data product over all four, access
    requests, a licence, an answered data need."""
    sysadmin = ckan_factories.Sysadmin(name="matrix-sysadmin")["name"]
    users = {r: ckan_factories.User(name=f"matrix-{r}")["name"] for r in ROLES if r not in ("anonymous", "sysadmin")}
    users["sysadmin"] = sysadmin
    cms = factories.Division(
        name="cms",
        title="Centers for Medicare & Medicaid Services",
        users=[
            {"name": users["member"], "capacity": "member"},
            {"name": users["editor"], "capacity": "editor"},
            {"name": users["admin"], "capacity": "admin"},
        ],
    )
    factories.Division(
        name="cdc", title="CDC", bureau_code="009:20", users=[{"name": users["outsider"], "capacity": "member"}]
    )
    factories.Division(
        name=tk.config.get("ckanext.hhs.governance_org") or "data-governance-board",
        title="Data Governance Board",
        kind="governance",
        bureau_code="009:90",
        users=[{"name": users["board"], "capacity": "member"}],
    )
    helpers.call_action(
        "hhs_glossary_import",
        context={"user": sysadmin, "ignore_auth": False},
        rows=[
            {
                "name": TERM,
                "displayName": "Matrix join key",
                "description": "A key that joins the matrix datasets.",
                "status": "approved",
            }
        ],
    )
    datasets = {}
    for kind, (name, title) in NAMES.items():
        path = root / "cms" / name  # the owner division's folder of the allowed root
        path.mkdir(parents=True)
        pq.write_table(pa.table({"state_fips": ["01", "02"], "n": [1, 2]}), str(path / "part-0.parquet"))
        fields = {
            "name": name,
            "title": title,
            "owner_org": cms["id"],
            "private": kind == "private",
            "glossary_terms": [TERM],
            "resources": [
                {
                    "url": "https://example.com/table",
                    "name": f"{title} table",
                    "resource_kind": "lakehouse",
                    "table_uri": str(path),
                    "table_format": "parquet",
                    "column_terms": [{"column": "state_fips", "term": TERM}],
                }
            ],
        }
        if kind == "draft":
            fields["state"] = "draft"
        pkg = factories.HhsDataset(**fields)
        table = _act("hhs_lakehouse_table_register", sysadmin, id=pkg["resources"][0]["id"], queue=False)
        datasets[kind] = {**pkg, "sql_name": table["sql_name"], "resource_id": pkg["resources"][0]["id"]}
    for kind in ("private", "draft", "deleted"):
        helpers.call_action(
            "package_collaborator_create", id=datasets[kind]["id"], user_id=users["collaborator"], capacity="editor"
        )
    product = helpers.call_action(
        "package_create",
        context={"user": sysadmin},
        type="data-product",
        name=PRODUCT,
        title="Ibis claims product",
        notes="Claims for HHS analysts.",
        owner_org=cms["id"],
        product_status="active",
        product_type="dataset_bundle",
        access_terms="standard",
        cost_model="free",
        standard_terms="Use only for the stated purpose.",
        max_access_days=180,
        component_datasets=[NAMES[k][0] for k in ("public", "private", "deleted")],  # drafts are refused
    )
    # Marketplace: the outsider asks for the public component, the collaborator for the private one; a
    # need posted by the outsider is answered by the CMS editor with the public and the private dataset;
    # CMS holds a licence delivered by the product.
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    requests = {}
    for role, kind in (("outsider", "public"), ("member", "private")):
        requests[role] = _act(
            "hhs_marketplace_request_create",
            users[role],
            product=PRODUCT,
            purpose=f"Matrix study by the {role}",
            datasets=[NAMES[kind][0]],
            end_date=soon,
            accept_terms=True,
        )["id"]
    need = _act(
        "hhs_marketplace_need_create", users["outsider"], title="Matrix need", description="Claims", asked=["cms"]
    )
    _act(
        "hhs_marketplace_need_answer",
        users["editor"],
        id=need["id"],
        kind="existing",
        datasets=[NAMES["public"][0], NAMES["private"][0]],
        division="cms",
    )
    licence = _act(
        "hhs_marketplace_licence_create",
        users["admin"],
        vendor="Matrix vendor",
        product="Matrix licensed data",
        holder="cms",
        covered=["cdc"],
        start_date=dt.date.today().isoformat(),
        end_date=soon,
        data_product=PRODUCT,
    )
    gap = _governance(sysadmin, datasets)
    grantees, download = _grants(sysadmin, users, datasets)
    helpers.call_action("package_delete", id=datasets["deleted"]["id"])
    return {
        "users": users,
        "cms": cms,
        "datasets": datasets,
        "product": product,
        "need": need,
        "licence": licence,
        "requests": requests,
        "gap": gap,
        "grantees": grantees,
        "download": download,
    }


def _grants(sysadmin: str, users: dict[str, str], datasets: dict[str, Any]) -> tuple[dict[str, str], str]:
    """Three CDC analysts granted the private dataset through the product: one grant live, one ended by
    expiry, one withdrawn by the steward; and an uploaded file on the private dataset. Returns the
    grantees (grant state -> user name) and the file's download path."""
    resource = helpers.call_action(
        "resource_create",
        context={"user": users["editor"], "ignore_auth": False},
        package_id=datasets["private"]["id"],
        name="Narwhal claims file",
        url="claims.csv",
        upload=FileStorage(io.BytesIO(b"state_fips,n\n01,1\n"), filename="claims.csv"),
    )
    grantees = {}
    for state, days in (("active", 60), ("expired", 10), ("withdrawn", 60)):
        name = ckan_factories.User(name=f"matrix-grant-{state}")["name"]
        helpers.call_action("organization_member_create", id="cdc", username=name, role="member")
        request = _act(
            "hhs_marketplace_request_create",
            name,
            product=PRODUCT,
            purpose=f"Matrix grant {state}",  # all components: the grant is for V, the one private
            end_date=(dt.date.today() + dt.timedelta(days=days)).isoformat(),
            accept_terms=True,
        )
        _act("hhs_marketplace_request_approve", users["editor"], id=request["id"])
        if state == "withdrawn":
            _act("hhs_marketplace_request_revoke", users["editor"], id=request["id"], message="Matrix: withdrawn")
        grantees[state] = name
    # Expiry as the daily job runs it, on a day after the short grant's end and before the others'.
    _act("hhs_marketplace_grants_expire", sysadmin, as_of=(dt.date.today() + dt.timedelta(days=20)).isoformat())
    return grantees, f"/dataset/{datasets['private']['id']}/resource/{resource['id']}/download/claims.csv"


def _governance(sysadmin: str, datasets: dict[str, Any]) -> str:
    """Governance objects that name datasets: a CMS gap linking P and V (its id is returned), quality
    suggestions on V."""
    gap = _act(
        "hhs_governance_gap_create",
        sysadmin,
        title="Matrix gap",
        division="cms",
        datasets=[datasets["public"]["name"], datasets["private"]["name"]],
    )
    _act("hhs_governance_quality_check", sysadmin, id=datasets["private"]["name"], wait=True)
    return gap["id"]


@pytest.fixture(scope="module")
def lake_root(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-lake")


@pytest.fixture(autouse=True)
def _lake_allowed(lake_root, monkeypatch):
    # CKAN's test plugin restores the config before each test: the allowed root is set for each.
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.allowed_roots", str(lake_root))


@pytest.fixture(scope="module")
def world(lake_root, reset_db, reset_index, migrate_loaded):
    """Plugins loaded, database and index emptied and the world built, once for the module."""
    p.load_all()
    tk.config["ckanext.hhs.lakehouse.allowed_roots"] = str(lake_root)
    reset_db()
    reset_index()
    migrate_loaded()
    built = _build(lake_root)
    built["tokens"] = {role: ckan_factories.APIToken(user=name)["token"] for role, name in built["users"].items()}
    built["tokens"].update(
        {f"grant {state}": ckan_factories.APIToken(user=name)["token"] for state, name in built["grantees"].items()}
    )
    built["app"] = helpers._get_test_app()
    yield built
    p.unload_non_system_plugins()


def _parse(table: str) -> dict[str, dict[str, str]]:
    lines = [line for line in table.strip().splitlines() if line.strip()]
    roles = lines[0].split()[1:]
    assert tuple(roles) == ROLES
    parsed = {}
    for line in lines[1:]:
        (*words,) = line.split()
        cells = words[-len(ROLES) :]
        parsed[" ".join(words[: -len(ROLES)])] = dict(zip(ROLES, cells, strict=False))
    return parsed


EXPECTED = _parse(MATRIX)
LETTER = dict(zip(DATASETS, "PVDX", strict=False))


# ---------------------------------------------------------------- how each surface is asked


class Client:
    """One role's requests to the test app, with its API token (none for anonymous)."""

    def __init__(self, world: dict[str, Any], role: str):
        self.app, self.world, self.role = world["app"], world, role
        token = world["tokens"].get(role)
        self.headers = {"Authorization": token} if token else {}

    def get(self, url: str, **params: Any):
        return self.app.get(url, query_string=params, headers=self.headers, follow_redirects=False)

    def action(self, name: str, **data: Any):
        return self.app.post(f"/api/3/action/{name}", json=data, headers=self.headers)


def _ds(c: Client, kind: str) -> dict[str, Any]:
    return c.world["datasets"][kind]


def _clear_rdf_cache() -> None:
    from ckan.lib.redis import connect_to_redis

    redis = connect_to_redis()
    for key in redis.scan_iter("hhs:catalog:*"):
        redis.delete(key)


def _rdf(c: Client, url: str):
    # The division's RDF is cached for everyone: each role gets it built afresh, so that the builder's own
    # filter is what is tested (the cache holds what it built for an anonymous caller, see views.py).
    _clear_rdf_cache()
    return c.get(url)


def _search_count(r) -> int:
    return r.json["result"]["count"] - 1  # the data product, public, is listed too


def _facet(r, field: str, value: str) -> int:
    items = r.json["result"]["search_facets"].get(field, {}).get("items", [])
    return sum(i["count"] for i in items if i["name"] == value)


def _page_count(r) -> int:
    found = re.search(r"([\d,]+|No) datasets? found", r.get_data(as_text=True))
    assert found, "no result count on the page"
    return 0 if found.group(1) == "No" else int(found.group(1).replace(",", ""))


def _datajson_count(r) -> int:
    return len(json.loads(r.get_data(as_text=True))["dataset"])


Fetch = Callable[[Client, str], Any]


@dataclasses.dataclass
class Surface:
    fetch: Fetch
    per_dataset: bool = False  # one request per dataset (else one listing per role)
    count: Callable[[Any], int] | None = None  # how many matrix datasets the listing counts
    names: bool = True  # the listing names what it shows (facet counts do not)


def _s(fetch: Fetch, per_dataset: bool = False, count: Callable[[Any], int] | None = None, names: bool = True):
    return Surface(fetch, per_dataset, count, names)


SURFACES: dict[str, Surface] = {
    "api package_show": _s(lambda c, k: c.action("package_show", id=_ds(c, k)["name"]), True, None),
    "api package_patch": _s(
        lambda c, k: c.action("package_patch", id=_ds(c, k)["name"], notes=_ds(c, k)["notes"]),
        True,
        None,
    ),
    "api package_search": _s(
        lambda c, k: c.action("package_search", q="claims", include_private=True, include_drafts=True, rows=50),
        False,
        _search_count,
    ),
    "api facet counts": _s(
        lambda c, k: c.action(
            "package_search",
            include_private=True,
            rows=0,
            **{"facet.field": ["organization", "vocab_glossary_terms", "res_format"]},
        ),
        False,
        lambda r: (
            _facet(r, "vocab_glossary_terms", TERM)
            if _facet(r, "organization", "cms") - 1 == _facet(r, "vocab_glossary_terms", TERM)
            else -1
        ),
        names=False,
    ),
    "api organization_show": _s(
        lambda c, k: c.action("organization_show", id="cms", include_datasets=True),
        False,
        lambda r: r.json["result"]["package_count"] - 1,
    ),
    "page dataset": _s(lambda c, k: c.get(f"/dataset/{_ds(c, k)['name']}"), True, None),
    "page dataset search": _s(lambda c, k: c.get("/dataset/", q="claims"), False, lambda r: _page_count(r) - 1),
    "page division": _s(lambda c, k: c.get("/organization/cms", q="claims"), False, lambda r: _page_count(r) - 1),
    "data.json": _s(lambda c, k: c.get("/data.json"), False, _datajson_count),
    "division data.json": _s(lambda c, k: c.get("/organization/cms/data.json"), False, _datajson_count),
    "inventory data.json": _s(lambda c, k: c.get("/inventory/data.json"), False, _datajson_count),
    "dcat catalog.ttl": _s(lambda c, k: c.get("/catalog.ttl"), False, None),
    "dcat division catalog.ttl": _s(lambda c, k: _rdf(c, "/organization/cms/catalog.ttl"), False, None),
    "dcat division catalog.jsonld": _s(lambda c, k: _rdf(c, "/organization/cms/catalog.jsonld"), False, None),
    "dcat dataset.rdf": _s(lambda c, k: c.get(f"/dataset/{_ds(c, k)['name']}.rdf"), True, None),
    "dcat dataset.ttl": _s(lambda c, k: c.get(f"/dataset/{_ds(c, k)['name']}.ttl"), True, None),
    "api glossary term_datasets": _s(
        lambda c, k: c.action("hhs_glossary_term_datasets", id=TERM),
        False,
        lambda r: r.json["result"]["count"],
    ),
    "api glossary term_columns": _s(
        lambda c, k: c.action("hhs_glossary_term_columns", id=TERM),
        False,
        lambda r: len({col["dataset"]["name"] for col in r.json["result"]}),
    ),
    "page glossary term": _s(lambda c, k: c.get(f"/glossary/{TERM}"), False, None),
    "api product components": _s(
        lambda c, k: c.action("package_show", id=PRODUCT),
        False,
        lambda r: len(r.json["result"].get("component_datasets") or []),
    ),
    "page product": _s(lambda c, k: c.get(f"/marketplace/{PRODUCT}"), False, None),
    "page marketplace": _s(lambda c, k: c.get("/marketplace"), False, None),
    "api product_usage": _s(lambda c, k: c.action("hhs_marketplace_product_usage", id=PRODUCT), False, None),
    "api request_list mine": _s(lambda c, k: c.action("hhs_marketplace_request_list", scope="mine"), False, None),
    "api request_list queue": _s(lambda c, k: c.action("hhs_marketplace_request_list", scope="queue"), False, None),
    "page requests": _s(lambda c, k: c.get("/marketplace/requests"), False, None),
    "api request_show outsider's": _s(
        lambda c, k: c.action("hhs_marketplace_request_show", id=c.world["requests"]["outsider"]), False, None
    ),
    "api request_show member's": _s(
        lambda c, k: c.action("hhs_marketplace_request_show", id=c.world["requests"]["member"]), False, None
    ),
    "page request member's": _s(
        lambda c, k: c.get(f"/marketplace/requests/{c.world['requests']['member']}"), False, None
    ),
    "api need_show": _s(lambda c, k: c.action("hhs_marketplace_need_show", id=c.world["need"]["id"]), False, None),
    "page need": _s(lambda c, k: c.get(f"/marketplace/needs/{c.world['need']['id']}"), False, None),
    "api licence_search": _s(lambda c, k: c.action("hhs_marketplace_licence_search"), False, None),
    "page licences": _s(lambda c, k: c.get("/marketplace/licences"), False, None),
    "api metrics": _s(lambda c, k: c.action("hhs_marketplace_metrics"), False, None),
    "page metrics": _s(lambda c, k: c.get("/marketplace/metrics"), False, None),
    "api lakehouse table_list": _s(
        lambda c, k: c.action("hhs_lakehouse_table_list"),
        False,
        lambda r: r.json["result"]["count"],
    ),
    "api lakehouse table_show": _s(
        lambda c, k: c.action("hhs_lakehouse_table_show", id=_ds(c, k)["resource_id"]),
        True,
        None,
    ),
    "api lakehouse join_keys": _s(
        lambda c, k: c.action("hhs_lakehouse_join_keys", id=_ds(c, k)["resource_id"]),
        True,
        None,
    ),
    "api lakehouse preview": _s(
        lambda c, k: c.action("hhs_lakehouse_preview", id=_ds(c, k)["resource_id"]),
        True,
        None,
    ),
    "api lakehouse query": _s(
        lambda c, k: c.action("hhs_lakehouse_query", sql=f"select count(*) as n from {_ds(c, k)['sql_name']}"),
        True,
        None,
    ),
    "page lakehouse preview": _s(
        lambda c, k: c.get(f"/dataset/{_ds(c, k)['name']}/resource/{_ds(c, k)['resource_id']}/table/preview"),
        True,
        None,
    ),
    "page lakehouse query": _s(lambda c, k: c.get("/lakehouse/query"), False, None),
    # Governance (the Board sees every division's figures, private datasets included, by design).
    "governance dashboard": _s(lambda c, k: c.get("/governance/")),
    "governance catalog.csv": _s(lambda c, k: c.get("/governance/catalog.csv")),
    "governance duplicates": _s(lambda c, k: c.get("/governance/duplicates")),
    "governance quality": _s(lambda c, k: c.get("/governance/quality")),
    "governance fixlist.csv": _s(lambda c, k: c.get("/governance/quality/fixlist/cms.csv")),
    "governance gaps": _s(lambda c, k: c.get("/governance/gaps")),
    "governance gaps.csv": _s(lambda c, k: c.get("/governance/gaps.csv")),
    "api governance metrics_show": _s(lambda c, k: c.action("hhs_governance_metrics_show")),
    "api governance duplicate_list": _s(lambda c, k: c.action("hhs_governance_duplicate_list")),
    "api governance gap_list": _s(lambda c, k: c.action("hhs_governance_gap_list")),
    "api governance gap_show": _s(lambda c, k: c.action("hhs_governance_gap_show", id=c.world["gap"])),
    "governance gap": _s(lambda c, k: c.get(f"/governance/gaps/{c.world['gap']}")),
    "api governance suggestions": _s(lambda c, k: c.action("hhs_governance_suggestion_list")),
    "api governance fixlist_show": _s(lambda c, k: c.action("hhs_governance_fixlist_show", division="cms")),
}
# What each surface answers when it refuses one dataset (per-dataset surfaces).
REFUSED = {"api": (403, 404, 409), "page": (404, 403), "dcat": (404, 403), "governance": (403,)}
# What the caller names in a per-dataset request (so the answer may repeat it): the dataset's URL name,
# and in SQL the table's name, made of it.
SUPPLIED = {"name"}


def test_the_matrix_covers_every_surface_and_role():
    assert set(EXPECTED) == set(SURFACES)
    for surface, row in EXPECTED.items():
        for role, cell in row.items():
            assert cell.isdigit() or re.fullmatch(r"[P-][V-][D-][X-]", cell), (surface, role, cell)


# ---------------------------------------------------------------- the cells

_answers: dict[tuple[str, str, str | None], Any] = {}
# The writes refuse roles that may still see the dataset: what may show is what package_show shows.
SHOWN_AS = {"api package_patch": "api package_show"}


def _answer(world: dict[str, Any], surface: str, role: str, kind: str):
    key = (surface, role, kind if SURFACES[surface].per_dataset else None)
    if key not in _answers:
        _answers[key] = SURFACES[surface].fetch(Client(world, role), kind)
    return _answers[key]


def _markers(world: dict[str, Any], kind: str, supplied: bool) -> list[str]:
    pkg = world["datasets"][kind]
    return [pkg["title"], pkg["id"]] + ([] if supplied else [pkg["name"], pkg["sql_name"]])


def _cell_errors(world: dict[str, Any], surface: str, role: str, kind: str) -> list[str]:
    """What is wrong in one cell (surface, role, dataset)."""
    spec, cell = SURFACES[surface], EXPECTED[surface][role]
    response = _answer(world, surface, role, kind)
    body = response.get_data(as_text=True)
    status = response.status_code
    where = f"{surface} / {role} / {kind}"
    visible = EXPECTED[SHOWN_AS.get(surface, surface)][role]
    visible = "" if visible.isdigit() else visible.replace("-", "")
    errors = []
    # No trace of a dataset the role may not see (the one asked for by name may be named back).
    for other in DATASETS:
        if LETTER[other] not in visible:
            for marker in _markers(world, other, supplied=spec.per_dataset and other == kind):
                if marker in body:
                    errors.append(f"{where}: LEAK of the {other} dataset ({marker!r}) in {status} {body[:300]!r}")
    if cell.isdigit():
        if status != int(cell):
            errors.append(f"{where}: {status}, expected {cell}: {body[:300]!r}")
        return errors
    if spec.per_dataset:
        allowed = LETTER[kind] in cell
        if allowed and status != 200 or not allowed and status not in REFUSED[surface.split(maxsplit=1)[0]]:
            errors.append(f"{where}: {status}, expected {'success' if allowed else 'a refusal'}: {body[:300]!r}")
        return errors
    if status != 200:
        return [*errors, f"{where}: {status}, expected 200: {body[:300]!r}"]
    pkg = world["datasets"][kind]
    if spec.names and LETTER[kind] in cell and not any(pkg[k] in body for k in ("name", "title", "sql_name")):
        errors.append(f"{where}: the {kind} dataset is missing")
    if spec.count is not None and kind == "public" and spec.count(response) != len(cell.replace("-", "")):
        errors.append(f"{where}: counts {spec.count(response)}, expected {len(cell.replace('-', ''))}")
    return errors


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("surface", list(SURFACES))
def test_cells(world, surface, role):
    """The four cells of a surface and role (one per dataset)."""
    errors = [e for kind in DATASETS for e in _cell_errors(world, surface, role, kind)]
    assert errors == [], "\n".join(errors)


def test_a_write_allowed_by_the_matrix_changes_nothing_else(world):
    """The writes above kept each dataset in its state (draft stays draft, deleted stays deleted)."""
    for kind, state in (("public", "active"), ("private", "active"), ("draft", "draft"), ("deleted", "deleted")):
        assert model.Package.get(world["datasets"][kind]["id"]).state == state


# ---------------------------------------------------------------- grants

# The private dataset V as three CDC analysts granted it through the product reach it: a grant live, one
# ended by expiry, one withdrawn by the steward (none of them may see V otherwise). "V": the surface
# answers with it; "-": refused, with no trace of it (its title or id) in the answer.
GRANT_STATES = ("active", "expired", "withdrawn")
GRANT_MATRIX = """
surface                  active expired withdrawn
api package_show         V      -       -
page dataset             V      -       -
file download            V      -       -
api lakehouse preview    V      -       -
api lakehouse query      V      -       -
"""
GRANT_SURFACES: dict[str, Fetch] = {
    "api package_show": lambda c, k: c.action("package_show", id=_ds(c, "private")["name"]),
    "page dataset": lambda c, k: c.get(f"/dataset/{_ds(c, 'private')['name']}"),
    "file download": lambda c, k: c.get(c.world["download"]),
    "api lakehouse preview": lambda c, k: c.action("hhs_lakehouse_preview", id=_ds(c, "private")["resource_id"]),
    "api lakehouse query": lambda c, k: c.action(
        "hhs_lakehouse_query", sql=f"select count(*) as n from {_ds(c, 'private')['sql_name']}"
    ),
}


def _parse_grants(table: str) -> dict[str, dict[str, str]]:
    lines = [line for line in table.strip().splitlines() if line.strip()]
    assert tuple(lines[0].split()[1:]) == GRANT_STATES
    return {
        " ".join(line.split()[: -len(GRANT_STATES)]): dict(
            zip(GRANT_STATES, line.split()[-len(GRANT_STATES) :], strict=True)
        )
        for line in lines[1:]
    }


GRANT_EXPECTED = _parse_grants(GRANT_MATRIX)


def test_the_grant_matrix_covers_every_grant_surface():
    assert set(GRANT_EXPECTED) == set(GRANT_SURFACES)


@pytest.mark.parametrize("state", GRANT_STATES)
@pytest.mark.parametrize("surface", list(GRANT_SURFACES))
def test_grant_cells(world, surface, state):
    response = GRANT_SURFACES[surface](Client(world, f"grant {state}"), "private")
    body, status = response.get_data(as_text=True), response.status_code
    where = f"{surface} / grant {state}"
    if GRANT_EXPECTED[surface][state] == "V":
        assert status == 200, f"{where}: {status}, expected success: {body[:300]!r}"
        return
    assert status in REFUSED.get(surface.split(maxsplit=1)[0], ()) + (403, 404), f"{where}: {status}: {body[:300]!r}"
    for marker in _markers(world, "private", supplied=True):
        assert marker not in body, f"{where}: LEAK of the private dataset ({marker!r}) in {status}"
