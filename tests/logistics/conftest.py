"""Fixtures of this directory (``db`` and ``db_url`` come from tests/conftest.py: every test
runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest


@pytest.fixture
def clock():
    from datetime import UTC, datetime

    from setu.db.testing import SteppingClock

    return SteppingClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def ledger(db, clock):
    """The ACSA ledger on a fresh database at 2026-03-01 08:00 UTC with default deadlines."""
    from setu.logistics import AcsaLedger

    return AcsaLedger(db, clock=clock, actor="logistics.officer")
