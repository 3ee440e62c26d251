"""Loitering: one vessel moving slowly for hours far out at sea.

Definition (Global Fishing Watch loitering events, after Miller et al. 2018): speed below 2 knots
for at least 4 hours, at least 20 nm from shore, and (as for encounters) at least 10 km from a
port. Speed is the reported SOG, or the speed implied by consecutive fixes where SOG is missing.

A loitering run is a maximal sequence of consecutive fixes of one segment that are all slower
than the limit, with no silence inside longer than ``max_silence_s`` (a vessel not heard for
hours cannot be said to have been slow). Its duration is first to last fix; its position is the
mean of its fixes, and the shore and port distances are measured there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from setu.errors import ValidationError
from setu.events.base import parameters_of, runs, segment_codes, utc_from_us
from setu.events.model import Event, EventType
from setu.tracks.geo import NM_M

if TYPE_CHECKING:
    from setu.events.ports import PortIndex
    from setu.events.shore import ShoreDistance
    from setu.tracks import Tracks


@dataclass(frozen=True)
class LoiteringConfig:
    """Parameters of :class:`LoiteringDetector` (defaults: GFW loitering events)."""

    # GFW loitering: average speed below 2 knots.
    max_speed_knots: float = 2.0
    # GFW loitering: for at least 4 hours.
    min_duration_s: float = 4 * 3600.0
    # GFW loitering: at least 20 nautical miles from shore.
    min_distance_from_shore_m: float = 20 * NM_M
    # Away from port, as GFW encounters: 10 km from a coastal anchorage.
    min_distance_from_port_m: float = 10_000.0
    # A silence longer than this breaks a run (setu's own choice: 2 h).
    max_silence_s: float = 2 * 3600.0

    def __post_init__(self) -> None:
        if self.max_speed_knots <= 0 or self.min_duration_s <= 0 or self.max_silence_s <= 0:
            raise ValidationError("loitering speed, duration and silence limits must be positive")


class LoiteringDetector:
    """Vessels slow for hours far from shore and ports."""

    name = "loitering"

    def __init__(
        self,
        config: LoiteringConfig | None = None,
        *,
        ports: PortIndex | None = None,
        shore: ShoreDistance | None = None,
    ) -> None:
        self.config = config or LoiteringConfig()
        self._ports = ports
        self._shore = shore

    def detect(self, tracks: Tracks) -> list[Event]:
        cfg = self.config
        frame = tracks.frame.filter(~pl.col("interpolated"))
        if frame.height == 0:
            return []
        seg = segment_codes(frame)
        t_us = frame["received_at"].dt.epoch("us").to_numpy()
        slow = frame["speed_knots"].fill_null(np.inf).to_numpy() < cfg.max_speed_knots
        # a new run starts after a long silence: give each such stretch its own group key
        silence = frame["step_duration_s"].fill_null(0.0).to_numpy() > cfg.max_silence_s
        group = np.cumsum(silence | np.r_[True, seg[1:] != seg[:-1]])
        starts, ends = runs(group, slow)
        long_enough = (t_us[ends] - t_us[starts]) >= round(cfg.min_duration_s * 1e6)
        starts, ends = starts[long_enough], ends[long_enough]
        if len(starts) == 0:
            return []
        found = _summarise(frame, starts, ends)
        lon, lat = found["lon"].to_numpy(), found["lat"].to_numpy()
        shore_m = self._shore_distance().distance_m(lon, lat)
        _port, port_m = self._port_index().nearest(lon, lat, cfg.min_distance_from_port_m)
        found = found.with_columns(
            pl.Series("shore_m", shore_m), pl.Series("port_m", port_m)
        ).filter(
            (pl.col("shore_m") >= cfg.min_distance_from_shore_m)
            & (pl.col("port_m") >= cfg.min_distance_from_port_m)
        )
        return [self._event(row) for row in found.iter_rows(named=True)]

    def _shore_distance(self) -> ShoreDistance:
        if self._shore is None:
            from setu.events.shore import load_shore

            self._shore = load_shore()
        return self._shore

    def _port_index(self) -> PortIndex:
        if self._ports is None:
            from setu.events.ports import load_ports

            self._ports = load_ports()
        return self._ports

    def _event(self, row: dict[str, Any]) -> Event:
        hours = (row["end_us"] - row["start_us"]) / 3.6e9
        return Event(
            event_type=EventType.LOITERING,
            mmsis=(row["mmsi"],),
            start=utc_from_us(row["start_us"]),
            end=utc_from_us(row["end_us"]),
            lon=float(row["lon"]),
            lat=float(row["lat"]),
            evidence=(
                f"slow ({row['mean_speed_knots']:.1f} kn mean) for {hours:.1f} h, "
                f"{row['shore_m'] / NM_M:.0f} nm from shore"
            ),
            details={
                "segment_id": row["segment_id"],
                "fixes": row["fixes"],
                "mean_speed_knots": row["mean_speed_knots"],
                "max_speed_knots": row["max_speed_knots"],
                "distance_from_shore_m": row["shore_m"],
            },
            parameters=parameters_of(self.config),
        )


def _summarise(frame: pl.DataFrame, starts: np.ndarray, ends: np.ndarray) -> pl.DataFrame:
    """One row per run: vessel, segment, time span and mean position/speed."""
    run_id = np.full(frame.height, -1, dtype=np.int64)
    lengths = ends - starts + 1
    rows = np.repeat(starts, lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    run_id[rows] = np.repeat(np.arange(len(starts)), lengths)
    return (
        frame.with_columns(pl.Series("_run", run_id))
        .filter(pl.col("_run") >= 0)
        .group_by("_run", maintain_order=True)
        .agg(
            pl.col("mmsi").first(),
            pl.col("segment_id").first(),
            pl.col("received_at").min().dt.epoch("us").alias("start_us"),
            pl.col("received_at").max().dt.epoch("us").alias("end_us"),
            pl.len().alias("fixes"),
            pl.col("lon").mean(),
            pl.col("lat").mean(),
            pl.col("speed_knots").mean().alias("mean_speed_knots"),
            pl.col("speed_knots").max().alias("max_speed_knots"),
        )
    )
