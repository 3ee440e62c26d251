"""Tracks: cleaning, segmentation (two ships one MMSI, long gaps, jumps), resampling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.errors import NotFoundError, ValidationError
from setu.tracks import TRACK_COLUMNS, SegmentConfig, Tracks, clean_positions, haversine_m, slerp

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def positions(rows: list[tuple[int, float, float, float, float | None]]) -> pl.DataFrame:
    """(mmsi, minutes after T0, lon, lat, sog_knots) -> a positions frame."""
    return pl.DataFrame(
        {
            "mmsi": [r[0] for r in rows],
            "received_at": [T0 + timedelta(minutes=r[1]) for r in rows],
            "lon": [r[2] for r in rows],
            "lat": [r[3] for r in rows],
            "sog_knots": [r[4] for r in rows],
        },
        schema={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "sog_knots": pl.Float32,
        },
    )


def steady(
    mmsi: int,
    start_min: float,
    n: int,
    lon: float,
    lat: float,
    knots: float,
    every_min: float = 1.0,
) -> list:
    """A vessel heading east at ``knots`` from (lon, lat), one fix every ``every_min`` minutes."""
    deg_per_min = knots * 1852 / 60 / (111_320 * np.cos(np.radians(lat)))
    return [
        (mmsi, start_min + i * every_min, lon + i * every_min * deg_per_min, lat, knots)
        for i in range(n)
    ]


pytestmark = pytest.mark.unit


def test_clean_drops_invalid_positions_and_duplicates_with_reasons() -> None:
    frame = positions(
        [
            (1, 0, 10.0, 50.0, 5.0),
            (1, 0, 10.0, 50.0, 5.0),  # same report heard by a second station
            (1, 1, 181.0, 91.0, 5.0),  # AIS "not available"
            (1, 2, 10.1, 95.0, 5.0),
            (1, 3, 10.2, 50.0, 102.3),  # SOG not available -> null, row kept
        ]
    )
    cleaned, report = clean_positions(frame)
    assert report.rows_in == 5 and report.rows_out == 2
    assert report.dropped == {"no_position": 2, "duplicate": 1}
    assert cleaned["sog_knots"].to_list() == [5.0, None]
    assert frame.height == 5  # input untouched


def test_clean_accepts_arrow_and_rejects_naive_times() -> None:
    table = pa.table(
        {
            "mmsi": pa.array([1], pa.uint32()),
            "received_at": pa.array([1_700_000_000_000_000], pa.timestamp("us")),
            "lon": [1.0],
            "lat": [2.0],
        }
    )
    with pytest.raises(ValidationError, match="timezone-aware"):
        clean_positions(table)
    with pytest.raises(ValidationError, match="lacks column"):
        clean_positions(pa.table({"mmsi": [1]}))


def test_one_vessel_one_segment_with_documented_columns() -> None:
    built = Tracks.from_positions(positions(steady(1, 0, 30, 10.0, 50.0, 12.0)))
    assert len(built) == 1
    track = next(iter(built))
    assert tuple(track.frame.columns) == TRACK_COLUMNS
    assert track.segment_id == "1-20240301T000000"
    assert len(track) == 30 and track.mmsi == 1
    assert track.frame["speed_knots"].to_list()[1:] == pytest.approx([12.0] * 29)
    implied = track.frame["implied_speed_knots"].to_list()[1:]
    assert implied == pytest.approx([12.0] * 29, rel=0.01)
    assert track.distance_m == pytest.approx(29 * 12 * 1852 / 60, rel=0.01)


def test_two_ships_sharing_an_mmsi_become_two_segments_not_a_zigzag() -> None:
    # ship A off Mumbai, ship B 60 km away, both broadcasting MMSI 419000001 each minute
    a = steady(419000001, 0, 40, 72.50, 18.90, 10.0)
    b = steady(419000001, 0.5, 40, 72.50, 19.45, 8.0)
    built = Tracks.from_positions(positions(a + b))
    assert len(built) == 2
    lats = sorted(round(t.frame["lat"].mean(), 2) for t in built)
    assert lats == [18.90, 19.45]
    assert all(len(t) == 40 for t in built)
    assert all(t.frame["implied_speed_knots"].drop_nulls().max() < 11 for t in built)


def test_long_silence_starts_a_new_segment() -> None:
    cfg = SegmentConfig()
    first = steady(7, 0, 5, 10.0, 50.0, 0.0)
    later = steady(7, 24 * 60 + 5, 5, 10.0, 50.0, 0.0)  # 24 h 1 min after the last fix
    built = Tracks.from_positions(positions(first + later), cfg)
    assert len(built) == 2
    within = steady(7, 24 * 60 + 3, 5, 10.0, 50.0, 0.0)  # 23 h 59 min
    assert len(Tracks.from_positions(positions(first + within), cfg)) == 1


def test_impossible_jump_is_split_off_and_the_track_continues() -> None:
    rows = steady(9, 0, 20, 10.0, 50.0, 10.0)
    rows[10] = (9, rows[10][1], 12.0, 51.0, 10.0)  # 170 km away one minute later
    built = Tracks.from_positions(positions(rows))
    sizes = sorted(len(t) for t in built)
    assert sizes == [1, 19]


def test_fast_craft_reporting_high_sog_stays_one_segment() -> None:
    built = Tracks.from_positions(positions(steady(5, 0, 30, 10.0, 50.0, 34.0)))
    assert len(built) == 1


def test_segment_lookup_and_summary() -> None:
    built = Tracks.from_positions(
        positions(steady(1, 0, 3, 10.0, 50.0, 5.0) + steady(2, 0, 4, 11.0, 50.0, 5.0))
    )
    summary = built.summary()
    assert summary["points"].to_list() == [3, 4]
    assert built.segment(built.segment_ids[0]).mmsi in (1, 2)
    with pytest.raises(NotFoundError):
        built.segment("nope")


points = st.lists(
    st.tuples(
        st.integers(1, 3),
        st.integers(0, 3000),
        st.floats(-10.0, 10.0),
        st.floats(-10.0, 10.0),
        st.one_of(st.none(), st.floats(0.0, 40.0)),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(points)
def test_segmentation_never_loses_or_duplicates_a_point(rows: list) -> None:
    frame = positions([(m, float(t), lo, la, s) for m, t, lo, la, s in rows])
    cleaned, _ = clean_positions(frame)
    built = Tracks.from_positions(frame)
    key = ["mmsi", "received_at", "lon", "lat"]
    assert built.frame.height == cleaned.height
    assert built.frame.select(key).sort(key).equals(cleaned.select(key).sort(key))
    for track in built:
        assert track.frame["mmsi"].n_unique() == 1
        assert track.frame["received_at"].is_sorted()
        gaps = track.frame["step_duration_s"].drop_nulls()
        assert gaps.len() == 0 or gaps.max() <= 24 * 3600


def test_resample_interpolates_on_the_great_circle_and_flags_rows() -> None:
    rows = [
        (1, 0, 0.0, 0.0, 10.0),
        (1, 60, 0.0, 10.0 / 60, 10.0),
        (1, 120, 10.0 / 60, 10.0 / 60, 10.0),
    ]
    built = Tracks.from_positions(positions(rows))
    res = built.resample(600)
    frame = res.frame
    assert frame.height == 13
    assert frame["interpolated"].to_list() == [False] + [True] * 5 + [False] + [True] * 5 + [False]
    mid = frame.row(3, named=True)
    assert mid["lon"] == pytest.approx(0.0, abs=1e-9)
    assert mid["lat"] == pytest.approx(0.5 * 10.0 / 60, rel=1e-6)
    assert built.frame.height == 3  # the original is unchanged
    lon, lat = slerp(0.0, 0.0, 90.0, 0.0, 0.5)
    assert (float(lon), float(lat)) == pytest.approx((45.0, 0.0))
    assert float(haversine_m(0.0, 0.0, 0.0, 1.0)) == pytest.approx(111_195, rel=1e-3)


def test_resample_does_not_invent_positions_across_long_silences() -> None:
    rows = [(1, 0, 0.0, 0.0, 1.0), (1, 10, 0.0, 0.001, 1.0), (1, 250, 0.0, 0.002, 1.0)]
    built = Tracks.from_positions(positions(rows))
    assert built.resample(600).frame.height == 26
    kept = built.resample(600, max_gap_s=3600).frame
    minutes = [(t - T0).total_seconds() / 60 for t in kept["received_at"].to_list()]
    assert minutes == [0, 10, 250]
    assert kept["interpolated"].to_list() == [False, False, False]
    single = next(iter(built)).resample(300)
    assert single.frame["interpolated"].sum() == 48


repeats = st.lists(
    st.tuples(
        st.integers(1, 2),
        st.integers(0, 3),
        st.sampled_from([0.0, 0.5, 1.0]),
        st.sampled_from([0.0, 0.5]),
        st.one_of(st.none(), st.floats(0.0, 40.0)),
    ),
    max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(repeats)
def test_duplicates_are_dropped_as_by_hashing_every_row(rows: list) -> None:
    # Regression: the duplicate rule hashed every row of the table, the peak of building
    # tracks (a gigabyte more than the table at 9 million positions); now only rows sharing
    # their time are compared. Repeats here need not be neighbours (A, B, A at one time).
    frame = positions([(m, float(t), lo, la, s) for m, t, lo, la, s in rows])
    cleaned, report = clean_positions(frame)
    key = ["mmsi", "received_at", "lon", "lat"]
    expected = (
        frame.with_row_index("_row")
        .sort(["mmsi", "received_at", "_row"])
        .unique(subset=key, keep="first", maintain_order=True)
        .drop("_row")
    )
    assert cleaned.select(key, "sog_knots").equals(expected.select(key, "sog_knots"))
    assert report.dropped.get("duplicate", 0) == frame.height - expected.height
