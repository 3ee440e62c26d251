"""GapDetector: threshold edges, shore filter, open gaps, coverage holes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from setu.events import EventType, GapConfig, GapDetector
from setu.events.shore import load_shore
from setu.tracks import NM_M, Tracks

T0 = datetime(2024, 5, 1, tzinfo=UTC)
MID_ARABIAN_SEA = (64.0, 14.0)


class Shore:
    """A fixed distance to shore (metres) everywhere."""

    def __init__(self, distance_m: float) -> None:
        self.value = distance_m

    def distance_m(self, lon: object, lat: object) -> np.ndarray:
        return np.full(np.shape(np.atleast_1d(np.asarray(lon))), self.value)


FAR = Shore(100 * NM_M)
NEAR = Shore(10 * NM_M)


def fixes(mmsi: int, minutes: list[float], lon: float, lat: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(minutes),
            "received_at": [T0 + timedelta(minutes=m) for m in minutes],
            "lon": [lon + 0.001 * i for i in range(len(minutes))],
            "lat": [lat] * len(minutes),
            "sog_knots": [0.5] * len(minutes),
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def every(start_min: float, end_min: float, step: float = 10.0) -> list[float]:
    return list(np.arange(start_min, end_min + 1e-9, step))


def detect(frame: pl.DataFrame, shore: Shore = FAR, **config: object) -> list:
    return GapDetector(GapConfig(**config), shore=shore).detect(Tracks.from_positions(frame))  # type: ignore[arg-type]


pytestmark = pytest.mark.unit


def test_fires_at_exactly_twelve_hours_and_not_a_minute_less() -> None:
    lon, lat = MID_ARABIAN_SEA
    at_edge = fixes(1, every(0, 60) + every(60 + 12 * 60, 60 + 13 * 60), lon, lat)
    events = detect(at_edge)
    assert [e.event_type for e in events] == [EventType.GAP]
    gap = events[0]
    assert gap.start == T0 + timedelta(minutes=60)
    assert gap.end == T0 + timedelta(minutes=60 + 12 * 60)
    assert gap.duration_s == 12 * 3600
    assert gap.details["open"] is False
    assert gap.mmsis == (1,)
    short = fixes(1, every(0, 60) + every(60 + 12 * 60 - 1, 60 + 13 * 60), lon, lat)
    assert detect(short) == []


def test_near_shore_gaps_are_filtered_unless_the_filter_is_off() -> None:
    frame = fixes(2, every(0, 60) + every(60 + 14 * 60, 60 + 15 * 60), *MID_ARABIAN_SEA)
    assert detect(frame, shore=NEAR) == []
    assert len(detect(frame, shore=NEAR, min_distance_from_shore_m=0.0)) == 1
    assert len(detect(frame, shore=Shore(50 * NM_M))) == 1


def test_open_gap_still_going_at_the_end_of_the_data() -> None:
    lon, lat = MID_ARABIAN_SEA
    dark = fixes(3, every(0, 60), lon, lat)
    other = fixes(4, every(0, 60 + 13 * 60), lon + 2.0, lat)  # heard until 13 h after 3 went quiet
    events = detect(pl.concat([dark, other]))
    assert len(events) == 1
    gap = events[0]
    assert gap.mmsis == (3,) and gap.end is None and gap.details["open"] is True
    assert gap.details["silent_s"] == pytest.approx(13 * 3600)
    not_yet = fixes(4, every(0, 60 + 11 * 60), lon + 2.0, lat)
    assert detect(pl.concat([dark, not_yet])) == []
    explicit_end = T0 + timedelta(hours=20)
    assert len(detect(pl.concat([dark, not_yet]), data_end=explicit_end)) == 1


def test_coverage_hole_is_reported_once_and_explains_the_vessel_gaps() -> None:
    lon, lat = MID_ARABIAN_SEA
    # five vessels in one receiver's area all fall silent at 02:00 and are heard again at 16:00
    area = [
        fixes(100 + k, every(0, 120) + every(16 * 60, 17 * 60), lon + 0.05 * k, lat + 0.03 * k)
        for k in range(5)
    ]
    elsewhere = fixes(200, every(0, 17 * 60), lon + 8.0, lat - 6.0)
    events = detect(pl.concat([*area, elsewhere]))
    assert [e.event_type for e in events] == [EventType.COVERAGE_HOLE]
    hole = events[0]
    assert hole.mmsis == (100, 101, 102, 103, 104)
    assert hole.start == T0 + timedelta(minutes=120)
    assert hole.end == T0 + timedelta(hours=16)
    assert hole.details["vessels_silent"] == 5 and hole.details["vessels_heard"] == 5
    assert hole.key == hole.details["h3_cell"]


def test_one_vessel_going_dark_among_others_still_heard_is_a_gap() -> None:
    lon, lat = MID_ARABIAN_SEA
    others = [fixes(300 + k, every(0, 17 * 60), lon + 0.05 * k, lat + 0.03 * k) for k in range(5)]
    dark = fixes(399, every(0, 120) + every(16 * 60, 17 * 60), lon + 0.02, lat)
    events = detect(pl.concat([*others, dark]))
    assert [(e.event_type, e.mmsis) for e in events] == [(EventType.GAP, (399,))]


@pytest.mark.slow
def test_real_shore_distance_separates_open_sea_from_harbour(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cache = tmp_path_factory.mktemp("cache")
    shore = load_shore(cache)
    assert (cache / "shore_distance_v1.npy").is_file()  # later runs load it instead of building
    far, near = shore.distance_m([64.0, 72.84], [14.0, 18.95])
    assert far > 200 * NM_M  # mid Arabian Sea
    assert near < 5 * NM_M  # off Mumbai
    harbour = fixes(5, every(0, 60) + every(15 * 60, 16 * 60), 72.84, 18.95)
    assert GapDetector(shore=shore).detect(Tracks.from_positions(harbour)) == []
    sea = fixes(6, every(0, 60) + every(15 * 60, 16 * 60), 64.0, 14.0)
    assert len(GapDetector(shore=shore).detect(Tracks.from_positions(sea))) == 1


def test_end_of_data_is_not_moved_by_a_fix_hours_ahead() -> None:
    """Regression: one fix stamped 20 h after the rest, from an unrelated MMSI, moved the end of
    the data and opened a false gap for every vessel silent since (issue 12)."""
    lon, lat = MID_ARABIAN_SEA
    quiet = [fixes(10 + k, every(0, 6 * 60), lon + k, lat) for k in range(3)]
    early = fixes(20, every(0, 60), lon, lat + 1)  # silent for the last 5 h: no gap yet
    assert detect(pl.concat([*quiet, early])) == []
    one_fix = fixes(99, [6 * 60 + 20 * 60], lon, lat - 1)
    assert detect(pl.concat([*quiet, early, one_fix])) == []
    # a transmitter whose clock runs 20 h ahead, heard for an hour: alone, it does not count
    ahead = fixes(98, every(26 * 60, 27 * 60), lon, lat - 2)
    assert detect(pl.concat([*quiet, early, ahead])) == []
    # heard from two vessels, the stretch is real: vessel 20 has been silent for 26 h
    other = fixes(97, every(26 * 60, 27 * 60), lon, lat - 3)
    events = detect(pl.concat([*quiet, early, ahead, other]))
    assert {e.mmsis for e in events} >= {(20,)}
