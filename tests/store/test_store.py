"""The embedded store: partitioning by day, idempotent re-ingest, queries, the registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from setu.ais.schema import FAMILY_SCHEMAS
from setu.errors import ValidationError
from setu.store import MaritimeStore
from setu.store.registry import identity_history

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 23, 59, 0, tzinfo=UTC)


def _rows(schema: pa.Schema, rows: list[dict]) -> pa.Table:
    """A table of ``schema`` from partial rows (missing columns null)."""
    cols = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return pa.table(cols, schema=schema)


def _position(mmsi: int, at: datetime, lon: float, lat: float, h: int, **kw) -> dict:
    base = {
        "received_at": at,
        "mmsi": mmsi,
        "msg_type": 1,
        "repeat": 0,
        "talker": "AIVDM",
        "channel": "A",
        "line_no": h,
        "checksum_ok": True,
        "msg_hash": h,
        "lon": lon,
        "lat": lat,
        "sog_knots": 12.5,
        "cog_deg": 90.0,
    }
    return {**base, **kw}


def _static(mmsi: int, at: datetime, h: int, **kw) -> dict:
    base = {
        "received_at": at,
        "mmsi": mmsi,
        "msg_type": 5,
        "repeat": 0,
        "talker": "AIVDM",
        "line_no": h,
        "checksum_ok": True,
        "msg_hash": h,
    }
    return {**base, **kw}


@pytest.fixture
def store(tmp_path: Path) -> MaritimeStore:
    return MaritimeStore(tmp_path / "ais")


def _positions() -> pa.Table:
    rows = [
        _position(419000001, T0, 72.8, 18.9, 1),
        _position(419000001, T0 + timedelta(minutes=2), 72.81, 18.91, 2),
        _position(431000002, T0 + timedelta(seconds=30), 139.7, 35.6, 3),
    ]
    return _rows(FAMILY_SCHEMAS["positions"], rows)


def test_rows_are_partitioned_by_receive_day(store: MaritimeStore) -> None:
    stats = store.write({"positions": _positions()})
    assert stats.added == {"positions": 3}
    assert store.days("positions") == ["2026-03-01", "2026-03-02"]
    assert store.counts()["positions"] == 3


def test_rewriting_the_same_rows_adds_nothing(store: MaritimeStore) -> None:
    store.write({"positions": _positions()})
    again = store.write({"positions": _positions()})
    assert again.added == {"positions": 0}
    assert again.duplicates == {"positions": 3}
    assert store.counts()["positions"] == 3


def test_same_message_at_another_time_is_kept(store: MaritimeStore) -> None:
    store.write({"positions": _positions()})
    later = _rows(
        FAMILY_SCHEMAS["positions"], [_position(419000001, T0 + timedelta(hours=1), 72.8, 18.9, 1)]
    )
    assert store.write({"positions": later}).added == {"positions": 1}


def test_duplicates_inside_one_batch_are_dropped(store: MaritimeStore) -> None:
    row = _position(419000001, T0, 72.8, 18.9, 7)
    table = _rows(FAMILY_SCHEMAS["positions"], [row, {**row, "station": "other-station"}])
    stats = store.write({"positions": table})
    assert stats.added == {"positions": 1} and stats.duplicates == {"positions": 1}


def test_rejects_are_kept_once_with_unknown_day(store: MaritimeStore) -> None:
    from setu.store.schemas import STORE_REJECT_SCHEMA

    rej = _rows(
        STORE_REJECT_SCHEMA,
        [{"line_no": 4, "reason": "not_nmea", "raw": "foobar", "origin": "a.nmea"}],
    )
    assert store.write({}, rej).added == {"rejects": 1}
    assert store.write({}, rej).added == {"rejects": 0}
    assert store.days("rejects") == ["unknown"]


def test_position_query_filters_and_sorts(store: MaritimeStore) -> None:
    store.write({"positions": _positions()})
    everything = store.positions()
    assert everything["mmsi"].to_pylist() == [419000001, 419000001, 431000002]
    one = store.positions(mmsi=[431000002])
    assert one["lon"].to_pylist() == [139.7]
    boxed = store.positions(bbox=(70.0, 10.0, 80.0, 20.0))
    assert set(boxed["mmsi"].to_pylist()) == {419000001}
    windowed = store.positions(start=T0 + timedelta(seconds=1), end=T0 + timedelta(minutes=1))
    assert windowed["mmsi"].to_pylist() == [431000002]
    assert windowed.schema.field("received_at").type == pa.timestamp("us", tz="UTC")


def test_position_query_refuses_naive_times_and_bad_boxes(store: MaritimeStore) -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        store.positions(start=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationError, match="min <= max"):
        store.positions(bbox=(10.0, 0.0, 5.0, 1.0))


def test_sql_errors_are_translated(store: MaritimeStore) -> None:
    with pytest.raises(ValidationError, match="SQL failed"):
        store.sql("SELEKT 1")


def test_registry_merges_type24_parts_and_tracks_identity_changes(store: MaritimeStore) -> None:
    s = FAMILY_SCHEMAS["statics"]
    statics = _rows(
        s,
        [
            _static(
                419000001,
                T0,
                10,
                ship_name="SETU ONE",
                call_sign="AB12",
                imo=9074729,
                ship_type=70,
                to_bow_m=100,
                to_stern_m=50,
                to_port_m=10,
                to_starboard_m=12,
                destination="MUMBAI",
                eta_month=3,
                eta_day=5,
                eta_hour=6,
                eta_minute=30,
            ),
            _static(419000001, T0 + timedelta(hours=3), 11, ship_name="SETU TWO"),
            _static(538000003, T0, 12, msg_type=24, part_num=0, ship_name="CLASS B"),
            _static(
                538000003,
                T0 + timedelta(minutes=1),
                13,
                msg_type=24,
                part_num=1,
                call_sign="CB1",
                ship_type=37,
                imo=None,
            ),
        ],
    )
    store.write({"positions": _positions(), "statics": statics})
    reg = {r["mmsi"]: r for r in store.vessels().to_pylist()}
    one = reg[419000001]
    assert one["ship_name"] == "SETU TWO"
    assert one["flag_iso2"] == "IN" and one["mmsi_kind"] == "ship"
    assert one["imo"] == 9074729 and one["imo_valid"] is True
    assert one["ship_type_text"] == "Cargo"
    assert one["length_m"] == 150 and one["beam_m"] == 22
    assert one["eta"] == datetime(2026, 3, 5, 6, 30, tzinfo=UTC)
    assert one["identity_changes"] == 1
    assert one["positions"] == 2
    b = reg[538000003]
    assert (b["ship_name"], b["call_sign"], b["ship_type"]) == ("CLASS B", "CB1", 37)
    assert b["flag_iso2"] == "MH"
    assert reg[431000002]["flag_iso2"] == "JP"
    history = identity_history(store, 419000001).to_pylist()
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history] == [
        ("ship_name", "SETU ONE", "SETU TWO")
    ]
