"""Tiny hand-built store tables for the store tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from setu.ais.schema import FAMILY_SCHEMAS
from setu.store import MaritimeStore

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def rows_table(schema: pa.Schema, rows: list[dict]) -> pa.Table:
    """A table of ``schema`` from partial rows (missing columns null)."""
    return pa.table({f.name: [r.get(f.name) for r in rows] for f in schema}, schema=schema)


def position_rows(first_hash: int, n: int, *, at: datetime = T0, mmsi: int = 419000001) -> pa.Table:
    """``n`` distinct position reports: hash ``h`` for h in ``first_hash``… received ``h``
    seconds after ``at`` (so the same ``h`` is the same stored row)."""
    rows = [
        {
            "received_at": at + timedelta(seconds=first_hash + i),
            "mmsi": mmsi,
            "msg_type": 1,
            "repeat": 0,
            "talker": "AIVDM",
            "channel": "A",
            "line_no": first_hash + i,
            "checksum_ok": True,
            "msg_hash": first_hash + i,
            "lon": 72.8,
            "lat": 18.9,
        }
        for i in range(n)
    ]
    return rows_table(FAMILY_SCHEMAS["positions"], rows)


@pytest.fixture
def make_positions() -> Callable[..., pa.Table]:
    """``make_positions(first_hash, n, at=..., mmsi=...)``: distinct position rows."""
    return position_rows


@pytest.fixture
def fresh_store(tmp_path: Path) -> MaritimeStore:
    """An empty store under a temporary directory."""
    return MaritimeStore(tmp_path / "ais")
