"""Plain-dict views of rows (re-exported from :mod:`setu.db.records`)."""

from __future__ import annotations

from setu.db.records import actor_name, jsonable, record

__all__ = ["actor_name", "jsonable", "record"]
