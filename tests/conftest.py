"""Shared fixtures for every test tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from setu.db.testing import POSTGRES_SKIP_REASON, fresh_postgres_schema, postgres_base_url

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()
AIS_DATA = SHARED_DATA / "ais"


@pytest.fixture(scope="session")
def ais_data() -> Path:
    """Root of the real AIS recordings (../shared/data/ais); skips when absent."""
    if not AIS_DATA.is_dir():
        pytest.skip(f"real AIS data not found at {AIS_DATA} (clone with ../shared beside the repo)")
    return AIS_DATA


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty setu data directory."""
    path = tmp_path / "setu-data"
    path.mkdir()
    return path


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


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    """The operational database at ``db_url``, migrated; disposed after the test."""
    from setu.db import open_database

    database = open_database(db_url)
    yield database
    database.dispose()
