from __future__ import annotations

import pytest


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """CKAN's clean_db plus the tables of the plugins that bring migrations (harvest, hhs_glossary)."""
    reset_db()
    migrate_db_for("harvest")
    migrate_db_for("hhs_glossary")


@pytest.fixture
def sysadmin_context():
    from ckan.tests import factories

    user = factories.Sysadmin()
    return {"user": user["name"], "ignore_auth": False}
