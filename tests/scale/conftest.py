"""A hand-built three-day scenario in the Arabian Sea and Laccadive Sea for the distributed run.

It holds, on purpose, what the partitioning must not break:

- an encounter whose two vessels sit on both sides of the 64° E tile edge and drift north across
  14° N, from 22:00 on day 1 to 03:00 on day 2 (across a tile edge and a day boundary);
- a three-vessel encounter cluster (three pairs) elsewhere;
- a vessel silent for 14 h mid-ocean (a gap) and one silent from 52 h to the end (an open gap);
- four vessels in one H3 cell falling silent in the same hour while a fifth keeps reporting
  (a coverage hole that explains their gaps);
- two port visits (Malé, Mumbai) and twenty background vessels crossing the area.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

T0 = datetime(2024, 9, 1, tzinfo=UTC)
HOURS = 72.0
KNOT_DEG_PER_H = 1852.0 / 111_195.0  # degrees of latitude per hour at one knot


def voyage(
    mmsi: int,
    waypoints: list[tuple[float, float, float]],
    *,
    step_min: float = 3.0,
    silent: tuple[tuple[float, float], ...] = (),
    offset_s: int = 0,
) -> pl.DataFrame:
    """Fixes every ``step_min`` minutes along (hour, lon, lat) waypoints, straight legs, with
    SOG and COG from each leg; no fixes inside the ``silent`` (from_h, to_h) spans."""
    rows = []
    t = waypoints[0][0] * 60.0
    end = waypoints[-1][0] * 60.0
    while t <= end + 1e-9:
        hour = t / 60.0
        if not any(a <= hour < b for a, b in silent):
            for (h0, x0, y0), (h1, x1, y1) in pairwise(waypoints):
                if h0 <= hour <= h1:
                    f = 0.0 if h1 == h0 else (hour - h0) / (h1 - h0)
                    lon, lat = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
                    dx = (x1 - x0) * math.cos(math.radians(lat))
                    dist_deg = math.hypot(dx, y1 - y0)
                    sog = 0.0 if h1 == h0 else dist_deg / (h1 - h0) / KNOT_DEG_PER_H
                    cog = math.degrees(math.atan2(dx, y1 - y0)) % 360.0
                    rows.append((hour, lon, lat, sog, cog))
                    break
        t += step_min
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(rows),
            "received_at": [T0 + timedelta(hours=r[0], seconds=offset_s) for r in rows],
            "lon": [r[1] for r in rows],
            "lat": [r[2] for r in rows],
            "sog_knots": [round(r[3], 1) for r in rows],
            "cog_deg": [round(r[4], 1) for r in rows],
            "heading_deg": [round(r[4]) % 360 for r in rows],
            "nav_status": [0] * len(rows),
            "msg_type": [1] * len(rows),
        },
        schema_overrides={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "sog_knots": pl.Float32,
            "cog_deg": pl.Float32,
            "heading_deg": pl.UInt16,
            "nav_status": pl.UInt8,
            "msg_type": pl.UInt8,
        },
    )


def _encounter_pair() -> list[pl.DataFrame]:
    # ~215 m apart across 64° E, drifting north across 14° N at ~0.6 kn for 5 h.
    a = [(10.0, 60.0, 10.0), (22.0, 63.999, 13.98), (27.0, 63.999, 14.03), (40.0, 67.0, 18.0)]
    b = [(12.0, 68.0, 11.0), (22.0, 64.001, 13.98), (27.0, 64.001, 14.03), (45.0, 61.0, 17.0)]
    return [voyage(419_000_101, a), voyage(636_000_202, b, offset_s=40)]


def _cluster() -> list[pl.DataFrame]:
    # three vessels within ~300 m of each other for 4 h on day 3
    spots = [(69.500, 9.500), (69.502, 9.501), (69.501, 9.5025)]
    mmsis = [538_000_301, 477_000_302, 352_000_303]
    out = []
    for i, (m, (x, y)) in enumerate(zip(mmsis, spots, strict=True)):
        route = [
            (40.0 + i, 66.0 + i, 7.0),
            (50.0, x, y),
            (54.0, x + 0.01, y + 0.01),
            (66.0, 72.0 - i, 12.0 + i),
        ]
        out.append(voyage(m, route, offset_s=20 * i))
    return out


def _gaps() -> list[pl.DataFrame]:
    closed = voyage(563_000_401, [(0.0, 60.5, 12.0), (72.0, 68.5, 15.0)], silent=((20.0, 34.0),))
    opened = voyage(248_000_402, [(0.0, 62.0, 8.0), (52.0, 66.0, 16.0)])
    return [closed, opened]


def _coverage_hole() -> list[pl.DataFrame]:
    # five vessels in parallel lanes near 66.5° E 12.5° N (one H3 resolution-3 cell); four fall
    # silent at 30:10-30:40 for 13 h, the fifth keeps reporting
    out = []
    for i in range(5):
        lat = 12.45 + 0.03 * i
        silent = () if i == 4 else ((30.0 + 0.15 * i + 0.1, 44.0),)
        route = [(24.0, 66.2, lat), (36.0, 66.8, lat), (48.0, 67.4, lat)]
        out.append(voyage(370_000_500 + i * 7919, route, silent=silent, offset_s=11 * i))
    return out


def _port_visits() -> list[pl.DataFrame]:
    male = [(0.0, 73.0, 3.4), (6.0, 73.500, 4.160), (16.0, 73.5002, 4.1601), (22.0, 74.0, 4.7)]
    mumbai = [(30.0, 71.5, 18.0), (40.0, 72.830, 19.040), (55.0, 72.8301, 19.0401),
              (60.0, 71.8, 18.6)]  # fmt: skip
    return [voyage(419_000_601, male), voyage(419_000_602, mumbai, step_min=5.0)]


def _background(seed: int = 7, vessels: int = 20) -> list[pl.DataFrame]:
    rng = random.Random(seed)
    out = []
    for k in range(vessels):
        start = rng.uniform(0.0, 30.0)
        hours = rng.uniform(20.0, 40.0)
        x0, y0 = rng.uniform(58.0, 70.0), rng.uniform(6.0, 18.0)
        x1, y1 = rng.uniform(58.0, 70.0), rng.uniform(6.0, 18.0)
        mmsi = rng.choice([205, 311, 403, 419, 431, 477, 563, 636]) * 1_000_000 + 700 + k
        route = [(start, x0, y0), (min(HOURS, start + hours), x1, y1)]
        out.append(voyage(mmsi, route, step_min=rng.choice([2.0, 3.0, 6.0]), offset_s=k))
    return out


def scenario_frame() -> pl.DataFrame:
    """Every vessel of the scenario, sorted by vessel and time."""
    parts = [
        *_encounter_pair(),
        *_cluster(),
        *_gaps(),
        *_coverage_hole(),
        *_port_visits(),
        *_background(),
    ]
    return pl.concat(parts).sort(["mmsi", "received_at"])


def as_store_table(frame: pl.DataFrame) -> pa.Table:
    """The scenario as a "positions" family table (contract columns, unique message hashes)."""
    from setu.ais.schema import FAMILY_SCHEMAS

    schema = FAMILY_SCHEMAS["positions"]
    n = frame.height
    given = frame.to_arrow()
    columns = {}
    for fld in schema:
        if fld.name in given.column_names:
            columns[fld.name] = given[fld.name].cast(fld.type)
        elif fld.name == "msg_hash":
            columns[fld.name] = pa.array(np.arange(1, n + 1, dtype=np.uint64))
        elif fld.name == "line_no":
            columns[fld.name] = pa.array(np.arange(1, n + 1, dtype=np.int64))
        elif fld.nullable:
            columns[fld.name] = pa.nulls(n, fld.type)
        elif pa.types.is_boolean(fld.type):
            columns[fld.name] = pa.array([True] * n, fld.type)
        elif pa.types.is_string(fld.type):
            columns[fld.name] = pa.array(["AIVDM"] * n, fld.type)
        else:
            columns[fld.name] = pa.array(np.zeros(n), pa.float64()).cast(fld.type)
    return pa.table(columns, schema=schema)


@pytest.fixture(scope="session")
def scenario() -> pl.DataFrame:
    return scenario_frame()


@pytest.fixture(scope="session")
def shore_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory holding the distance-to-shore grid (built once per test session)."""
    from setu.events.shore import load_shore

    path = tmp_path_factory.mktemp("cache")
    load_shore(path)
    return path
