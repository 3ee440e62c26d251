"""Partitioning properties: the halo never separates close vessels; reduced fixes keep every gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.events import GapConfig, GapDetector
from setu.scale import day_windows, halo_tiles, reduce_for_gaps
from setu.tracks import Tracks, haversine_m

T0 = datetime(2024, 9, 1, tzinfo=UTC)
pytestmark = pytest.mark.unit


class FarShore:
    def distance_m(self, lon: object, lat: object) -> np.ndarray:
        return np.full(np.shape(np.atleast_1d(np.asarray(lon))), 1e6)


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(-180.0, 180.0),
    lat=st.floats(-89.0, 89.0),
    bearing=st.floats(0.0, 360.0),
    distance_m=st.floats(0.0, 500.0),
    tile_deg=st.sampled_from([0.25, 1.0, 5.0]),
)
def test_points_within_reach_share_a_partition(
    lon: float, lat: float, bearing: float, distance_m: float, tile_deg: float
) -> None:
    # destination point on the sphere, then a check that the two meet in some partition
    r = 6_371_008.8
    phi, lam, th, d = np.radians(lat), np.radians(lon), np.radians(bearing), distance_m / r
    phi2 = np.arcsin(np.sin(phi) * np.cos(d) + np.cos(phi) * np.sin(d) * np.cos(th))
    lam2 = lam + np.arctan2(
        np.sin(th) * np.sin(d) * np.cos(phi), np.cos(d) - np.sin(phi) * np.sin(phi2)
    )
    lon2 = (np.degrees(lam2) + 540.0) % 360.0 - 180.0
    lat2 = float(np.degrees(phi2))
    assert haversine_m(lon, lat, lon2, lat2) <= 500.0 + 1e-6
    points = pl.DataFrame(
        {"received_at": [T0, T0], "mmsi": [1, 2], "lon": [lon, float(lon2)], "lat": [lat, lat2]},
        schema_overrides={"received_at": pl.Datetime("us", "UTC")},
    )
    tiled = halo_tiles(points, tile_deg, 500.0, 7)
    parts = tiled.group_by("_part").agg(pl.col("mmsi").n_unique().alias("n"))
    assert parts["n"].max() == 2


def _fixes(mmsi: int, minutes: np.ndarray, lon0: float, lat0: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(minutes),
            "received_at": [T0 + timedelta(minutes=float(m)) for m in minutes],
            "lon": lon0 + 0.004 * np.arange(len(minutes)),
            "lat": [lat0] * len(minutes),
            "sog_knots": [9.0] * len(minutes),
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def test_gap_detector_finds_the_same_events_in_the_reduced_fixes() -> None:
    rng = np.random.default_rng(3)
    frames = []
    for k in range(12):
        minutes = np.sort(rng.choice(np.arange(0, 48 * 60), size=600, replace=False))
        if k < 6:  # six vessels silent together from 20:00 for 13 h
            minutes = minutes[(minutes < 20 * 60 + 5 * k) | (minutes >= 33 * 60)]
        lon0 = 64.0 + 0.05 * k
        if k == 11:  # alone and far away, silent for 14 h: a gap of its own
            minutes, lon0 = minutes[(minutes < 10 * 60) | (minutes >= 24 * 60)], 70.0
        frames.append(_fixes(100 + k, minutes, lon0, 14.0 + 0.02 * k))
    tracks = Tracks.from_positions(pl.concat(frames))
    detector = GapDetector(GapConfig(), shore=FarShore())
    config = detector.config
    reduced = reduce_for_gaps(tracks.frame, config.coverage_window_s, config.min_gap_s)
    assert reduced.height < tracks.frame.height / 2
    full = [e.to_dict() for e in detector.detect(tracks)]
    assert full and [e.to_dict() for e in detector.detect(Tracks(reduced))] == full
    assert {e["event_type"] for e in full} == {"gap", "coverage_hole"}


def test_reduction_keeps_everything_when_gaps_are_shorter_than_windows() -> None:
    tracks = Tracks.from_positions(_fixes(1, np.arange(0, 600, 1), 64.0, 14.0))
    assert reduce_for_gaps(tracks.frame, 3600.0, 600.0).height == tracks.frame.height


def test_day_windows_clip_to_the_range_and_skip_unknown_days() -> None:
    days = ["2024-09-01", "2024-09-02", "2024-09-03", "unknown"]
    windows = day_windows(days, T0 + timedelta(hours=12), T0 + timedelta(days=2, hours=6))
    assert windows == [
        (T0 + timedelta(hours=12), T0 + timedelta(days=1)),
        (T0 + timedelta(days=1), T0 + timedelta(days=2)),
        (T0 + timedelta(days=2), T0 + timedelta(days=2, hours=6)),
    ]
    assert len(day_windows(days, None, None)) == 3
