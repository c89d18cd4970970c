"""Factories for HHS objects, on top of ckan.tests.factories."""

from __future__ import annotations

import factory

from ckan.tests import factories


class Division(factories.Organization):
    """An HHS division with the fields the organization schema requires."""

    acronym = factory.Sequence(lambda n: f"DIV{n}")
    kind = "operating"
    bureau_code = "009:38"


class HhsDataset(factories.Dataset):
    """A dataset that passes the HHS dataset schema."""

    owner_org = factory.LazyFunction(lambda: Division()["id"])
    notes = "Claims data about Medicare beneficiaries."
    tag_string = "medicare,claims"
    bureau_code = ["009:38"]
    program_code = ["009:000"]
    access_level = "public"
    contact = factory.LazyFunction(lambda: [{"name": "Data Team", "email": "data@cms.hhs.gov"}])
