"""Marketplace fixtures: a CMS division with a steward, a private and a public dataset, a product over
them, and a CDC analyst who asks for access."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories


def in_days(n: int) -> str:
    return (dt.date.today() + dt.timedelta(days=n)).isoformat()


def make_product(org: dict, sysadmin: dict, **fields) -> dict:
    data = {
        "type": "data-product",
        "name": fields.pop("name", "medicare-claims-research"),
        "title": "Medicare claims for research",
        "notes": "Beneficiary-level Medicare claims for HHS analysts.",
        "owner_org": org["id"],
        "product_status": "active",
        "product_type": "dataset_bundle",
        "access_terms": "standard",
        "cost_model": "free",
        "standard_terms": "Use only for the stated purpose; no re-identification.",
        "max_access_days": 180,
        **fields,
    }
    return helpers.call_action("package_create", context={"user": sysadmin["name"]}, **data)


@pytest.fixture
def world():
    sysadmin = ckan_factories.Sysadmin()
    steward = ckan_factories.User(name="cms-steward", email="steward@cms.example.gov")
    cms_admin = ckan_factories.User(name="cms-admin", email="admin@cms.example.gov")
    analyst = ckan_factories.User(name="cdc-analyst", email="analyst@cdc.example.gov")
    outsider = ckan_factories.User(name="outsider", email="outsider@example.gov")
    cms = factories.Division(
        name="cms",
        title="Centers for Medicare & Medicaid Services",
        users=[{"name": steward["name"], "capacity": "editor"}, {"name": cms_admin["name"], "capacity": "admin"}],
    )
    cdc = factories.Division(
        name="cdc",
        title="Centers for Disease Control and Prevention",
        users=[{"name": analyst["name"], "capacity": "member"}],
    )
    secret = factories.HhsDataset(
        name="medicare-claims-identifiable",
        title="Medicare claims (identifiable)",
        owner_org=cms["id"],
        private=True,
        access_level="non-public",
        access_rights="PHI; access through the marketplace only.",
    )
    public = factories.HhsDataset(name="medicare-inpatient-hospitals", title="Inpatient hospitals", owner_org=cms["id"])
    product = make_product(cms, sysadmin, component_datasets=[secret["name"], public["name"]])
    return SimpleNamespace(
        sysadmin=sysadmin,
        steward=steward,
        cms_admin=cms_admin,
        analyst=analyst,
        outsider=outsider,
        cms=cms,
        cdc=cdc,
        secret=secret,
        public=public,
        product=product,
    )


def ask(world, user=None, **fields) -> dict:
    data = {
        "product": world.product["name"],
        "purpose": "Study flu vaccination among Medicare beneficiaries",
        "project": "Flu VE 2026",
        "end_date": in_days(30),
        "accept_terms": True,
        **fields,
    }
    return helpers.call_action(
        "hhs_marketplace_request_create",
        context={"user": (user or world.analyst)["name"], "ignore_auth": False},
        **data,
    )
