"""LoiteringDetector: speed, duration, shore, port and silence edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from setu.events import EventType, LoiteringConfig, LoiteringDetector
from setu.events.ports import Port, PortIndex
from setu.tracks import NM_M, Tracks

T0 = datetime(2024, 7, 1, tzinfo=UTC)
M_PER_DEG = 111_195.0
LON, LAT = 88.0, 15.0  # Bay of Bengal


class Shore:
    def __init__(self, distance_m: float) -> None:
        self.value = distance_m

    def distance_m(self, lon: object, lat: object) -> np.ndarray:
        return np.full(np.shape(np.atleast_1d(np.asarray(lon))), self.value)


def slow(minutes: list[float], knots: float = 0.8, mmsi: int = 7) -> pl.DataFrame:
    step = knots * 1852 / 60 / M_PER_DEG
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(minutes),
            "received_at": [T0 + timedelta(minutes=m) for m in minutes],
            "lon": [LON] * len(minutes),
            "lat": [LAT + m * step for m in minutes],
            "sog_knots": [knots] * len(minutes),
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def every(hours: float, step_min: float = 5.0) -> list[float]:
    return list(np.arange(0.0, hours * 60 + 1e-9, step_min))


def detect(
    frame: pl.DataFrame, shore_nm: float = 40.0, ports: PortIndex | None = None, **config: object
) -> list:
    detector = LoiteringDetector(
        LoiteringConfig(**config),  # type: ignore[arg-type]
        ports=ports or PortIndex([]),
        shore=Shore(shore_nm * NM_M),
    )
    return detector.detect(Tracks.from_positions(frame))


pytestmark = pytest.mark.unit


def test_four_slow_hours_far_out_is_loitering() -> None:
    events = detect(slow(every(4)))
    assert len(events) == 1
    event = events[0]
    assert event.event_type is EventType.LOITERING and event.mmsis == (7,)
    assert event.start == T0 and event.end == T0 + timedelta(hours=4)
    assert event.details["mean_speed_knots"] == pytest.approx(0.8, rel=0.01)
    assert event.details["distance_from_shore_m"] == pytest.approx(40 * NM_M)


def test_duration_edge() -> None:
    assert detect(slow(every(3.9))) == []


def test_speed_edge() -> None:
    assert len(detect(slow(every(5), knots=1.9))) == 1
    assert detect(slow(every(5), knots=2.0)) == []


def test_shore_edge() -> None:
    assert len(detect(slow(every(5)), shore_nm=20.0)) == 1
    assert detect(slow(every(5)), shore_nm=19.0) == []


def test_near_a_port_is_not_loitering() -> None:
    port = PortIndex([Port("XXAAA", "Anchorage", "X", LON + 0.05, LAT)])  # ~5.4 km
    assert detect(slow(every(5)), ports=port) == []


def test_a_long_silence_breaks_the_run() -> None:
    minutes = every(2.5) + [m + 150 + 150 for m in every(2.5)]  # 2.5 h, 2.5 h silent, 2.5 h
    assert detect(slow(minutes)) == []
    assert len(detect(slow(minutes), max_silence_s=3 * 3600.0)) == 1


def test_a_fast_stretch_splits_two_short_loiters() -> None:
    frame = slow(every(6))
    fast = frame.with_columns(
        pl.when(
            pl.col("received_at").is_between(T0 + timedelta(hours=2.5), T0 + timedelta(hours=3))
        )
        .then(pl.lit(9.0))
        .otherwise(pl.col("sog_knots"))
        .cast(pl.Float32)
        .alias("sog_knots")
    )
    assert detect(fast) == []
