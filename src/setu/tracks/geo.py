"""Vectorised spherical geometry on WGS84 degrees (mean-Earth-radius sphere).

Distances are great-circle (haversine) distances in metres; the error against the WGS84 ellipsoid
is below 0.5 %, far under AIS position noise at the scales the detectors use.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Mean Earth radius, metres (IUGG mean radius R1).
EARTH_RADIUS_M = 6_371_008.8
#: International nautical mile, metres.
NM_M = 1852.0
#: One knot in metres per second.
KNOT_MS = NM_M / 3600.0

FloatArray = npt.NDArray[np.float64]


def haversine_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres between points given in degrees (broadcasting)."""
    lam1, phi1, lam2, phi2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((phi2 - phi1) / 2.0) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    )
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def to_unit_vectors(lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Unit vectors (n, 3) on the sphere for points in degrees."""
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def from_unit_vectors(xyz: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Degrees (lon, lat) of vectors (n, 3); the vectors need not be normalised."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lon = np.degrees(np.arctan2(y, x))
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return lon, lat


def slerp(
    lon1: npt.ArrayLike,
    lat1: npt.ArrayLike,
    lon2: npt.ArrayLike,
    lat2: npt.ArrayLike,
    fraction: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Points at ``fraction`` (0..1) of the great circle from point 1 to point 2 (degrees)."""
    a = to_unit_vectors(lon1, lat1)
    b = to_unit_vectors(lon2, lat2)
    f = np.asarray(fraction, dtype=np.float64)[..., None]
    dot = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)[..., None]
    omega = np.arccos(dot)
    sin_omega = np.sin(omega)
    small = sin_omega < 1e-12
    safe = np.where(small, 1.0, sin_omega)
    wa = np.where(small, 1.0 - f, np.sin((1.0 - f) * omega) / safe)
    wb = np.where(small, f, np.sin(f * omega) / safe)
    return from_unit_vectors(wa * a + wb * b)
