"""``Track`` (one vessel segment) and ``Tracks`` (all segments in one long table).

Columns of a track frame (Polars), in order:

=====================  ==================  ==================================================
column                 type                meaning
=====================  ==================  ==================================================
segment_id             str                 ``<mmsi>-<first fix UTC, YYYYmmddTHHMMSS>[-n]``
mmsi                   UInt32              vessel identity as broadcast
received_at            Datetime[µs, UTC]   time of the fix
lon, lat               Float64             WGS84 degrees
sog_knots              Float32             reported speed over ground (null: not available)
cog_deg                Float32             reported course over ground (null: not available)
heading_deg            UInt16              reported true heading (null: not available)
nav_status             UInt8               reported navigational status
msg_type               UInt8               AIS message type of the fix
label_id               str                 the fix's label id (null: open AIS); ``a+b`` on a
                                           point interpolated between fixes of labels a and b
step_distance_m        Float64             great-circle distance from the previous fix
step_duration_s        Float64             seconds since the previous fix
implied_speed_knots    Float64             step distance / step duration
speed_knots            Float64             ``sog_knots`` or, where missing, the implied speed
interpolated           Boolean             True for points made by :meth:`Track.resample`
=====================  ==================  ==================================================

Every method returns a new object; frames are never modified in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
import pyarrow as pa

from setu.errors import NotFoundError
from setu.tracks.clean import TRACK_INPUT_COLUMNS, CleanReport, clean_positions
from setu.tracks.derive import with_steps
from setu.tracks.resample import resample_frame
from setu.tracks.segment import SegmentConfig, assign_segments

TRACK_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "mmsi",
    "received_at",
    "lon",
    "lat",
    "sog_knots",
    "cog_deg",
    "heading_deg",
    "nav_status",
    "msg_type",
    "label_id",
    "step_distance_m",
    "step_duration_s",
    "implied_speed_knots",
    "speed_knots",
    "interpolated",
)

TRACK_SCHEMA: dict[str, pl.DataType] = {
    "segment_id": pl.String(),
    **TRACK_INPUT_COLUMNS,
    "step_distance_m": pl.Float64(),
    "step_duration_s": pl.Float64(),
    "implied_speed_knots": pl.Float64(),
    "speed_knots": pl.Float64(),
    "interpolated": pl.Boolean(),
}


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(dtype) for name, dtype in TRACK_SCHEMA.items())


@dataclass(frozen=True)
class Track:
    """One segment of one vessel: a frame with :data:`TRACK_COLUMNS`, sorted by time."""

    frame: pl.DataFrame

    @property
    def segment_id(self) -> str:
        return str(self.frame["segment_id"][0])

    @property
    def mmsi(self) -> int:
        return int(self.frame["mmsi"][0])

    @property
    def start(self) -> datetime:
        value: datetime = self.frame["received_at"][0]
        return value

    @property
    def end(self) -> datetime:
        value: datetime = self.frame["received_at"][-1]
        return value

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def distance_m(self) -> float:
        return float(self.frame["step_distance_m"].fill_null(0.0).sum())

    def __len__(self) -> int:
        return self.frame.height

    def resample(self, interval_s: float, max_gap_s: float | None = None) -> Track:
        """This track on a fixed time grid (see :func:`setu.tracks.resample.resample_frame`)."""
        return Track(_conform(resample_frame(self.frame, interval_s, max_gap_s)))


@dataclass(frozen=True)
class Tracks:
    """All segments as one long frame (sorted by ``segment_id``, ``received_at``), for
    vectorised detectors; iterate to get one :class:`Track` per segment."""

    frame: pl.DataFrame
    cleaning: CleanReport = field(default_factory=lambda: CleanReport(0, 0))
    config: SegmentConfig = field(default_factory=SegmentConfig)

    @classmethod
    def from_positions(
        cls, positions: pa.Table | pl.DataFrame, config: SegmentConfig | None = None
    ) -> Tracks:
        """Clean and segment decoded positions (the "positions" contract columns)."""
        cfg = config or SegmentConfig()
        cleaned, report = clean_positions(positions)
        seg = assign_segments(
            cleaned["mmsi"].cast(pl.Int64).to_numpy(),
            cleaned["received_at"].dt.epoch("us").to_numpy() / 1e6,
            cleaned["lon"].to_numpy(),
            cleaned["lat"].to_numpy(),
            cleaned["sog_knots"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
            cfg,
        )
        # each step drops its input before the next (a copy of the table fewer at the peak)
        frame = cleaned.with_columns(pl.Series("_seg", seg, dtype=pl.Int64))
        del cleaned, seg
        frame = frame.with_columns(_segment_ids(frame)).drop("_seg")
        frame = frame.sort(["segment_id", "received_at"])
        frame = with_steps(frame).with_columns(pl.lit(False).alias("interpolated"))
        return cls(_conform(frame), report, cfg)

    @property
    def mmsis(self) -> list[int]:
        return [int(m) for m in self.frame["mmsi"].unique().sort()]

    @property
    def segment_ids(self) -> list[str]:
        return list(self.frame["segment_id"].unique(maintain_order=True))

    @property
    def start(self) -> datetime | None:
        value: datetime | None = self.frame["received_at"].min()  # type: ignore[assignment]
        return value

    @property
    def end(self) -> datetime | None:
        value: datetime | None = self.frame["received_at"].max()  # type: ignore[assignment]
        return value

    def __len__(self) -> int:
        return self.frame["segment_id"].n_unique()

    def __iter__(self) -> Iterator[Track]:
        for part in self.frame.partition_by("segment_id", maintain_order=True):
            yield Track(part)

    def segment(self, segment_id: str) -> Track:
        part = self.frame.filter(pl.col("segment_id") == segment_id)
        if part.height == 0:
            raise NotFoundError(f"no segment {segment_id!r}; list them with `setu tracks`")
        return Track(part)

    def resample(self, interval_s: float, max_gap_s: float | None = None) -> Tracks:
        """Every segment on a fixed time grid (see :func:`setu.tracks.resample.resample_frame`)."""
        frame = _conform(resample_frame(self.frame, interval_s, max_gap_s))
        return Tracks(frame, self.cleaning, self.config)

    def summary(self) -> pl.DataFrame:
        """One row per segment: identity, time span, size, distance and bounding box."""
        return (
            self.frame.group_by("segment_id", maintain_order=True)
            .agg(
                pl.col("mmsi").first(),
                pl.col("received_at").min().alias("start"),
                pl.col("received_at").max().alias("end"),
                pl.len().alias("points"),
                pl.col("step_distance_m").fill_null(0.0).sum().alias("distance_m"),
                pl.col("lon").min().alias("lon_min"),
                pl.col("lat").min().alias("lat_min"),
                pl.col("lon").max().alias("lon_max"),
                pl.col("lat").max().alias("lat_max"),
            )
            .with_columns(
                ((pl.col("end") - pl.col("start")).dt.total_seconds()).alias("duration_s")
            )
            .sort(["mmsi", "start"])
        )


def _segment_ids(frame: pl.DataFrame) -> pl.Expr:
    """``<mmsi>-<first fix>`` per segment, with ``-n`` added when two segments of one MMSI start
    in the same second."""
    firsts = (
        frame.group_by("_seg")
        .agg(pl.col("mmsi").first(), pl.col("received_at").min().alias("_first"))
        .sort("_seg")
        .with_columns(
            (
                pl.col("mmsi").cast(pl.String) + "-" + pl.col("_first").dt.strftime("%Y%m%dT%H%M%S")
            ).alias("_base")
        )
        .with_columns(pl.int_range(pl.len()).over("_base").alias("_n"))
        .with_columns(
            pl.when(pl.col("_n") == 0)
            .then(pl.col("_base"))
            .otherwise(pl.col("_base") + "-" + pl.col("_n").cast(pl.String))
            .alias("segment_id")
        )
    )
    mapping = dict(zip(firsts["_seg"].to_list(), firsts["segment_id"].to_list(), strict=True))
    return pl.col("_seg").replace_strict(mapping, return_dtype=pl.String).alias("segment_id")
