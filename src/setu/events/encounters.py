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

Memory grows with the traffic, not with the square of a port's crowd. Ships moored side by side
in a port form pairs at every grid time, as many as the square of the crowd, and the port rule
rejects all of them. So the grid is paired a slice of time at a time (``points_per_chunk``), and
each slice's pairs are folded into run summaries (span, sample counts, coordinate sums) that are
chained across slices; the pairs themselves are dropped with their slice. A run that has ended
is kept as a candidate only when it may still be an encounter (see :func:`_may_be_encounter`: the
tests there can only reject runs the exact rules reject). Only the candidates' pairs are then
rebuilt, by the same :func:`close_pairs` on the grid points of their two vessels over their span,
and judged by exactly the rules above, so the events are those of pairing the whole grid at once.
What stays in memory is the grid, one slice's pairs, one summary per pair currently in contact,
and the candidates.
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

#: Grid points paired at once (setu's choice: about a day of a 2,000-vessel region; the pairs of
#: a slice stay within a few hundred MB even in a port crowded at 4x the ``large`` scenario).
POINTS_PER_CHUNK = 200_000

#: Slack of the early port test on run summaries. The summary's mean position adds the same
#: values as the exact test in another order; for n samples the two means differ by about
#: n * 1.1e-16 of a radian (under a millimetre for a billion samples), far inside one metre.
_PORT_SLACK_M = 1.0

_PAIR_KEY = ["mmsi_a", "mmsi_b"]


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
        self,
        config: EncounterConfig | None = None,
        *,
        ports: PortIndex | None = None,
        points_per_chunk: int = POINTS_PER_CHUNK,
    ) -> None:
        if points_per_chunk < 1:
            raise ValidationError("points_per_chunk must be at least 1")
        self.config = config or EncounterConfig()
        self._ports = ports
        self.points_per_chunk = points_per_chunk

    def _port_index(self) -> PortIndex:
        if self._ports is None:
            from setu.events.ports import load_ports

            self._ports = load_ports()
        return self._ports

    def detect(self, tracks: Tracks) -> list[Event]:
        cfg = self.config
        return self.detect_grid(tracks.resample(cfg.interval_s, cfg.max_interpolation_gap_s).frame)

    def detect_grid(self, grid: pl.DataFrame) -> list[Event]:
        """Encounters in positions already on the encounter grid (a resampled track frame, or
        any frame with mmsi, received_at, lon, lat and speed_knots on common grid times)."""
        if grid.height == 0:
            return []
        points = grid_points(grid)
        candidates = self._candidates(points)
        if candidates.height == 0:
            return []
        return self.report(pair_runs(candidate_pairs(points, candidates, self.config), self.config))

    def report(self, runs: pl.DataFrame) -> list[Event]:
        """Events for the runs (from :func:`pair_runs`) whose mean position is far from ports."""
        if runs.height == 0:
            return []
        index, _distance = self._port_index().nearest(
            runs["lon"].to_numpy(), runs["lat"].to_numpy(), self.config.min_distance_from_port_m
        )
        found = runs.with_columns(pl.Series("_port", index)).filter(pl.col("_port") < 0)
        return [self._event(row) for row in found.iter_rows(named=True)]

    def _candidates(self, points: pl.DataFrame) -> pl.DataFrame:
        """Span (mmsi_a, mmsi_b, start_us, end_us) of every run that may be an encounter,
        pairing ``points`` (sorted by time) one slice of grid times at a time."""
        cfg = self.config
        step_us = round(cfg.interval_s * 1e6)
        open_runs = _empty_summaries()
        kept: list[pl.DataFrame] = []
        for lo, hi in time_slices(points["t_us"].to_numpy(), self.points_per_chunk):
            chunk = points.slice(lo, hi - lo)
            pairs = _pairs_of_points(chunk, cfg.max_distance_m)
            runs = _chain(pl.concat([open_runs, _summaries(pairs, cfg, step_us)]), step_us)
            # a run can go on in the next slice when its next grid time is not before it
            next_t = points["t_us"][hi] if hi < points.height else None
            ongoing = pl.lit(False) if next_t is None else pl.col("end_us") + step_us >= next_t
            open_runs = runs.filter(ongoing)
            kept.append(self._may_be_encounter(runs.filter(~ongoing)))
        return pl.concat(kept).sort(["mmsi_a", "mmsi_b", "start_us"])

    def _may_be_encounter(self, runs: pl.DataFrame) -> pl.DataFrame:
        """The spans of the ended ``runs`` that the exact rules might accept.

        Each test rejects only runs the exact rules reject: the duration is the same integer
        test; a median below the limit needs at least half of a vessel's known speeds below it
        (with fewer, both middle values are at or above the limit, and so is their mean); and a
        mean position within ``min_distance_from_port_m - _PORT_SLACK_M`` of a port is within
        ``min_distance_from_port_m`` when computed exactly (see :data:`_PORT_SLACK_M`).
        """
        cfg = self.config
        slow = pl.lit(True)
        for side in ("a", "b"):
            known, below = pl.col(f"known_{side}"), pl.col(f"slow_{side}")
            slow = slow & (known > 0) & (2 * below >= known)
        long_enough = (pl.col("end_us") - pl.col("start_us")) >= round(cfg.min_duration_s * 1e6)
        runs = runs.filter(long_enough & slow)
        reach_m = cfg.min_distance_from_port_m - _PORT_SLACK_M
        if runs.height and reach_m > 0:
            n = pl.col("samples").cast(pl.Float64)
            mean = runs.select(
                pl.arctan2(pl.col("sin_sum") / n, pl.col("cos_sum") / n).degrees().alias("lon"),
                (pl.col("lat_sum") / n).alias("lat"),
            )
            index, _distance = self._port_index().nearest(
                mean["lon"].to_numpy(), mean["lat"].to_numpy(), reach_m
            )
            runs = runs.filter(pl.Series(index < 0))
        return runs.select(*_PAIR_KEY, "start_us", "end_us")

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


def pair_runs(pairs: pl.DataFrame, config: EncounterConfig) -> pl.DataFrame:
    """Runs of consecutive grid times per vessel pair in ``pairs`` (from :func:`close_pairs`)
    that last long enough at low median speeds, sorted by start and pair."""
    step_us = round(config.interval_s * 1e6)
    ordered = pairs.sort([*_PAIR_KEY, "t_us"]).with_columns(_run_ids("t_us", "t_us", step_us))
    runs = ordered.group_by(*_PAIR_KEY, "run").agg(
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
    limit = config.max_median_speed_knots
    return runs.filter(
        ((pl.col("end_us") - pl.col("start_us")) >= round(config.min_duration_s * 1e6))
        & (pl.col("median_speed_a").fill_null(np.inf) < limit)
        & (pl.col("median_speed_b").fill_null(np.inf) < limit)
    ).sort(["start_us", *_PAIR_KEY])


def _run_ids(start: str, end: str, step_us: int) -> pl.Expr:
    """Run number per row of a frame sorted by pair and time: a new run starts where a row
    begins more than one grid step after the previous row of its pair ends."""
    gap = pl.col(start) - pl.col(end).shift(1).over(_PAIR_KEY)
    return (gap.fill_null(step_us + 1) > step_us).cum_sum().alias("run")


def _summaries(pairs: pl.DataFrame, config: EncounterConfig, step_us: int) -> pl.DataFrame:
    """One summary per run of the pairs of one slice (see :func:`_empty_summaries`)."""
    limit = config.max_median_speed_knots
    ordered = pairs.sort([*_PAIR_KEY, "t_us"]).with_columns(_run_ids("t_us", "t_us", step_us))
    return (
        ordered.group_by(*_PAIR_KEY, "run")
        .agg(
            pl.col("t_us").min().alias("start_us"),
            pl.col("t_us").max().alias("end_us"),
            pl.len().cast(pl.Int64).alias("samples"),
            pl.col("speed_a").is_not_null().sum().cast(pl.Int64).alias("known_a"),
            (pl.col("speed_a") < limit).sum().cast(pl.Int64).alias("slow_a"),
            pl.col("speed_b").is_not_null().sum().cast(pl.Int64).alias("known_b"),
            (pl.col("speed_b") < limit).sum().cast(pl.Int64).alias("slow_b"),
            pl.col("lon").radians().sin().sum().alias("sin_sum"),
            pl.col("lon").radians().cos().sum().alias("cos_sum"),
            pl.col("lat").sum().alias("lat_sum"),
        )
        .drop("run")
        .select(_empty_summaries().columns)
    )


def _empty_summaries() -> pl.DataFrame:
    """Run summaries: pair, first and last grid time, samples, known and slow speeds per vessel,
    and the sums behind the mean position."""
    counts = ("samples", "known_a", "slow_a", "known_b", "slow_b")
    return pl.DataFrame(
        schema={
            "mmsi_a": pl.UInt32,
            "mmsi_b": pl.UInt32,
            "start_us": pl.Int64,
            "end_us": pl.Int64,
            **dict.fromkeys(counts, pl.Int64),
            **dict.fromkeys(("sin_sum", "cos_sum", "lat_sum"), pl.Float64),
        }
    )


def _chain(summaries: pl.DataFrame, step_us: int) -> pl.DataFrame:
    """Summaries of runs that continue one another (one ends a grid step or less before the
    next of the same pair starts) merged into one."""
    ordered = summaries.sort([*_PAIR_KEY, "start_us"]).with_columns(
        _run_ids("start_us", "end_us", step_us)
    )
    totals = [c for c in summaries.columns if c not in (*_PAIR_KEY, "start_us", "end_us")]
    return (
        ordered.group_by(*_PAIR_KEY, "run")
        .agg(pl.col("start_us").min(), pl.col("end_us").max(), pl.col(totals).sum())
        .drop("run")
        .select(summaries.columns)
    )


def time_slices(t_us: np.ndarray, points_per_chunk: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` row ranges of time-sorted ``t_us`` holding about ``points_per_chunk`` rows
    each, cut only between grid times (a time with more rows is a slice of its own)."""
    n = len(t_us)
    out: list[tuple[int, int]] = []
    lo = 0
    while lo < n:
        hi = min(n, lo + points_per_chunk)
        if hi < n:
            hi = int(np.searchsorted(t_us, t_us[hi], side="left"))
            if hi <= lo:
                hi = int(np.searchsorted(t_us, t_us[lo], side="right"))
        out.append((lo, hi))
        lo = hi
    return out


def grid_points(grid: pl.DataFrame) -> pl.DataFrame:
    """The columns pairing reads (t_us, mmsi, lon, lat, speed), sorted by time."""
    return grid.select(
        pl.col("received_at").dt.epoch("us").alias("t_us"),
        pl.col("mmsi").cast(pl.UInt32),
        "lon",
        "lat",
        pl.col("speed_knots").cast(pl.Float64).alias("speed"),
    ).sort("t_us", maintain_order=True)


def candidate_pairs(
    points: pl.DataFrame, candidates: pl.DataFrame, config: EncounterConfig
) -> pl.DataFrame:
    """The :func:`close_pairs` rows of each candidate (mmsi_a, mmsi_b, start_us, end_us): the
    pairing of the grid points of its two vessels over its span (other vessels never change
    the rows of a pair, so these are the rows pairing the whole grid gives)."""
    sides = pl.concat(
        [
            candidates.select(pl.col(f"mmsi_{side}").alias("mmsi"), "start_us", "end_us")
            for side in ("a", "b")
        ]
    )
    own = (
        points.join(sides, on="mmsi")
        .filter(pl.col("t_us").is_between(pl.col("start_us"), pl.col("end_us")))
        .select(points.columns)
        .unique(maintain_order=True)
    )
    rows = _pairs_of_points(own, config.max_distance_m)
    return (
        rows.join(candidates, on=_PAIR_KEY)
        .filter(pl.col("t_us").is_between(pl.col("start_us"), pl.col("end_us")))
        .select(rows.columns)
    )


def close_pair_keys(
    grid: pl.DataFrame, max_distance_m: float, points_per_chunk: int = POINTS_PER_CHUNK
) -> pl.DataFrame:
    """The distinct vessel pairs (mmsi_a < mmsi_b) of :func:`close_pairs`, found one slice of
    grid times at a time (memory: one slice's pairs and the distinct pairs)."""
    points = grid_points(grid)
    found = pl.DataFrame(schema={"mmsi_a": pl.UInt32, "mmsi_b": pl.UInt32})
    for lo, hi in time_slices(points["t_us"].to_numpy(), points_per_chunk):
        pairs = _pairs_of_points(points.slice(lo, hi - lo), max_distance_m)
        found = pl.concat([found, pairs.select(_PAIR_KEY)]).unique()
    return found


def close_pairs(grid: pl.DataFrame, max_distance_m: float) -> pl.DataFrame:
    """Pairs of positions of different MMSIs at the same time within ``max_distance_m``.

    ``grid`` holds time-aligned positions (columns mmsi, received_at, lon, lat, speed_knots).
    Result columns: t_us, mmsi_a < mmsi_b, distance_m, speed_a, speed_b, lon, lat (midpoint).
    """
    return _pairs_of_points(grid_points(grid), max_distance_m)


def _pairs_of_points(points: pl.DataFrame, max_distance_m: float) -> pl.DataFrame:
    """:func:`close_pairs` of :func:`grid_points`."""
    cell_deg = max_distance_m / _M_PER_DEG_LAT
    points = points.with_columns(
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
