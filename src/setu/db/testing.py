"""Helpers for tests that need a fresh operational database on SQLite or PostgreSQL.

``SETU_TEST_POSTGRES_URL`` names a PostgreSQL database (``.ci/postgres.sh`` starts one);
:func:`fresh_postgres_schema` gives each test its own schema in it (through the connection's
``search_path``) and drops it afterwards, so tests run in parallel without meeting each other.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "SETU_TEST_POSTGRES_URL"
POSTGRES_SKIP_REASON = (
    f"{POSTGRES_ENV} is not set: run `. .ci/postgres.sh` (starts a throwaway PostgreSQL) "
    "or point it at a PostgreSQL database you can create schemas in"
)


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@contextmanager
def fresh_postgres_schema(base_url: str) -> Iterator[str]:
    """Yield a URL whose connections use a new, empty schema; drop it afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


class SteppingClock:
    """A clock tests can move forward: ``clock()`` returns the current instant."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("SteppingClock needs a timezone-aware datetime")
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at = self.at + timedelta(**delta)
        return self.at

    def set(self, at: datetime) -> datetime:
        self.at = at
        return at
