"""Tracks: cleaned, segmented, optionally resampled vessel trajectories.

Owns the cleaning of decoded positions, the segmentation of each MMSI's positions into physically
consistent segments (so two ships sharing one MMSI become two segments), and resampling to a
fixed time grid. The algorithm and its defaults are written down in ``docs/tracks.md``.

May import :mod:`setu.errors`, NumPy, Numba, Polars and PyArrow. It takes tables, never a store:
callers read positions (e.g. ``open_store(settings).positions(...)``) and pass them in.
"""

from setu.tracks.clean import CleanReport, clean_positions
from setu.tracks.geo import EARTH_RADIUS_M, KNOT_MS, NM_M, haversine_m, slerp
from setu.tracks.segment import SegmentConfig, assign_segments
from setu.tracks.track import TRACK_COLUMNS, TRACK_SCHEMA, Track, Tracks

__all__ = [
    "EARTH_RADIUS_M",
    "KNOT_MS",
    "NM_M",
    "TRACK_COLUMNS",
    "TRACK_SCHEMA",
    "CleanReport",
    "SegmentConfig",
    "Track",
    "Tracks",
    "assign_segments",
    "clean_positions",
    "haversine_m",
    "slerp",
]
