"""The governance action functions, one module per part of the dashboard (action_<part>.py)."""

from __future__ import annotations

from . import action_duplicates, action_gaps, action_metrics, action_quality
from .action_duplicates import *  # noqa: F403
from .action_gaps import *  # noqa: F403
from .action_metrics import *  # noqa: F403
from .action_quality import *  # noqa: F403

__all__ = action_duplicates.__all__ + action_gaps.__all__ + action_metrics.__all__ + action_quality.__all__
