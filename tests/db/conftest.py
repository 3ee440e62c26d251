"""Database fixtures for this directory: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from setu.db.testing import POSTGRES_SKIP_REASON, fresh_postgres_schema, postgres_base_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'setu.db'}"
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    with fresh_postgres_schema(base) as url:
        yield url
