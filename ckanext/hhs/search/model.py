"""Each dataset's embedding, with the hash of the text it was computed from (an unchanged text is not
embedded again)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ckan.model import domain_object
from ckan.model.base import BaseModel

__all__ = ["Vector"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Vector(domain_object.DomainObject, BaseModel):  # type: ignore[misc]
    __tablename__ = "hhs_search_vector"

    # No foreign key: a purged dataset's row is harmless and removed by the next rebuild.
    package_id = sa.Column(sa.UnicodeText, primary_key=True)
    text_hash = sa.Column(sa.UnicodeText, nullable=False)
    vector = sa.Column(sa.LargeBinary, nullable=False)  # float32 little-endian, 384 values
    modified = sa.Column(sa.DateTime, nullable=False, default=_now, onupdate=_now)
