"""The governance tables, one module per part of the dashboard (changed only by the alembic revisions
in migration/hhs_governance/versions/)."""

from __future__ import annotations

from .duplicates import *  # noqa: F403
from .gaps import *  # noqa: F403
from .metrics import *  # noqa: F403
from .quality import *  # noqa: F403
