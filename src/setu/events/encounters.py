"""Encounters: two vessels meeting at sea (possible ship-to-ship transfer).

Definition (Global Fishing Watch encounters; Miller et al., "Identifying global patterns of
transshipment behavior", Frontiers in Marine Science 5:240, 2018): two vessels within 500 m of each
other for at least 2 hours, travelling at a median speed below 2 knots, at least 10 km from a port.

Method, near-linear in the number of positions (no all-pairs comparison):

1. every segment is resampled to a 10-minute grid (great-circle interpolation, not across
   silences longer than 1 hour), so positions of different vessels share time stamps;
2. each resampled position is binned into a latitude/longitude grid whose cells are 500 m tall;
   every position is compared only with positions at the same time in its own and neighbouring
   cells (as many longitude cells either side as 500 m spans at that latitude);
3. pairs within 500 m are chained into runs of consecutive grid times per vessel pair; a run
   becomes an encounter when it lasts ``min_duration_s`` (first to last grid time), both vessels'
   median speed over it is below the limit, and its mean position is far enough from any port.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from setu.errors import ValidationError
from setu.events.base import parameters_of
from setu.events.model import Event, EventType
from setu.tracks.derive import haversine_expr

if TYPE_CHECKING:
    from setu.events.ports import PortIndex
    from setu.tracks import Tracks

_M_PER_DEG_LAT = 111_132.0


@dataclass(frozen=True)
class EncounterConfig:
    """Parameters of :class:`EncounterDetector` (defaults: GFW encounters, Miller et al. 2018)."""

    # GFW: vessels within 500 m of each other.
    max_distance_m: float = 500.0
    # GFW: for at least 2 hours.
    min_duration_s: float = 2 * 3600.0
    # GFW: median speed below 2 knots.
    max_median_speed_knots: float = 2.0
    # GFW: at least 10 km from a coastal anchorage (here: a searoute port).
    min_distance_from_port_m: float = 10_000.0
    # GFW interpolates AIS positions to 10-minute intervals before pairing.
    interval_s: float = 600.0
    # Do not invent positions across silences longer than this (setu's own choice).
    max_interpolation_gap_s: float = 3600.0

    def __post_init__(self) -> None:
        if min(self.max_distance_m, self.min_duration_s, self.interval_s) <= 0:
            raise ValidationError("encounter distance, duration and interval must be positive")


class EncounterDetector:
    """Pairs of vessels that stay close together, slowly, away from ports."""

    name = "encounter"

    def __init__(
        self, config: EncounterConfig | None = None, *, ports: PortIndex | None = None
    ) -> None:
        self.config = config or EncounterConfig()
        self._ports = ports

    def _port_index(self) -> PortIndex:
        if self._ports is None:
            from setu.events.ports import load_ports

            self._ports = load_ports()
        return self._ports

    def detect(self, tracks: Tracks) -> list[Event]:
        cfg = self.config
        grid = tracks.resample(cfg.interval_s, cfg.max_interpolation_gap_s).frame
        if grid.height == 0:
            return []
        pairs = close_pairs(grid, cfg.max_distance_m)
        if pairs.height == 0:
            return []
        found = self._runs(pairs)
        if found.height == 0:
            return []
        index, _distance = self._port_index().nearest(
            found["lon"].to_numpy(), found["lat"].to_numpy(), cfg.min_distance_from_port_m
        )
        found = found.with_columns(pl.Series("_port", index)).filter(pl.col("_port") < 0)
        return [self._event(row) for row in found.iter_rows(named=True)]

    def _runs(self, pairs: pl.DataFrame) -> pl.DataFrame:
        cfg = self.config
        step_us = round(cfg.interval_s * 1e6)
        ordered = pairs.sort(["mmsi_a", "mmsi_b", "t_us"]).with_columns(
            (
                (pl.col("t_us") - pl.col("t_us").shift(1).over("mmsi_a", "mmsi_b")).fill_null(
                    step_us + 1
                )
                > step_us
            )
            .cum_sum()
            .alias("run")
        )
        runs = ordered.group_by("mmsi_a", "mmsi_b", "run").agg(
            pl.col("t_us").min().alias("start_us"),
            pl.col("t_us").max().alias("end_us"),
            pl.len().alias("samples"),
            pl.col("distance_m").min().alias("min_distance_m"),
            pl.col("distance_m").median().alias("median_distance_m"),
            pl.col("speed_a").median().alias("median_speed_a"),
            pl.col("speed_b").median().alias("median_speed_b"),
            # circular mean of longitude (safe across the antimeridian)
            pl.arctan2(pl.col("lon").radians().sin().mean(), pl.col("lon").radians().cos().mean())
            .degrees()
            .alias("lon"),
            pl.col("lat").mean(),
        )
        limit = cfg.max_median_speed_knots
        return runs.filter(
            ((pl.col("end_us") - pl.col("start_us")) >= round(cfg.min_duration_s * 1e6))
            & (pl.col("median_speed_a").fill_null(np.inf) < limit)
            & (pl.col("median_speed_b").fill_null(np.inf) < limit)
        ).sort(["start_us", "mmsi_a", "mmsi_b"])

    def _event(self, row: dict[str, Any]) -> Event:
        from setu.events.base import utc_from_us

        start, end = utc_from_us(row["start_us"]), utc_from_us(row["end_us"])
        hours = (row["end_us"] - row["start_us"]) / 3.6e9
        return Event(
            event_type=EventType.ENCOUNTER,
            mmsis=(row["mmsi_a"], row["mmsi_b"]),
            start=start,
            end=end,
            lon=float(row["lon"]),
            lat=float(row["lat"]),
            evidence=(
                f"{row['mmsi_a']} and {row['mmsi_b']} within {row['median_distance_m']:.0f} m "
                f"(median) for {hours:.1f} h at median speeds "
                f"{row['median_speed_a']:.1f}/{row['median_speed_b']:.1f} kn"
            ),
            details={
                "samples": row["samples"],
                "min_distance_m": row["min_distance_m"],
                "median_distance_m": row["median_distance_m"],
                "median_speed_knots": {
                    str(row["mmsi_a"]): row["median_speed_a"],
                    str(row["mmsi_b"]): row["median_speed_b"],
                },
            },
            parameters=parameters_of(self.config),
        )


def close_pairs(grid: pl.DataFrame, max_distance_m: float) -> pl.DataFrame:
    """Pairs of positions of different MMSIs at the same time within ``max_distance_m``.

    ``grid`` holds time-aligned positions (columns mmsi, received_at, lon, lat, speed_knots).
    Result columns: t_us, mmsi_a < mmsi_b, distance_m, speed_a, speed_b, lon, lat (midpoint).
    """
    cell_deg = max_distance_m / _M_PER_DEG_LAT
    points = grid.select(
        pl.col("received_at").dt.epoch("us").alias("t_us"),
        "mmsi",
        "lon",
        "lat",
        pl.col("speed_knots").alias("speed"),
        (pl.col("lat") / cell_deg).floor().cast(pl.Int64).alias("cy"),
        ((pl.col("lon") + 180.0) / cell_deg).floor().cast(pl.Int64).alias("cx"),
    )
    probes = _probes(points, cell_deg)
    other = points.select(
        "t_us",
        pl.col("cy").alias("ny"),
        pl.col("cx").alias("nx"),
        pl.col("mmsi").alias("mmsi_b"),
        pl.col("lon").alias("lon_b"),
        pl.col("lat").alias("lat_b"),
        pl.col("speed").alias("speed_b"),
    )
    joined = probes.join(other, on=["t_us", "ny", "nx"]).filter(pl.col("mmsi") < pl.col("mmsi_b"))
    joined = joined.with_columns(
        haversine_expr(pl.col("lon"), pl.col("lat"), pl.col("lon_b"), pl.col("lat_b")).alias(
            "distance_m"
        )
    ).filter(pl.col("distance_m") <= max_distance_m)
    return (
        joined.select(
            "t_us",
            pl.col("mmsi").alias("mmsi_a"),
            "mmsi_b",
            "distance_m",
            pl.col("speed").alias("speed_a"),
            "speed_b",
            _midpoint_lon(pl.col("lon"), pl.col("lon_b")).alias("lon"),
            ((pl.col("lat") + pl.col("lat_b")) / 2).alias("lat"),
        )
        # one row per pair and time even when a vessel has two segments at that time
        .sort(["t_us", "mmsi_a", "mmsi_b", "distance_m"])
        .unique(subset=["t_us", "mmsi_a", "mmsi_b"], keep="first", maintain_order=True)
    )


def _probes(points: pl.DataFrame, cell_deg: float) -> pl.DataFrame:
    """Each point repeated once per neighbouring cell it must be compared with."""
    n_cells = math.ceil(360.0 / cell_deg)
    # Longitude cells spanned by max_distance_m at the point's latitude (poleward edge of its cell).
    reach = (
        (1.0 / (pl.col("lat").abs() + cell_deg).clip(upper_bound=89.0).radians().cos())
        .ceil()
        .cast(pl.Int64)
    )
    return (
        points.select(
            "t_us",
            "mmsi",
            "lon",
            "lat",
            "speed",
            pl.int_ranges(pl.col("cy") - 1, pl.col("cy") + 2).alias("ny"),
            pl.int_ranges(pl.col("cx") - reach, pl.col("cx") + reach + 1).alias("nx"),
        )
        .explode("ny")
        .explode("nx")
        # longitude cells wrap at the antimeridian
        .with_columns(((pl.col("nx") % n_cells + n_cells) % n_cells).alias("nx"))
    )


def _midpoint_lon(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Longitude halfway from ``a`` to ``b`` the short way round, in [-180, 180]."""
    d = b - a
    d = pl.when(d > 180.0).then(d - 360.0).when(d < -180.0).then(d + 360.0).otherwise(d)
    mid = a + d / 2
    return (
        pl.when(mid > 180.0).then(mid - 360.0).when(mid < -180.0).then(mid + 360.0).otherwise(mid)
    )
