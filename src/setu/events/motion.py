"""Abnormal motion: drift and sudden speed drops.

Both follow the definitions of the Danish Maritime Authority's AisAbnormal analyses (drift
analysis and sudden-speed-change analysis; only the definitions are used here):

- ``drift``: a vessel at least ``min_length_m`` long moves at 1-5 knots over ground with its
  course over ground and its heading more than 45° apart, for at least 10 minutes and at least
  500 m (great-circle distance from the first to the last fix of the run). The run is broken by a
  fix outside those limits, a missing SOG, COG or heading, or a silence longer than
  ``max_silence_s``. Length is ``to_bow_m + to_stern_m`` from the statics (the largest reported);
  a vessel whose length is unknown is skipped unless ``require_length`` is False.
- ``speed_drop``: the reported SOG falls from above 7 knots to below 1 knot within 30 seconds and
  stays below 1 knot for at least 60 seconds (first to last fix of the slow run). The event runs
  from the last fast fix to the last slow fix.

Only reported SOG (``sog_knots``) is used: speeds implied from positions are too noisy at the
10-second scale these definitions work on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa

from setu.errors import ValidationError
from setu.events.base import parameters_of, runs, segment_codes, utc_from_us
from setu.events.model import Event, EventType
from setu.tracks.geo import haversine_m

if TYPE_CHECKING:
    from setu.tracks import Tracks


def vessel_lengths(statics: pa.Table | pl.DataFrame | None) -> dict[int, float]:
    """Length overall in metres per MMSI (largest ``to_bow_m + to_stern_m`` reported with both
    parts present and a positive sum)."""
    if statics is None:
        return {}
    frame = statics if isinstance(statics, pl.DataFrame) else pl.from_arrow(statics)
    if not isinstance(frame, pl.DataFrame) or not {"mmsi", "to_bow_m", "to_stern_m"} <= set(
        frame.columns
    ):
        raise ValidationError("statics need mmsi, to_bow_m and to_stern_m for vessel lengths")
    lengths = (
        frame.select(
            pl.col("mmsi").cast(pl.Int64),
            (pl.col("to_bow_m").cast(pl.Float64) + pl.col("to_stern_m").cast(pl.Float64)).alias(
                "length_m"
            ),
        )
        .filter(pl.col("length_m") > 0)
        .group_by("mmsi")
        .agg(pl.col("length_m").max())
    )
    return dict(zip(lengths["mmsi"].to_list(), lengths["length_m"].to_list(), strict=True))


@dataclass(frozen=True)
class DriftConfig:
    """Parameters of :class:`DriftDetector` (defaults: DMA AisAbnormal drift analysis)."""

    # AisAbnormal drift: speed over ground between 1 and 5 knots.
    min_speed_knots: float = 1.0
    max_speed_knots: float = 5.0
    # AisAbnormal drift: course over ground and heading more than 45 degrees apart.
    min_course_heading_deg: float = 45.0
    # AisAbnormal drift: observed for at least 10 minutes and 500 metres.
    min_duration_s: float = 600.0
    min_distance_m: float = 500.0
    # AisAbnormal drift: vessels of at least 50 m.
    min_length_m: float = 50.0
    # Unknown length: skip the vessel (setu's choice; the AisAbnormal rule needs the length).
    require_length: bool = True
    # A silence longer than this breaks a run (setu's choice: 3 minutes, the longest Class A
    # reporting interval, at anchor; ITU-R M.1371-5 Table 1).
    max_silence_s: float = 180.0

    def __post_init__(self) -> None:
        if not 0 <= self.min_speed_knots < self.max_speed_knots:
            raise ValidationError("drift needs 0 <= min_speed_knots < max_speed_knots")
        if self.min_duration_s <= 0 or self.max_silence_s <= 0 or self.min_distance_m < 0:
            raise ValidationError("drift durations must be positive and distances non-negative")


class DriftDetector:
    """Vessels moving sideways at low speed (see the module docstring)."""

    name = "drift"

    def __init__(
        self,
        config: DriftConfig | None = None,
        *,
        statics: pa.Table | pl.DataFrame | None = None,
    ) -> None:
        self.config = config or DriftConfig()
        self._lengths = vessel_lengths(statics)

    def detect(self, tracks: Tracks) -> list[Event]:
        cfg = self.config
        frame = tracks.frame.filter(~pl.col("interpolated"))
        if frame.height == 0:
            return []
        lengths = (
            frame["mmsi"]
            .cast(pl.Int64)
            .replace_strict(self._lengths, default=None, return_dtype=pl.Float64)
        )
        length_ok = (lengths >= cfg.min_length_m).fill_null(not cfg.require_length).to_numpy()
        sog = frame["sog_knots"].cast(pl.Float64).to_numpy()
        cog = frame["cog_deg"].cast(pl.Float64).to_numpy()
        heading = frame["heading_deg"].cast(pl.Float64).to_numpy()
        diff = np.abs((cog - heading + 180.0) % 360.0 - 180.0)
        with np.errstate(invalid="ignore"):
            drifting = (
                (sog >= cfg.min_speed_knots)
                & (sog <= cfg.max_speed_knots)
                & (diff > cfg.min_course_heading_deg)
                & length_ok
            )
        drifting = np.nan_to_num(drifting, nan=False).astype(bool)
        seg = segment_codes(frame)
        silence = frame["step_duration_s"].fill_null(0.0).to_numpy() > cfg.max_silence_s
        group = np.cumsum(silence | np.r_[True, seg[1:] != seg[:-1]])
        starts, ends = runs(group, drifting)
        t_us = frame["received_at"].dt.epoch("us").to_numpy()
        lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        distance = haversine_m(lon[starts], lat[starts], lon[ends], lat[ends])
        keep = ((t_us[ends] - t_us[starts]) >= round(cfg.min_duration_s * 1e6)) & (
            distance >= cfg.min_distance_m
        )
        cols = {
            "mmsi": frame["mmsi"].to_numpy(),
            "segment_id": frame["segment_id"].to_numpy(),
            "t_us": t_us,
            "lon": lon,
            "lat": lat,
            "sog": sog,
            "diff": diff,
        }
        return [
            self._event(cols, int(s), int(e), float(d))
            for s, e, d in zip(starts[keep], ends[keep], distance[keep], strict=True)
        ]

    def _event(self, cols: dict[str, np.ndarray], s: int, e: int, distance_m: float) -> Event:
        part = slice(s, e + 1)
        mmsi, seg_id, t_us = int(cols["mmsi"][s]), str(cols["segment_id"][s]), cols["t_us"]
        duration_s = (t_us[e] - t_us[s]) / 1e6
        mean_sog = float(np.mean(cols["sog"][part]))
        mean_diff = float(np.mean(cols["diff"][part]))
        return Event(
            event_type=EventType.DRIFT,
            mmsis=(mmsi,),
            start=utc_from_us(t_us[s]),
            end=utc_from_us(t_us[e]),
            lon=float(cols["lon"][part].mean()),
            lat=float(cols["lat"][part].mean()),
            evidence=(
                f"drifting {distance_m:.0f} m in {duration_s / 60:.0f} min at {mean_sog:.1f} kn, "
                f"course {mean_diff:.0f}° off heading"
            ),
            details={
                "segment_id": seg_id,
                "fixes": e - s + 1,
                "duration_s": duration_s,
                "distance_m": distance_m,
                "mean_sog_knots": mean_sog,
                "mean_course_heading_deg": mean_diff,
                "length_m": self._lengths.get(mmsi),
            },
            parameters=parameters_of(self.config),
            key=seg_id,
        )


@dataclass(frozen=True)
class SpeedDropConfig:
    """Parameters of :class:`SpeedDropDetector` (defaults: DMA AisAbnormal sudden speed change)."""

    # AisAbnormal sudden speed change: from above 7 knots ...
    high_knots: float = 7.0
    # ... to below 1 knot ...
    low_knots: float = 1.0
    # ... within 30 seconds ...
    max_drop_s: float = 30.0
    # ... and staying below 1 knot for 60 seconds.
    min_hold_s: float = 60.0

    def __post_init__(self) -> None:
        if not 0 < self.low_knots < self.high_knots:
            raise ValidationError("speed_drop needs 0 < low_knots < high_knots")
        if self.max_drop_s <= 0 or self.min_hold_s < 0:
            raise ValidationError("speed_drop needs max_drop_s > 0 and min_hold_s >= 0")


class SpeedDropDetector:
    """Sudden drops from cruising speed to a standstill (see the module docstring)."""

    name = "speed_drop"

    def __init__(self, config: SpeedDropConfig | None = None) -> None:
        self.config = config or SpeedDropConfig()

    def detect(self, tracks: Tracks) -> list[Event]:
        cfg = self.config
        frame = tracks.frame.filter(~pl.col("interpolated"))
        if frame.height == 0:
            return []
        seg = segment_codes(frame)
        sog = frame["sog_knots"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        t_us = frame["received_at"].dt.epoch("us").to_numpy()
        n = frame.height
        idx = np.arange(n)
        seg_start = np.maximum.accumulate(np.where(np.r_[True, seg[1:] != seg[:-1]], idx, 0))
        last_high = np.maximum.accumulate(np.where(sog > cfg.high_knots, idx, -1))
        starts, ends = runs(seg, sog < cfg.low_knots)
        prev_high = np.where(starts > 0, last_high[np.maximum(starts - 1, 0)], -1)
        ok = (prev_high >= seg_start[starts]) & (prev_high >= 0)
        drop_s = (t_us[starts] - t_us[np.maximum(prev_high, 0)]) / 1e6
        hold_s = (t_us[ends] - t_us[starts]) / 1e6
        ok &= (drop_s <= cfg.max_drop_s) & (hold_s >= cfg.min_hold_s)
        mmsi, seg_ids = frame["mmsi"].to_numpy(), frame["segment_id"].to_numpy()
        lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        out = []
        for h, s, e in zip(prev_high[ok], starts[ok], ends[ok], strict=True):
            out.append(
                Event(
                    event_type=EventType.SPEED_DROP,
                    mmsis=(int(mmsi[s]),),
                    start=utc_from_us(t_us[h]),
                    end=utc_from_us(t_us[e]),
                    lon=float(lon[s]),
                    lat=float(lat[s]),
                    evidence=(
                        f"speed fell from {sog[h]:.1f} kn to {sog[s]:.1f} kn in "
                        f"{(t_us[s] - t_us[h]) / 1e6:.0f} s and stayed below "
                        f"{cfg.low_knots:g} kn for {(t_us[e] - t_us[s]) / 1e6:.0f} s"
                    ),
                    details={
                        "segment_id": str(seg_ids[s]),
                        "speed_before_knots": float(sog[h]),
                        "speed_after_knots": float(sog[s]),
                        "drop_duration_s": (t_us[s] - t_us[h]) / 1e6,
                        "hold_duration_s": (t_us[e] - t_us[s]) / 1e6,
                    },
                    parameters=parameters_of(cfg),
                    key=str(seg_ids[s]),
                )
            )
        return out
