"""`ckan hhs governance ...`: each part of the dashboard adds its commands to this group."""

from __future__ import annotations

from ckanext.hhs.cli import hhs

__all__ = ["hhs"]


@hhs.group()
def governance():
    """The Data Governance Board's dashboard: figures, duplicates, quality, gaps."""
