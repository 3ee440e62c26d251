"""Segmentation: split each MMSI's positions into physically consistent segments.

The idea follows Global Fishing Watch's gpsdio-segment (several open segments per MMSI; each new
point joins the segment it is physically consistent with). This is an independent implementation;
the algorithm is written down in ``docs/tracks.md``.

For every MMSI, points are taken in time order. Up to ``max_open`` segments are open at once; a
segment closes when its last point is more than ``max_gap_s`` older than the new point. A new
point is *consistent* with an open segment when the great-circle distance ``d`` from that
segment's last point satisfies ``d <= noise_m + allowed_knots * dt``, where ``allowed_knots`` is
``max_knots`` or, for fast craft, ``sog_factor`` times the larger reported SOG of the two points.
Among consistent segments the point joins the nearest one; when none is consistent it opens a new
segment (evicting the segment heard least recently when ``max_open`` are already open).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from setu.errors import ValidationError
from setu.tracks.geo import EARTH_RADIUS_M, KNOT_MS


@dataclass(frozen=True)
class SegmentConfig:
    """Segmentation parameters."""

    # gpsdio-segment DEFAULT_MAX_HOURS = 24 (GlobalFishingWatch/gpsdio-segment, core.py).
    max_gap_s: float = 24 * 3600.0
    # gpsdio-segment default maximum speed between points, 25 knots (same source).
    max_knots: float = 25.0
    # Fast craft (HSC, patrol boats) reporting SOG above max_knots keep their segment when the
    # implied speed stays within this factor of the reported SOG (setu's own choice).
    sog_factor: float = 1.5
    # Position noise tolerated regardless of time, metres: GNSS error plus the antenna offset
    # between two transponders of one ship (setu's own choice; 2 cables).
    noise_m: float = 370.0
    # Open segments kept per MMSI (setu's own choice; MMSIs shared by more ships are rare).
    max_open: int = 8

    def __post_init__(self) -> None:
        if self.max_gap_s <= 0 or self.max_knots <= 0 or self.noise_m < 0 or self.max_open < 1:
            raise ValidationError(
                "segmentation needs max_gap_s > 0, max_knots > 0, noise_m >= 0 and max_open >= 1"
            )


@njit(cache=False)
def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2.0) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, a))))


@njit(cache=False)
def _assign(
    mmsi: npt.NDArray[np.int64],
    t_s: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    sog: npt.NDArray[np.float64],
    max_gap_s: float,
    max_knots: float,
    sog_factor: float,
    noise_m: float,
    max_open: int,
) -> npt.NDArray[np.int64]:
    n = t_s.shape[0]
    out = np.empty(n, np.int64)
    slot_seg = np.full(max_open, -1, np.int64)
    slot_t = np.zeros(max_open)
    slot_lon = np.zeros(max_open)
    slot_lat = np.zeros(max_open)
    slot_sog = np.zeros(max_open)
    next_seg = 0
    current = -1
    for i in range(n):
        if mmsi[i] != current:
            current = mmsi[i]
            slot_seg[:] = -1
        best = -1
        best_d = np.inf
        free = -1
        oldest = 0
        oldest_t = np.inf
        for s in range(max_open):
            if slot_seg[s] >= 0 and t_s[i] - slot_t[s] > max_gap_s:
                slot_seg[s] = -1
            if slot_seg[s] < 0:
                if free < 0:
                    free = s
                continue
            if slot_t[s] < oldest_t:
                oldest_t = slot_t[s]
                oldest = s
            dt = t_s[i] - slot_t[s]
            d = _distance_m(slot_lon[s], slot_lat[s], lon[i], lat[i])
            allowed = max_knots
            fast = sog_factor * max(sog[i], slot_sog[s])
            if fast > allowed:  # NaN compares False: missing SOG keeps max_knots
                allowed = fast
            if d <= noise_m + allowed * KNOT_MS * dt and d < best_d:
                best = s
                best_d = d
        if best < 0:
            best = free if free >= 0 else oldest
            slot_seg[best] = next_seg
            next_seg += 1
        out[i] = slot_seg[best]
        slot_t[best] = t_s[i]
        slot_lon[best] = lon[i]
        slot_lat[best] = lat[i]
        slot_sog[best] = sog[i]
    return out


def assign_segments(
    mmsi: npt.NDArray[np.int64],
    t_s: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    sog_knots: npt.NDArray[np.float64],
    config: SegmentConfig,
) -> npt.NDArray[np.int64]:
    """Segment number (0, 1, … in order of creation) of every point.

    The arrays must be sorted by ``mmsi`` then ``t_s`` (seconds); ``sog_knots`` is NaN where
    the SOG is not available.
    """
    if len(t_s) == 0:
        return np.empty(0, np.int64)
    return np.asarray(
        _assign(
            np.ascontiguousarray(mmsi, dtype=np.int64),
            np.ascontiguousarray(t_s, dtype=np.float64),
            np.ascontiguousarray(lon, dtype=np.float64),
            np.ascontiguousarray(lat, dtype=np.float64),
            np.ascontiguousarray(sog_knots, dtype=np.float64),
            float(config.max_gap_s),
            float(config.max_knots),
            float(config.sog_factor),
            float(config.noise_m),
            int(config.max_open),
        )
    )
