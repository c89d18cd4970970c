"""Every glossary term in full, read through the actions a thousand at a time: the downloads and
`ckan hhs glossary export` use it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context

PAGE = 1000


def terms(context: Context, statuses: Iterable[str | None] = (None,)) -> Iterator[dict[str, Any]]:
    """Full term dicts (`hhs_glossary_term_show`) of the given statuses; ``None`` means every status."""
    for status in statuses:
        offset = 0
        while True:
            page = tk.get_action("hhs_glossary_term_list")(
                dict(context), {"limit": PAGE, "offset": offset, **({"status": status} if status else {})}
            )
            for listed in page["results"]:
                yield tk.get_action("hhs_glossary_term_show")(dict(context), {"id": listed["slug"]})
            offset += PAGE
            if offset >= page["count"]:
                break
