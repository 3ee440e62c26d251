"""Synthetic positions for ``benchmarks/events.py --scenario-module synthetic_traffic``.

Straight-line voyages over 24 h in the northern Indian Ocean, one fix a minute, with traffic
proportional to ``scale``: 300 vessels per 1x, a tenth of them in pairs that meet (slow, 300 m
apart, for 3 h) and a twentieth going silent for 13 h. Not realistic traffic: a load with the
shapes the detectors look for, for when ``setu.sim`` is not at hand.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

T0_US = 1_725_148_800_000_000  # 2024-09-01T00:00:00Z
STEP_S = 60
HOURS = 24


def positions(scale: float, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    vessels = int(300 * scale)
    t = np.arange(0, HOURS * 3600, STEP_S, dtype=np.int64)
    parts = []
    for k in range(vessels):
        x0, y0 = rng.uniform(55.0, 80.0), rng.uniform(2.0, 22.0)
        x1, y1 = rng.uniform(55.0, 80.0), rng.uniform(2.0, 22.0)
        f = t / t[-1]
        lon, lat = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
        sog = np.full(t.size, np.hypot(x1 - x0, y1 - y0) * 60.0 / HOURS, dtype=np.float32)
        keep = np.ones(t.size, dtype=bool)
        if k % 10 == 1:  # meets vessel k - 1 between 10:00 and 13:00
            meet = (t >= 10 * 3600) & (t < 13 * 3600)
            prev = parts[-1]
            lon = np.where(meet, prev["lon"] + 0.0027, lon)
            lat = np.where(meet, prev["lat"], lat)
            sog = np.where(meet, np.float32(0.3), sog).astype(np.float32)
        if k % 10 == 0:
            meet = (t >= 10 * 3600) & (t < 13 * 3600)
            lon = np.where(meet, x0 + 0.5, lon)
            lat = np.where(meet, y0, lat)
            sog = np.where(meet, np.float32(0.3), sog).astype(np.float32)
        if k % 20 == 3:
            keep = (t < 6 * 3600) | (t >= 19 * 3600)
        parts.append({"mmsi": 419_000_000 + k, "lon": lon, "lat": lat, "sog": sog, "keep": keep})
    n = t.size
    return pa.table(
        {
            "mmsi": pa.array(np.repeat([p["mmsi"] for p in parts], n)[_mask(parts)], pa.uint32()),
            "received_at": pa.array(
                (T0_US + np.tile(t * 1_000_000 + 0, len(parts)))[_mask(parts)],
                pa.timestamp("us", tz="UTC"),
            ),
            "lon": np.concatenate([p["lon"] for p in parts])[_mask(parts)],
            "lat": np.concatenate([p["lat"] for p in parts])[_mask(parts)],
            "sog_knots": np.concatenate([p["sog"] for p in parts])[_mask(parts)],
        }
    )


def _mask(parts: list[dict]) -> np.ndarray:
    return np.concatenate([p["keep"] for p in parts])
