"""Resampling of segments to a fixed time grid with great-circle interpolation."""

from __future__ import annotations

import numpy as np
import polars as pl

from setu.errors import ValidationError
from setu.tracks.derive import with_steps
from setu.tracks.geo import slerp

_CARRY = ("cog_deg", "heading_deg", "nav_status", "msg_type", "label_id")


def resample_frame(
    frame: pl.DataFrame, interval_s: float, max_gap_s: float | None = None
) -> pl.DataFrame:
    """Points every ``interval_s`` seconds (on multiples of the interval since the epoch) inside
    each segment's time span.

    ``lon``/``lat`` are interpolated along the great circle between the bracketing original
    points, ``sog_knots`` and ``speed_knots`` linearly; course, heading, status and message type
    are carried from the earlier point. ``interpolated`` is False where a grid time coincides with
    an original point. With ``max_gap_s``, grid times inside a silence longer than that are left
    out (no positions are invented across long gaps).
    """
    if interval_s <= 0:
        raise ValidationError("resampling interval must be positive (seconds)")
    if frame.height == 0:
        return frame
    step_us = round(interval_s * 1e6)
    bounds = frame.group_by("segment_id", maintain_order=True).agg(
        pl.col("mmsi").first(),
        pl.col("received_at").min().alias("_start"),
        pl.col("received_at").max().alias("_end"),
    )
    start_us = bounds["_start"].dt.epoch("us").to_numpy()
    end_us = bounds["_end"].dt.epoch("us").to_numpy()
    first = -(-start_us // step_us) * step_us
    last = (end_us // step_us) * step_us
    counts = np.maximum(0, (last - first) // step_us + 1)
    seg_rows = np.repeat(np.arange(bounds.height), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    grid_us = first[seg_rows] + offsets * step_us
    grid = pl.DataFrame(
        {
            "segment_id": bounds["segment_id"].gather(seg_rows),
            "mmsi": bounds["mmsi"].gather(seg_rows),
            "received_at": pl.Series(grid_us, dtype=pl.Int64)
            .cast(pl.Datetime("us"))
            .dt.replace_time_zone("UTC"),
        }
    ).sort(["segment_id", "received_at"])
    return _interpolate(frame, grid, max_gap_s)


def _interpolate(frame: pl.DataFrame, grid: pl.DataFrame, max_gap_s: float | None) -> pl.DataFrame:
    src = frame.sort(["segment_id", "received_at"]).select(
        "segment_id",
        "received_at",
        pl.col("received_at").alias("_t"),
        "lon",
        "lat",
        "sog_knots",
        "speed_knots",
        *_CARRY,
    )
    asof = {"on": "received_at", "by": "segment_id", "check_sortedness": False}
    before = grid.join_asof(src, strategy="backward", **asof)  # type: ignore[arg-type]
    after = grid.join_asof(
        src.select(
            "segment_id", "received_at", "_t", "lon", "lat", "sog_knots", "speed_knots", "label_id"
        ),
        strategy="forward",
        **asof,  # type: ignore[arg-type]
    )
    t0 = before["_t"].dt.epoch("us").to_numpy().astype(np.float64)
    t1 = after["_t"].dt.epoch("us").to_numpy().astype(np.float64)
    g = before["received_at"].dt.epoch("us").to_numpy().astype(np.float64)
    span = t1 - t0
    frac = np.where(span > 0, (g - t0) / np.where(span > 0, span, 1.0), 0.0)
    lon, lat = slerp(
        before["lon"].to_numpy(),
        before["lat"].to_numpy(),
        after["lon"].to_numpy(),
        after["lat"].to_numpy(),
        frac,
    )
    exact = g == t0
    lon = np.where(exact, before["lon"].to_numpy(), lon)
    lat = np.where(exact, before["lat"].to_numpy(), lat)

    def _lerp(name: str) -> pl.Series:
        a = before[name].cast(pl.Float64).to_numpy()
        b = after[name].cast(pl.Float64).to_numpy()
        return pl.Series(
            name, np.where(exact, a, a + (b - a) * frac), dtype=pl.Float64, nan_to_null=True
        )

    out = before.select("segment_id", "mmsi", "received_at").with_columns(
        pl.Series("lon", lon),
        pl.Series("lat", lat),
        _lerp("sog_knots").cast(pl.Float32),
        before["cog_deg"],
        before["heading_deg"],
        before["nav_status"],
        before["msg_type"],
        _joined_labels(before["label_id"], after["label_id"], exact),
        _lerp("speed_knots").alias("_speed"),
        pl.Series("interpolated", ~exact),
        pl.Series("_span_s", span / 1e6),
    )
    if max_gap_s is not None:
        out = out.filter(~pl.col("interpolated") | (pl.col("_span_s") <= max_gap_s))
    out = with_steps(out.drop("_span_s"))
    return out.with_columns(pl.col("_speed").alias("speed_knots")).drop("_speed")


def _joined_labels(before: pl.Series, after: pl.Series, exact: np.ndarray) -> pl.Series:
    """The label id of each grid point: its fix's on an exact fix or where both neighbours share
    one, else ``before+after`` (null written as empty), which names both so that nothing derived
    from the point drops either label."""
    if before.null_count() == len(before) and after.null_count() == len(after):
        return before.alias("label_id")  # all open AIS: the usual case
    same = before.eq_missing(after).to_numpy() | exact
    joined = before.fill_null("") + "+" + after.fill_null("")
    return before.zip_with(pl.Series(same), joined).alias("label_id")
