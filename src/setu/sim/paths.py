"""Sea routes and the polylines vessels follow.

Routes between ports come from ``searoute`` (Apache-2.0; the Eurostat/ORNL global maritime
network, offline), cached per (origin, destination) for the life of the process: a route takes a
few milliseconds after the network is loaded, and scenarios ask for the same pairs many times.
A vessel's path is a polyline in WGS84 degrees; positions along it are interpolated linearly in
degrees between vertices, by great-circle distance along the path (the same straight-in-degrees
steps the zone detector interpolates on).

:class:`Paths` holds the polylines of every vessel concatenated, so that positions of many
vessels at many distances are found with one ``searchsorted``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from setu.errors import ConfigError
from setu.tracks.geo import EARTH_RADIUS_M, haversine_m

_F = npt.NDArray[np.float64]
#: Spacing of concatenated paths in the global distance key, metres (longer than any path).
_PATH_SPAN_M = 1.0e9
_M_PER_DEG = np.pi * EARTH_RADIUS_M / 180.0


@lru_cache(maxsize=8192)
def sea_route(origin: tuple[float, float], destination: tuple[float, float]) -> _F:
    """Vertices (k, 2) of the searoute sea lane from ``origin`` to ``destination`` (lon, lat),
    starting and ending exactly at the two points. Read-only array, cached per pair."""
    try:
        import searoute
    except ImportError as exc:  # pragma: no cover - searoute is a dependency
        raise ConfigError("the simulator needs the searoute package; pip install searoute") from exc
    feature = searoute.searoute(list(origin), list(destination), append_orig_dest=True)
    coords = np.asarray(feature["geometry"]["coordinates"], dtype=np.float64)[:, :2]
    out = _dedupe(coords)
    out.setflags(write=False)
    return out


def _dedupe(coords: _F) -> _F:
    if len(coords) < 2:
        return np.vstack([coords, coords])[:2]
    step = haversine_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    keep = np.r_[True, step > 1.0]
    out = coords[keep]
    return out if len(out) >= 2 else np.vstack([coords[0], coords[-1]])


def join(*parts: npt.ArrayLike) -> _F:
    """One polyline from pieces (a shared joint point is kept once; tiny steps are dropped)."""
    arrays = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in parts]
    return _dedupe(np.vstack(arrays))


def offset_point(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m``/``north_m`` metres from (lon, lat) (local flat approximation)."""
    return (
        lon + east_m / (_M_PER_DEG * np.cos(np.radians(lat))),
        lat + north_m / _M_PER_DEG,
    )


def bearing_deg(lon1: _F, lat1: _F, lon2: _F, lat2: _F) -> _F:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    x = np.sin(dl) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(x, y)) % 360.0)


def path_length_m(path: _F) -> float:
    return float(haversine_m(path[:-1, 0], path[:-1, 1], path[1:, 0], path[1:, 1]).sum())


@dataclass(frozen=True)
class Paths:
    """Polylines of many vessels, concatenated (index ``i`` = the i-th path given)."""

    lon: _F
    lat: _F
    key: _F  # path index * _PATH_SPAN_M + distance from the path start, per vertex
    first: npt.NDArray[np.int64]  # index of each path's first vertex
    length_m: _F  # length of each path
    course: _F  # bearing of the segment starting at each vertex (last vertex: previous one)

    @classmethod
    def build(cls, paths: Sequence[_F]) -> Paths:
        if not paths:
            raise ConfigError("a simulation needs at least one vessel path")
        counts = np.array([len(p) for p in paths], dtype=np.int64)
        verts = np.vstack(paths)
        lon, lat = verts[:, 0].copy(), verts[:, 1].copy()
        first = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        step = np.r_[0.0, haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])]
        step[first] = 0.0
        owner = np.repeat(np.arange(len(paths)), counts)
        cum = np.cumsum(step)
        cum -= np.repeat(cum[first], counts)
        length = cum[np.r_[first[1:], len(lon)] - 1]
        course = np.r_[bearing_deg(lon[:-1], lat[:-1], lon[1:], lat[1:]), 0.0]
        last = np.r_[first[1:], len(lon)] - 1
        course[last] = course[last - 1]
        return cls(lon, lat, owner * _PATH_SPAN_M + cum, first, length, course)

    def locate(self, path: npt.ArrayLike, s_m: npt.ArrayLike) -> tuple[_F, _F, _F]:
        """(lon, lat, course_deg) at distance ``s_m`` along each given path (clamped)."""
        p = np.asarray(path, dtype=np.int64)
        s = np.clip(np.asarray(s_m, dtype=np.float64), 0.0, self.length_m[p])
        key = p * _PATH_SPAN_M + s
        last = np.r_[self.first[1:], len(self.lon)][p] - 1
        i = np.clip(np.searchsorted(self.key, key, side="right") - 1, self.first[p], last - 1)
        seg = self.key[i + 1] - self.key[i]
        frac = np.clip(
            np.where(seg > 0, (key - self.key[i]) / np.where(seg > 0, seg, 1.0), 0), 0, 1
        )
        lon = self.lon[i] + frac * (self.lon[i + 1] - self.lon[i])
        lat = self.lat[i] + frac * (self.lat[i + 1] - self.lat[i])
        return lon, lat, self.course[i]

    def vertices(self, path: int) -> _F:
        end = self.first[path + 1] if path + 1 < len(self.first) else len(self.lon)
        return np.stack([self.lon[self.first[path] : end], self.lat[self.first[path] : end]], 1)

    def distance_of_vertices(self, path: int) -> _F:
        end = self.first[path + 1] if path + 1 < len(self.first) else len(self.lon)
        return self.key[self.first[path] : end] - path * _PATH_SPAN_M
