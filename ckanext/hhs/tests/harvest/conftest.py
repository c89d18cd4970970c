from __future__ import annotations

import pytest

from ckanext.hhs.tests import factories


@pytest.fixture
def division():
    """CMS (bureau code 009:38), the division the demo catalog's records belong to."""
    return factories.Division(name="cms", bureau_code="009:38")
