"""Fixtures of this directory (``db`` and ``db_url`` come from tests/conftest.py: every test
runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest


@pytest.fixture
def clock():
    from datetime import UTC, datetime

    from setu.db.testing import SteppingClock

    return SteppingClock(datetime(2026, 8, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def coop(db, clock):
    """The cooperation API on a fresh database, seeded, at 2026-08-01 09:00 UTC."""
    from setu.coop import Cooperation

    service = Cooperation(db, clock=clock, actor="desk.officer")
    service.seed()
    return service
