"""Partitioning for the distributed run: vessel buckets, day windows, spatial tiles with a halo,
and the gap detector's reduced fixes.

Every function here is pure (tables in, new tables out) and works the same on the client and on
a worker. The reasons each partitioning preserves the single-process result are given in the
package docstring (:mod:`setu.scale`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from setu.errors import ConfigError, ValidationError
from setu.tracks import EARTH_RADIUS_M
from setu.tracks.clean import TRACK_INPUT_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

#: Degrees of latitude per metre along a meridian on the mean-radius sphere (the distance model
#: of :func:`setu.tracks.haversine_m`).
_DEG_PER_M = 180.0 / (math.pi * EARTH_RADIUS_M)

#: Occupancy binning of :class:`setu.events.GapDetector`: fixes are rounded to a 1/50° grid
#: before their H3 cell is taken (``setu.events.gaps``, "H3 computed once per 0.02° grid point").
GAP_GRID_PER_DEG = 50

# Knuth's multiplicative hash (2^32 / golden ratio): spreads consecutive MMSIs over buckets.
_MIX = 2_654_435_761


def bucket_expr(mmsi: pl.Expr, buckets: int) -> pl.Expr:
    """The bucket (0 .. buckets-1) of each MMSI; the same MMSI always lands in the same bucket."""
    if buckets < 1:
        raise ValidationError("the number of partitions must be at least 1")
    mixed = (mmsi.cast(pl.UInt64) * _MIX) % (1 << 32)
    return (mixed % buckets).cast(pl.Int64)


def track_input(positions: pa.Table | pl.DataFrame) -> pl.DataFrame:
    """Only the columns tracks read (cleaning ignores the others)."""
    frame = positions if isinstance(positions, pl.DataFrame) else pl.from_arrow(positions)
    if not isinstance(frame, pl.DataFrame):
        raise ConfigError("positions must be a table")
    return frame.select([c for c in TRACK_INPUT_COLUMNS if c in frame.columns])


def split_by_bucket(frame: pl.DataFrame, buckets: int) -> list[pl.DataFrame]:
    """``frame`` cut into ``buckets`` frames by the MMSI bucket, row order kept in each."""
    keyed = frame.with_columns(bucket_expr(pl.col("mmsi"), buckets).alias("_bucket"))
    parts = keyed.partition_by("_bucket", as_dict=True, maintain_order=True)
    empty = frame.clear()
    return [parts[(b,)].drop("_bucket") if (b,) in parts else empty for b in range(buckets)]


def day_windows(
    days: Sequence[str], start: datetime | None, end: datetime | None
) -> list[tuple[datetime, datetime]]:
    """One ``[from, to)`` window per stored day label (``YYYY-MM-DD``) that meets
    ``[start, end)``, clipped to it. Labels that are not dates (e.g. ``unknown``) are skipped:
    positions without a time never reach a track."""
    windows = []
    for label in days:
        try:
            day = datetime.strptime(label, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            continue
        lo, hi = day, day + timedelta(days=1)
        if start is not None:
            lo = max(lo, start)
        if end is not None:
            hi = min(hi, end)
        if lo < hi:
            windows.append((lo, hi))
    return windows


def halo_tiles(
    points: pl.DataFrame, tile_deg: float, reach_m: float, partitions: int
) -> pl.DataFrame:
    """``points`` (columns ``received_at``, ``lon``, ``lat``, ...) each repeated once per
    partition that must see it, with a ``_part`` column.

    The world is cut into ``tile_deg`` tiles per UTC day. A point belongs to its own tile and,
    as halo, to every tile it lies within ``reach_m`` of (great-circle, longitude wrapping at
    the antimeridian). So two points within ``reach_m`` of each other at the same instant always
    meet in the partition of the first one's own tile. Tiles map to ``partitions`` by hash.
    """
    if tile_deg <= 0 or reach_m < 0:
        raise ValidationError("tiles need a positive size and a non-negative reach")
    cols = math.ceil(360.0 / tile_deg)
    rows = math.ceil(180.0 / tile_deg)
    # |Δlat| <= d / R; |Δlon| <= 2 asin(sin(d / 2R) / cos(lat_max)) (haversine bound), + 1 %.
    lat_m = 1.01 * reach_m * _DEG_PER_M
    half = math.sin(reach_m / (2.0 * EARTH_RADIUS_M))
    cos_max = (pl.col("lat").abs() + lat_m).clip(upper_bound=90.0).radians().cos()
    ratio = (half / cos_max).clip(upper_bound=1.0)
    lon_m = pl.when(cos_max > half).then(1.01 * 2.0 * ratio.arcsin().degrees()).otherwise(360.0)
    day_us = 86_400 * 1_000_000
    tiled = points.with_columns(
        (pl.col("received_at").dt.epoch("us") // day_us).alias("_day"),
        pl.int_ranges(
            ((pl.col("lat") - lat_m + 90.0) / tile_deg).floor().cast(pl.Int64).clip(0, rows - 1),
            ((pl.col("lat") + lat_m + 90.0) / tile_deg).floor().cast(pl.Int64).clip(0, rows - 1)
            + 1,
        ).alias("_ty"),
        pl.int_ranges(
            ((pl.col("lon") - lon_m + 180.0) / tile_deg).floor().cast(pl.Int64),
            pl.min_horizontal(
                ((pl.col("lon") + lon_m + 180.0) / tile_deg).floor().cast(pl.Int64) + 1,
                ((pl.col("lon") - lon_m + 180.0) / tile_deg).floor().cast(pl.Int64) + cols,
            ),
        ).alias("_tx"),
    )
    exploded = tiled.explode("_ty").explode("_tx").with_columns(pl.col("_tx") % cols)
    key = (pl.col("_day") * rows + pl.col("_ty")) * cols + pl.col("_tx")
    parts = exploded.with_columns(
        ((key.cast(pl.UInt64) * _MIX) % (1 << 32) % partitions).cast(pl.Int64).alias("_part")
    )
    return parts.drop("_day", "_ty", "_tx").unique(maintain_order=True)


def reduce_for_gaps(frame: pl.DataFrame, window_s: float, min_gap_s: float) -> pl.DataFrame:
    """The fixes of a track frame that decide every gap and coverage hole, for one global
    :class:`~setu.events.GapDetector` pass.

    Of the non-interpolated fixes, the first and the last of each (vessel, occupancy window,
    0.02° grid point) are kept. That keeps every (vessel, cell, window) the detector counts as
    heard, the last fix of the data, and both fixes of every silence of at least ``min_gap_s``
    (such a silence ends the window it starts in, so its first fix is the last of its group and
    its second the first of its group); a dropped fix lies between two kept fixes of its own
    group, less than one window apart, so no new silence appears. This needs
    ``min_gap_s >= window_s``; otherwise every fix is kept.
    """
    fixes = frame.filter(~pl.col("interpolated"))
    if min_gap_s < window_s:
        return fixes
    window_us = int(window_s * 1e6)
    keys = ["mmsi", "_window", "_qlat", "_qlon"]
    keyed = fixes.with_row_index("_row").with_columns(
        (pl.col("received_at").dt.epoch("us") // window_us).alias("_window"),
        (pl.col("lat") * GAP_GRID_PER_DEG).round().alias("_qlat"),
        (pl.col("lon") * GAP_GRID_PER_DEG).round().alias("_qlon"),
    )
    ordered = keyed.sort(["mmsi", "received_at", "_row"])
    rank = pl.int_range(pl.len()).over(keys)
    kept = ordered.filter((rank == 0) | (rank == pl.len().over(keys) - 1))
    return kept.sort("_row").drop("_row", "_window", "_qlat", "_qlon")


def vessels_of_pairs(pairs: pl.DataFrame, buckets: int) -> tuple[list[set[int]], pl.DataFrame]:
    """Pair buckets: for each, the vessels whose tracks it needs; and ``pairs`` with its
    ``_bucket``."""
    if pairs.height == 0:
        return [set() for _ in range(buckets)], pairs.with_columns(
            pl.lit(0, pl.Int64).alias("_bucket")
        )
    lows = pairs["mmsi_a"].cast(pl.Int64).to_numpy()
    highs = pairs["mmsi_b"].cast(pl.Int64).to_numpy()
    lo, hi = np.minimum(lows, highs).astype(np.uint64), np.maximum(lows, highs).astype(np.uint64)
    mixed = (lo * np.uint64(_MIX) + hi) % np.uint64(1 << 32)
    bucket = (mixed % np.uint64(buckets)).astype(np.int64)
    keyed = pairs.with_columns(pl.Series("_bucket", bucket))
    vessels: list[set[int]] = [set() for _ in range(buckets)]
    for a, b, k in zip(lows.tolist(), highs.tolist(), bucket.tolist(), strict=True):
        vessels[k].update((a, b))
    return vessels, keyed
