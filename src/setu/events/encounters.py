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

Work and memory grow with the traffic, not with the square of a port's crowd. Ships moored side
by side in a port form pairs at every grid time, as many as the square of the crowd, and the port
rule rejects all of them. Three things keep the events exactly those of pairing the whole grid at
once while avoiding that:

- *Deep in port.* A grid point within ``0.4 * min_distance_from_port_m`` of a port is "deep" in
  that port's zone (ports closer than twice that plus ``max_distance_m`` share a zone; a zone
  counts only when every point deep in it lies, with margin, within ``min_distance_from_port_m``
  of one of its ports: see :class:`PortZones`). Two deep points are never paired. A run made
  only of such skipped pairs cannot be an encounter: every midpoint, and so the mean position
  (a mean of longitudes and latitudes inside one small box), lies within the port distance. A
  run that mixes skipped and paired samples is seen where a paired stretch begins or ends next
  to a skipped pair (checked from the two vessels' points); every run of such a vessel pair is
  then rebuilt in full. Moored ships are *not* simply dropped: two ships can moor together, sail
  out together and drift far out, and that whole run is one encounter from its first sample.
- *Slices of time.* The grid is paired a slice of time at a time (``points_per_chunk``), and
  each slice's pairs are folded into run summaries (span, sample counts, coordinate sums) that
  are chained across slices; the pairs themselves are dropped with their slice.
- *Candidates.* A run that has ended is kept only when it may still be an encounter (see
  :meth:`EncounterDetector._may_be_encounter`: those tests can only reject runs the exact rules
  reject). Only the candidates' pairs are then rebuilt, by the same :func:`close_pairs` on the
  grid points of their two vessels over their span, and judged by exactly the rules above.

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
from setu.tracks.geo import EARTH_RADIUS_M, haversine_m

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

#: Share of ``min_distance_from_port_m`` within which a grid point is deep in a port (setu's
#: choice: 4 km of the 10 km rule, leaving room for ports a few km apart to share a zone).
_DEEP_SHARE = 0.4


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
        self._zones: PortZones | None = None
        self.points_per_chunk = points_per_chunk

    def _port_index(self) -> PortIndex:
        if self._ports is None:
            from setu.events.ports import load_ports

            self._ports = load_ports()
        return self._ports

    def _port_zones(self) -> PortZones:
        if self._zones is None:
            self._zones = PortZones.of(self._port_index(), self.config)
        return self._zones

    def detect(self, tracks: Tracks) -> list[Event]:
        cfg = self.config
        return self.detect_grid(tracks.resample(cfg.interval_s, cfg.max_interpolation_gap_s).frame)

    def detect_grid(self, grid: pl.DataFrame) -> list[Event]:
        """Encounters in positions already on the encounter grid (a resampled track frame, or
        any frame with mmsi, received_at, lon, lat and speed_knots on common grid times)."""
        if grid.height == 0:
            return []
        points = self.zoned_points(grid)
        candidates, mixed = self._candidates(points)
        if mixed.height:  # every run of these pairs, rebuilt whole (see the module docstring)
            t_us = points["t_us"]
            span = [pl.lit(t_us.min(), pl.Int64).alias("start_us")]
            span.append(pl.lit(t_us.max(), pl.Int64).alias("end_us"))
            candidates = pl.concat([candidates, mixed.with_columns(span)])
        if candidates.height == 0:
            return []
        return self.report(pair_runs(candidate_pairs(points, candidates, self.config), self.config))

    def zoned_points(self, grid: pl.DataFrame) -> pl.DataFrame:
        """:func:`grid_points` with the port ``zone`` each point is deep in (-1: none)."""
        points = grid_points(grid)
        zone = self._port_zones().zone_of(points["lon"].to_numpy(), points["lat"].to_numpy())
        return points.with_columns(pl.Series("zone", zone, dtype=pl.Int64))

    def report(self, runs: pl.DataFrame) -> list[Event]:
        """Events for the runs (from :func:`pair_runs`) whose mean position is far from ports."""
        if runs.height == 0:
            return []
        index, _distance = self._port_index().nearest(
            runs["lon"].to_numpy(), runs["lat"].to_numpy(), self.config.min_distance_from_port_m
        )
        found = runs.with_columns(pl.Series("_port", index)).filter(pl.col("_port") < 0)
        return [self._event(row) for row in found.iter_rows(named=True)]

    def _candidates(self, points: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Span (mmsi_a, mmsi_b, start_us, end_us) of every run that may be an encounter, and
        the vessel pairs (mmsi_a, mmsi_b) with a run that mixes paired and skipped samples,
        pairing ``points`` (sorted by time, with their port ``zone``) a slice at a time."""
        cfg = self.config
        step_us = round(cfg.interval_s * 1e6)
        t_all = points["t_us"].to_numpy()
        open_runs = _empty_summaries()
        kept: list[pl.DataFrame] = []
        mixed: list[pl.DataFrame] = [pl.DataFrame(schema=dict.fromkeys(_PAIR_KEY, pl.UInt32))]
        for lo, hi in time_slices(t_all, self.points_per_chunk):
            chunk = points.slice(lo, hi - lo)
            fresh = _summaries(_pairs_of_points(chunk, cfg.max_distance_m, True), cfg, step_us)
            back = int(np.searchsorted(t_all, t_all[lo] - step_us))  # the grid time before
            before = _skipped(points.slice(back, hi - back), fresh, "start_us", -step_us, cfg)
            runs = _chain(pl.concat([open_runs, fresh.with_columns(before)]), step_us)
            # a run can go on in the next slice when its next grid time is not before it
            next_t = t_all[hi] if hi < len(t_all) else None
            ongoing = pl.lit(False) if next_t is None else pl.col("end_us") + step_us >= next_t
            open_runs = runs.filter(ongoing)
            ended = runs.filter(~ongoing)
            ended = ended.with_columns(_skipped(chunk, ended, "end_us", step_us, cfg))
            mixed.append(ended.filter(pl.col("skip_before") | pl.col("skip_after"))[_PAIR_KEY])
            kept.append(self._may_be_encounter(ended))
        pairs = pl.concat(mixed).unique()
        spans = pl.concat(kept).join(pairs, on=_PAIR_KEY, how="anti")
        return spans.sort([*_PAIR_KEY, "start_us"]), pairs

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
        .with_columns(pl.lit(False).alias("skip_before"))
        .select(_empty_summaries().columns)
    )


def _empty_summaries() -> pl.DataFrame:
    """Run summaries: pair, first and last grid time, samples, known and slow speeds per vessel,
    the sums behind the mean position, and whether a skipped pair precedes the run."""
    counts = ("samples", "known_a", "slow_a", "known_b", "slow_b")
    return pl.DataFrame(
        schema={
            "mmsi_a": pl.UInt32,
            "mmsi_b": pl.UInt32,
            "start_us": pl.Int64,
            "end_us": pl.Int64,
            **dict.fromkeys(counts, pl.Int64),
            **dict.fromkeys(("sin_sum", "cos_sum", "lat_sum"), pl.Float64),
            "skip_before": pl.Boolean,
        }
    )


def _chain(summaries: pl.DataFrame, step_us: int) -> pl.DataFrame:
    """Summaries of runs that continue one another (one ends a grid step or less before the
    next of the same pair starts) merged into one."""
    ordered = summaries.sort([*_PAIR_KEY, "start_us"]).with_columns(
        _run_ids("start_us", "end_us", step_us)
    )
    fixed = (*_PAIR_KEY, "start_us", "end_us", "skip_before")
    totals = [c for c in summaries.columns if c not in fixed]
    return (
        ordered.group_by(*_PAIR_KEY, "run")
        .agg(
            pl.col("start_us").min(),
            pl.col("end_us").max(),
            pl.col(totals).sum(),
            pl.col("skip_before").sort_by("start_us").first(),  # of the earliest piece
        )
        .drop("run")
        .select(summaries.columns)
    )


def _skipped(
    window: pl.DataFrame, runs: pl.DataFrame, column: str, offset_us: int, config: EncounterConfig
) -> pl.Series:
    """Per run, whether its two vessels form a skipped pair (both deep in a port, within
    ``max_distance_m``, by the distance pairing computes) at ``column + offset_us``, judged on
    the points of ``window``: ``skip_before`` for a negative offset, else ``skip_after``."""
    name = "skip_before" if offset_us < 0 else "skip_after"
    deep = window.filter(pl.col("zone") >= 0).select("t_us", "mmsi", "lon", "lat")
    if runs.height == 0 or deep.height == 0:
        return pl.Series(name, [False] * runs.height, dtype=pl.Boolean)
    asked = runs.select(*_PAIR_KEY, (pl.col(column) + offset_us).alias("t_us")).with_row_index()
    both = asked
    for side in ("a", "b"):
        names = {c: f"{c}_{side}" for c in ("mmsi", "lon", "lat")}
        both = both.join(deep.rename(names), on=["t_us", f"mmsi_{side}"])
    distance = haversine_expr(pl.col("lon_a"), pl.col("lat_a"), pl.col("lon_b"), pl.col("lat_b"))
    hits = both.filter(distance <= config.max_distance_m)["index"]
    return asked.select(pl.col("index").is_in(hits.implode()).alias(name)).to_series()


@dataclass(frozen=True)
class PortZones:
    """Which grid points are deep in a port, so that two of them need not be paired.

    A point is deep when it lies within ``radius_m`` (``0.4 * min_distance_from_port_m``) of a
    port. Ports closer together than ``2 * radius_m + max_distance_m`` share a zone, so two
    deep points close enough to pair are deep in the same zone. A zone counts (``zone`` >= 0 for
    its ports) only when one of its ports, the anchor, has every point deep in the zone within
    the box of latitudes and longitudes that a distance ``rho`` (farthest port of the zone +
    ``radius_m``) allows, and every point of that box lies within
    ``min_distance_from_port_m - _PORT_SLACK_M`` of the anchor. Midpoints of deep points, and
    means of midpoints (a mean of latitudes; a circular mean of longitudes inside an arc under a
    right angle), stay in the box; so a run of skipped pairs always fails the port rule.
    """

    ports: PortIndex
    radius_m: float
    zone: np.ndarray

    @classmethod
    def of(cls, ports: PortIndex, config: EncounterConfig) -> PortZones:
        radius = _DEEP_SHARE * config.min_distance_from_port_m
        n = len(ports)
        if n == 0 or radius <= 0:
            return cls(ports, 0.0, np.full(n, -1, dtype=np.int64))
        lon = np.array([p.lon for p in ports.ports])
        lat = np.array([p.lat for p in ports.ports])
        parent = np.arange(n)

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = int(parent[i])
            return i

        link = 2 * radius + config.max_distance_m
        order = np.argsort(lat)
        band = math.degrees(link / EARTH_RADIUS_M)
        for k, i in enumerate(order):
            j = order[k + 1 : int(np.searchsorted(lat[order], lat[i] + band, side="right"))]
            for other in j[haversine_m(lon[i], lat[i], lon[j], lat[j]) <= link]:
                parent[root(int(other))] = root(int(i))
        zone = np.array([root(i) for i in range(n)], dtype=np.int64)
        limit = config.min_distance_from_port_m - _PORT_SLACK_M
        for z in np.unique(zone):
            members = np.flatnonzero(zone == z)
            spread = haversine_m(
                lon[members][:, None], lat[members][:, None], lon[members], lat[members]
            ).max(axis=1)
            anchor = int(np.argmin(spread))
            if _box_reach_m(lat[members][anchor], spread[anchor] + radius) > limit:
                zone[members] = -1
        return cls(ports, radius, zone)

    def zone_of(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The zone each point is deep in, or -1."""
        if self.radius_m <= 0 or not (self.zone >= 0).any():
            return np.full(len(lon), -1, dtype=np.int64)
        index, _distance = self.ports.nearest(lon, lat, self.radius_m)
        return np.where(index >= 0, self.zone[np.maximum(index, 0)], -1)


def _box_reach_m(lat_deg: float, rho_m: float) -> float:
    """The farthest a point can be from a point P at latitude ``lat_deg`` when its latitude is
    within ``rho_m / R`` of P's and its longitude within the bound that a great-circle distance
    ``rho_m`` implies (haversine: sin(dlon / 2) <= sin(rho / 2R) / cos(the box's polar edge));
    infinite when the box reaches a pole or spans a right angle of longitude."""
    dphi = rho_m / EARTH_RADIUS_M
    phi = math.radians(abs(lat_deg))
    cos_far, half = math.cos(min(phi + dphi, math.pi / 2)), math.sin(dphi / 2)
    if cos_far <= half or 2 * math.asin(half / cos_far) >= math.pi / 4:
        return math.inf
    dlon = 2 * math.asin(half / cos_far)
    cos_near = math.cos(max(0.0, phi - dphi))
    hav = math.sin(dphi / 2) ** 2 + math.cos(phi) * cos_near * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, hav)))


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
    """The :func:`close_pairs` rows of each candidate (mmsi_a, mmsi_b, start_us, end_us): its
    two vessels' grid points at the same times within its span, compared directly (work
    linear in the candidates' points; binning only ever saves comparisons, so these are the
    rows pairing the whole grid gives). Spans of one vessel pair must not overlap."""
    columns = ["t_us", "mmsi", "lon", "lat", "speed"]
    first = candidates.join(points.select(columns), left_on="mmsi_a", right_on="mmsi").filter(
        pl.col("t_us").is_between(pl.col("start_us"), pl.col("end_us"))
    )
    second = points.select(columns).rename({c: f"{c}_b" for c in ("mmsi", "lon", "lat", "speed")})
    joined = first.join(second, on=["mmsi_b", "t_us"]).rename({"mmsi_a": "mmsi"})
    return _close_rows(joined, config.max_distance_m)


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


def _pairs_of_points(
    points: pl.DataFrame, max_distance_m: float, skip_deep: bool = False
) -> pl.DataFrame:
    """:func:`close_pairs` of :func:`grid_points`; with ``skip_deep``, without the pairs of two
    points deep in a port (``zone`` >= 0; two such points that close share their zone)."""
    cell_deg = max_distance_m / _M_PER_DEG_LAT
    points = points.with_columns(
        (pl.col("lat") / cell_deg).floor().cast(pl.Int64).alias("cy"),
        ((pl.col("lon") + 180.0) / cell_deg).floor().cast(pl.Int64).alias("cx"),
    )
    if not skip_deep:
        points = points.with_columns(pl.lit(-1, pl.Int64).alias("zone"))
    probes = _probes(points, cell_deg)
    other = points.select(
        "t_us",
        pl.col("cy").alias("ny"),
        pl.col("cx").alias("nx"),
        pl.col("mmsi").alias("mmsi_b"),
        pl.col("lon").alias("lon_b"),
        pl.col("lat").alias("lat_b"),
        pl.col("speed").alias("speed_b"),
        pl.col("zone").alias("zone_b"),
    )
    key = ["t_us", "ny", "nx"]
    joined = pl.concat(
        [
            probes.join(other.filter(pl.col("zone_b") < 0), on=key),
            probes.filter(pl.col("zone") < 0).join(other.filter(pl.col("zone_b") >= 0), on=key),
        ]
    ).filter(pl.col("mmsi") < pl.col("mmsi_b"))
    return _close_rows(joined, max_distance_m)


def _close_rows(joined: pl.DataFrame, max_distance_m: float) -> pl.DataFrame:
    """Rows (the :func:`close_pairs` columns) of the compared positions (mmsi, lon, lat, speed
    of the lower MMSI; mmsi_b, lon_b, lat_b, speed_b) within ``max_distance_m``."""
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
            "zone",
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
