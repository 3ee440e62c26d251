"""DriftDetector and SpeedDropDetector: AisAbnormal thresholds, fires / does not fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from setu.errors import ValidationError
from setu.events.model import EventType
from setu.events.motion import (
    DriftConfig,
    DriftDetector,
    SpeedDropConfig,
    SpeedDropDetector,
    vessel_lengths,
)
from setu.tracks import Tracks

pytestmark = pytest.mark.unit

T0 = datetime(2024, 6, 1, tzinfo=UTC)
M_PER_DEG = 111_195.0


def drifting(
    minutes: float, knots: float = 2.0, cog: float = 90.0, heading: int = 0, step_s: int = 10
):
    n = int(minutes * 60 / step_s) + 1
    deg = knots * 1852 / 3600 * step_s / M_PER_DEG
    return pl.DataFrame(
        {
            "mmsi": [1] * n,
            "received_at": [T0 + timedelta(seconds=step_s * i) for i in range(n)],
            "lon": [60.0 + deg * i for i in range(n)],
            "lat": [10.0] * n,
            "sog_knots": [knots] * n,
            "cog_deg": [cog] * n,
            "heading_deg": [heading] * n,
        },
        schema_overrides={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "sog_knots": pl.Float32,
            "cog_deg": pl.Float32,
            "heading_deg": pl.UInt16,
        },
    )


def statics(length_m: int | None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mmsi": [1],
            "received_at": [T0],
            "to_bow_m": [length_m],
            "to_stern_m": [0 if length_m else None],
        },
        schema_overrides={"mmsi": pl.UInt32, "to_bow_m": pl.UInt16, "to_stern_m": pl.UInt16},
    )


def drift(frame: pl.DataFrame, length_m: int | None = 120, **cfg: object) -> list:
    detector = DriftDetector(DriftConfig(**cfg), statics=statics(length_m))  # type: ignore[arg-type]
    return detector.detect(Tracks.from_positions(frame))


def test_drift_fires_at_ten_minutes() -> None:
    (event,) = drift(drifting(12))
    assert event.event_type is EventType.DRIFT
    assert event.details["duration_s"] >= 600 and event.details["distance_m"] >= 500
    assert event.details["length_m"] == 120


@pytest.mark.parametrize(
    ("kwargs", "fires"),
    [
        ({"minutes": 9.5}, False),  # shorter than 10 min
        ({"minutes": 10.0}, True),
        ({"minutes": 12, "knots": 0.9}, False),  # below 1 kn
        ({"minutes": 12, "knots": 5.5}, False),  # above 5 kn
        ({"minutes": 12, "knots": 5.0}, True),
        ({"minutes": 12, "cog": 45.0}, False),  # exactly 45 degrees apart
        ({"minutes": 12, "cog": 46.0}, True),
        ({"minutes": 12, "cog": 350.0, "heading": 20}, False),  # 30 degrees across north
    ],
)
def test_drift_threshold_edges(kwargs: dict, fires: bool) -> None:
    assert bool(drift(drifting(**kwargs))) is fires


def test_drift_needs_500_metres() -> None:
    # 1.5 kn for 10 min is ~460 m
    assert drift(drifting(10, knots=1.5)) == []
    assert drift(drifting(10, knots=1.5), min_distance_m=400) != []


@pytest.mark.parametrize(
    ("length", "require", "fires"),
    [(49, True, False), (50, True, True), (None, True, False), (None, False, True)],
)
def test_drift_vessel_length(length: int | None, require: bool, fires: bool) -> None:
    assert bool(drift(drifting(12), length_m=length, require_length=require)) is fires


def test_drift_broken_by_silence() -> None:
    frame = drifting(12)
    gap = frame.filter(
        (pl.col("received_at") < T0 + timedelta(minutes=5))
        | (pl.col("received_at") > T0 + timedelta(minutes=8))
    )
    assert drift(gap) == []


def test_vessel_lengths_take_the_largest_complete_report() -> None:
    table = pl.DataFrame({"mmsi": [1, 1, 2], "to_bow_m": [100, 80, 0], "to_stern_m": [20, None, 0]})
    assert vessel_lengths(table) == {1: 120.0}


def speeds(values: list[float], step_s: int = 10, mmsi: int = 2) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * n,
            "received_at": [T0 + timedelta(seconds=step_s * i) for i in range(n)],
            "lon": [60.0 + 0.0003 * i for i in range(n)],
            "lat": [10.0] * n,
            "sog_knots": values,
        },
        schema_overrides={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "sog_knots": pl.Float32,
        },
    )


def drops(values: list[float], step_s: int = 10, **cfg: object) -> list:
    return SpeedDropDetector(SpeedDropConfig(**cfg)).detect(
        Tracks.from_positions(speeds(values, step_s))
    )  # type: ignore[arg-type]


def test_speed_drop_fires() -> None:
    (event,) = drops([10.0] * 6 + [4.0, 0.5] + [0.3] * 6)
    assert event.event_type is EventType.SPEED_DROP
    assert event.details["drop_duration_s"] == 20.0 and event.details["hold_duration_s"] == 60.0
    assert event.start == T0 + timedelta(seconds=50)


@pytest.mark.parametrize(
    ("values", "fires"),
    [
        ([10.0] * 6 + [5.0, 4.0, 0.5] + [0.3] * 6, True),  # 30 s: on the limit
        ([10.0] * 6 + [5.0, 4.0, 3.0, 0.5] + [0.3] * 6, False),  # 40 s
        ([10.0] * 6 + [0.5] * 6, False),  # held 50 s only
        ([10.0] * 6 + [0.5] * 7, True),  # held 60 s
        ([7.0] * 6 + [0.5] * 8, False),  # not above 7 kn
        ([10.0] * 6 + [1.0] * 8, False),  # not below 1 kn
    ],
)
def test_speed_drop_edges(values: list[float], fires: bool) -> None:
    assert bool(drops(values)) is fires


def test_configs_validate() -> None:
    with pytest.raises(ValidationError):
        SpeedDropConfig(low_knots=8.0)
    with pytest.raises(ValidationError):
        DriftConfig(min_speed_knots=6.0)
