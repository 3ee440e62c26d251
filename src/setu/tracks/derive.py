"""Per-step columns derived from consecutive points of one segment (distance, time, speed)."""

from __future__ import annotations

import polars as pl

from setu.tracks.geo import EARTH_RADIUS_M, KNOT_MS


def haversine_expr(lon1: pl.Expr, lat1: pl.Expr, lon2: pl.Expr, lat2: pl.Expr) -> pl.Expr:
    p1, p2 = lat1.radians(), lat2.radians()
    a = ((p2 - p1) / 2).sin().pow(2) + p1.cos() * p2.cos() * (
        (lon2 - lon1).radians() / 2
    ).sin().pow(2)
    return 2.0 * EARTH_RADIUS_M * a.clip(0.0, 1.0).sqrt().arcsin()


def with_steps(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``step_distance_m``, ``step_duration_s``, ``implied_speed_knots`` and ``speed_knots``.

    The frame must be sorted by ``segment_id`` and ``received_at``. The first point of a segment
    has null steps. ``speed_knots`` is the reported SOG, or where that is missing the implied
    speed of the step arriving at the point (of the step leaving it for a segment's first point).
    """
    seg = "segment_id"
    prev_lon = pl.col("lon").shift(1).over(seg)
    prev_lat = pl.col("lat").shift(1).over(seg)
    prev_t = pl.col("received_at").shift(1).over(seg)
    out = frame.with_columns(
        haversine_expr(prev_lon, prev_lat, pl.col("lon"), pl.col("lat")).alias("step_distance_m"),
        ((pl.col("received_at") - prev_t).dt.total_microseconds() / 1e6).alias("step_duration_s"),
    )
    implied = (
        pl.when(pl.col("step_duration_s") > 0)
        .then(pl.col("step_distance_m") / pl.col("step_duration_s") / KNOT_MS)
        .otherwise(None)
    )
    out = out.with_columns(implied.alias("implied_speed_knots"))
    return out.with_columns(
        pl.coalesce(
            pl.col("sog_knots").cast(pl.Float64),
            pl.col("implied_speed_knots"),
            pl.col("implied_speed_knots").shift(-1).over(seg),
        ).alias("speed_knots")
    )
