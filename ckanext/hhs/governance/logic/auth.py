"""The governance auth functions, one module per part of the dashboard (auth_<part>.py)."""

from __future__ import annotations

from . import auth_duplicates, auth_gaps, auth_metrics, auth_quality
from .auth_duplicates import *  # noqa: F403
from .auth_gaps import *  # noqa: F403
from .auth_metrics import *  # noqa: F403
from .auth_quality import *  # noqa: F403

__all__ = auth_duplicates.__all__ + auth_gaps.__all__ + auth_metrics.__all__ + auth_quality.__all__
