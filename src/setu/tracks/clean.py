"""Cleaning of decoded positions before segmentation.

Input is a table with the "positions" contract columns (an Arrow table or a Polars DataFrame).
Only the columns tracks need are kept (see :data:`TRACK_INPUT_COLUMNS`); missing optional columns
are added as nulls so hand-built tables work. The input is never modified.

Rules, in order, each counted in :class:`CleanReport` under its reason:

- ``no_time``: ``received_at`` null (a position without a time cannot be placed on a track)
- ``no_position``: ``lon``/``lat`` null or outside the Earth (|lat| > 90, |lon| > 180; the AIS
  "not available" values 91/181 land here when a decoder left them in)
- ``duplicate``: same ``mmsi`` + ``received_at`` + ``lon`` + ``lat`` as an earlier row (the same
  report heard by two stations)

Values that are "not available" are nulled rather than dropped: ``sog_knots`` >= 102.3,
``cog_deg`` >= 360, ``heading_deg`` >= 360 (511 = n/a) — ITU-R M.1371-5, Table 50.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

from setu.errors import ValidationError

#: Columns a track keeps, with their Polars types (``received_at`` is µs UTC).
TRACK_INPUT_COLUMNS: dict[str, pl.DataType] = {
    "mmsi": pl.UInt32(),
    "received_at": pl.Datetime("us", "UTC"),
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "sog_knots": pl.Float32(),
    "cog_deg": pl.Float32(),
    "heading_deg": pl.UInt16(),
    "nav_status": pl.UInt8(),
    "msg_type": pl.UInt8(),
    # the row's confidentiality label id (setu.store.schemas.LABEL_FIELD; null: open AIS);
    # absent in hand-built tables, which are then open AIS
    "label_id": pl.String(),
}
_REQUIRED = ("mmsi", "received_at", "lon", "lat")

#: SOG 102.3 means "not available" (ITU-R M.1371-5, message 1 field 7).
SOG_NOT_AVAILABLE_KNOTS = 102.3


@dataclass(frozen=True)
class CleanReport:
    """What cleaning accepted and dropped (counts by reason)."""

    rows_in: int
    rows_out: int
    dropped: dict[str, int] = field(default_factory=dict)


def as_frame(positions: pa.Table | pl.DataFrame) -> pl.DataFrame:
    """The positions as a Polars DataFrame with the track input columns and types."""
    frame = positions if isinstance(positions, pl.DataFrame) else pl.from_arrow(positions)
    if not isinstance(frame, pl.DataFrame):
        raise ValidationError("positions must be a table, not a single column")
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"positions table lacks column(s) {', '.join(missing)}; pass a table with the "
            "'positions' contract columns (received_at, mmsi, lon, lat, ...)"
        )
    time_type = frame.schema["received_at"]
    if not isinstance(time_type, pl.Datetime) or time_type.time_zone is None:
        raise ValidationError(
            f"received_at must be a timezone-aware UTC timestamp, not {time_type}; "
            "convert naive times with .dt.replace_time_zone('UTC')"
        )
    exprs = []
    for name, dtype in TRACK_INPUT_COLUMNS.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype, strict=False))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    out = frame.select(exprs)
    return out.with_columns(pl.col("received_at").dt.convert_time_zone("UTC"))


def clean_positions(positions: pa.Table | pl.DataFrame) -> tuple[pl.DataFrame, CleanReport]:
    """Cleaned positions sorted by ``mmsi`` and ``received_at``, and the report."""
    frame = as_frame(positions)
    rows_in = frame.height
    dropped: dict[str, int] = {}

    def _keep(df: pl.DataFrame, ok: pl.Expr, reason: str) -> pl.DataFrame:
        mask = df.select(ok.fill_null(False)).to_series()
        if mask.all():  # the usual case: no copy of the table
            return df
        kept = df.filter(mask)
        dropped[reason] = df.height - kept.height
        return kept

    frame = _keep(
        frame, pl.col("received_at").is_not_null() & pl.col("mmsi").is_not_null(), "no_time"
    )
    on_earth = (
        pl.col("lon").is_not_null()
        & pl.col("lat").is_not_null()
        & pl.col("lon").is_finite()
        & pl.col("lat").is_finite()
        & (pl.col("lon").abs() <= 180.0)
        & (pl.col("lat").abs() <= 90.0)
    )
    frame = _keep(frame, on_earth, "no_position")
    frame = frame.with_columns(
        pl.when(pl.col("sog_knots") < SOG_NOT_AVAILABLE_KNOTS - 0.05)
        .then(pl.col("sog_knots"))
        .otherwise(None)
        .alias("sog_knots"),
        pl.when(pl.col("cog_deg").is_between(0.0, 360.0, closed="left"))
        .then(pl.col("cog_deg"))
        .otherwise(None)
        .alias("cog_deg"),
        pl.when(pl.col("heading_deg") < 360)
        .then(pl.col("heading_deg"))
        .otherwise(None)
        .alias("heading_deg"),
    )
    frame = frame.with_row_index("_row").sort(["mmsi", "received_at", "_row"])
    repeats = _repeated_rows(frame)
    if repeats.len():
        frame = frame.filter(~pl.col("_row").is_in(repeats.implode()))
        dropped["duplicate"] = repeats.len()
    frame = frame.drop("_row")
    return frame, CleanReport(rows_in=rows_in, rows_out=frame.height, dropped=dropped)


def _repeated_rows(frame: pl.DataFrame) -> pl.Series:
    """``_row`` of every row of ``frame`` (sorted by mmsi, received_at, _row) with the same mmsi,
    received_at, lon and lat as an earlier row. Only rows sharing their mmsi and time with a
    neighbour can repeat one, so only those few are hashed (hashing every row of a large table
    took more memory than the table)."""
    same = (pl.col("mmsi") == pl.col("mmsi").shift(1)) & (
        pl.col("received_at") == pl.col("received_at").shift(1)
    )
    same = same.fill_null(False)
    shared = frame.filter(same | same.shift(-1).fill_null(False))
    first = pl.struct("mmsi", "received_at", "lon", "lat").is_first_distinct()
    return shared.filter(~first)["_row"]
