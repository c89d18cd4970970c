"""The governance schema functions, one module per part of the dashboard (schema_<part>.py)."""

from __future__ import annotations

from .schema_duplicates import *  # noqa: F403
from .schema_gaps import *  # noqa: F403
from .schema_metrics import *  # noqa: F403
from .schema_quality import *  # noqa: F403
