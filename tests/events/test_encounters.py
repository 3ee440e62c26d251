"""EncounterDetector: distance, duration, speed and port edges; spatial binning vs brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.events import EncounterConfig, EncounterDetector, EventType
from setu.events.encounters import close_pairs
from setu.events.ports import Port, PortIndex
from setu.tracks import Tracks, haversine_m

T0 = datetime(2024, 6, 1, tzinfo=UTC)
NO_PORTS = PortIndex([])
M_PER_DEG = 111_195.0


def drifting(mmsi: int, minutes: float, lon: float, lat: float, knots: float = 0.5) -> pl.DataFrame:
    """A vessel heading north at ``knots`` from (lon, lat), one fix a minute for ``minutes``."""
    n = int(minutes) + 1
    step_deg = knots * 1852 / 60 / M_PER_DEG
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * n,
            "received_at": [T0 + timedelta(minutes=i) for i in range(n)],
            "lon": [lon] * n,
            "lat": [lat + i * step_deg for i in range(n)],
            "sog_knots": [knots] * n,
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def pair(minutes: float, apart_m: float, knots: float = 0.5, lat: float = 12.0) -> pl.DataFrame:
    lon = 65.0
    east = apart_m / (M_PER_DEG * np.cos(np.radians(lat)))
    return pl.concat(
        [drifting(11, minutes, lon, lat, knots), drifting(22, minutes, lon + east, lat, knots)]
    )


def detect(frame: pl.DataFrame, ports: PortIndex = NO_PORTS, **config: object) -> list:
    detector = EncounterDetector(EncounterConfig(**config), ports=ports)  # type: ignore[arg-type]
    return detector.detect(Tracks.from_positions(frame))


pytestmark = pytest.mark.unit


def test_two_hours_within_500_m_at_low_speed_is_an_encounter() -> None:
    events = detect(pair(120, 300))
    assert len(events) == 1
    event = events[0]
    assert event.event_type is EventType.ENCOUNTER
    assert event.mmsis == (11, 22)
    assert event.start == T0 and event.end == T0 + timedelta(hours=2)
    assert event.details["median_distance_m"] == pytest.approx(300, rel=0.01)
    assert event.lat == pytest.approx(12.0, abs=0.02)


def test_just_under_two_hours_is_not() -> None:
    assert detect(pair(119, 300)) == []


def test_distance_edge() -> None:
    assert len(detect(pair(180, 490))) == 1
    assert detect(pair(180, 510)) == []


def test_median_speed_edge() -> None:
    assert len(detect(pair(180, 300, knots=1.9))) == 1
    assert detect(pair(180, 300, knots=2.1)) == []


def test_near_a_port_is_not_an_encounter() -> None:
    lon, lat = 65.0, 12.0
    near = PortIndex([Port("XXAAA", "Near", "X", lon, lat + 8_000 / M_PER_DEG)])
    far = PortIndex([Port("XXBBB", "Far", "X", lon, lat + 15_000 / M_PER_DEG)])
    assert detect(pair(150, 300), ports=near) == []
    assert len(detect(pair(150, 300), ports=far)) == 1


def test_high_latitude_pairs_across_several_longitude_cells_are_found() -> None:
    assert len(detect(pair(150, 450, lat=72.0))) == 1


def test_pairs_across_the_antimeridian_are_found() -> None:
    frame = pl.concat([drifting(11, 150, 179.999, -16.0), drifting(22, 150, -179.999, -16.0)])
    events = detect(frame)
    assert len(events) == 1
    assert abs(events[0].lon) == pytest.approx(180.0, abs=0.01)


def test_same_mmsi_never_pairs_with_itself() -> None:
    frame = pl.concat([drifting(5, 150, 65.0, 12.0), drifting(5, 150, 65.0 + 0.002, 12.0)])
    assert detect(frame) == []


grid_points = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 2), st.floats(0.0, 0.02), st.floats(60.0, 60.02)),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(grid_points)
def test_spatial_binning_finds_exactly_the_brute_force_pairs(points: list) -> None:
    frame = pl.DataFrame(
        {
            "mmsi": [p[0] for p in points],
            "received_at": [T0 + timedelta(minutes=10 * p[1]) for p in points],
            "lon": [p[2] for p in points],
            "lat": [p[3] for p in points],
            "speed_knots": [0.0] * len(points),
        },
        schema={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "speed_knots": pl.Float64,
        },
    )
    found = {
        (r["t_us"], r["mmsi_a"], r["mmsi_b"])
        for r in close_pairs(frame, 500.0).iter_rows(named=True)
    }
    expected = set()
    rows = frame.with_columns(pl.col("received_at").dt.epoch("us").alias("t")).to_dicts()
    for a, b in combinations(rows, 2):
        same_time = a["t"] == b["t"] and a["mmsi"] != b["mmsi"]
        if same_time and float(haversine_m(a["lon"], a["lat"], b["lon"], b["lat"])) <= 500.0:
            lo, hi = sorted((a["mmsi"], b["mmsi"]))
            expected.add((a["t"], lo, hi))
    assert found == expected
