"""The count of new items on a signed-in user's dashboard, shown in the header of every page.

CKAN's activity plugin works it out by building the user's whole dashboard stream (every followed dataset,
division and user, with the permission labels) and counting the new items: about a third of a signed-in
page's time (issue #23, load test). The count is kept in Redis for a minute per user, and forgotten as soon
as the user reads the dashboard (CKAN's `dashboard_mark_activities_old`), so the badge clears at once; a new
item from someone else shows within the minute. Registered only when the activity plugin is loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis.exceptions

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis

log = logging.getLogger(__name__)

KEPT_SECONDS = 60
READ_ACTION = "dashboard_mark_activities_old"


def _key(user_name: str) -> str:
    return f"{tk.config.get('ckan.site_id')}:hhs:new-activities:{user_name}"


@tk.chained_helper
def new_activities(next_helper: Callable[[], int | None]) -> int | None:
    user = tk.g.get("userobj")
    if not user:
        return next_helper()
    try:
        kept = connect_to_redis().get(_key(user.name))
    except redis.exceptions.RedisError:
        return next_helper()
    if kept is not None:
        return int(kept)
    count = next_helper()
    if count is not None:
        try:
            connect_to_redis().setex(_key(user.name), KEPT_SECONDS, count)
        except redis.exceptions.RedisError:
            log.warning("Could not keep the dashboard count of %s", user.name)
    return count


def forget(sender: str, **kwargs: Any) -> None:
    """Receiver of the action_succeeded signal of `dashboard_mark_activities_old`: the user has read them."""
    user = (kwargs.get("context") or {}).get("user")
    if user:
        try:
            connect_to_redis().delete(_key(user))
        except redis.exceptions.RedisError:
            log.warning("Could not forget the dashboard count of %s", user)
