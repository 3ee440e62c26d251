"""AIS gaps ("going dark") and receiver coverage holes.

Definition (after Global Fishing Watch, pipe-gaps README "Definition of gap"): a *gap* is a pair of
consecutive positions of one MMSI more than ``min_gap_s`` apart (12 h by default). A gap still
open at the end of the data (no position since) is reported with ``end=None`` and
``details["open"] = True``. Only gaps that begin at least ``min_distance_from_shore_m`` from shore
are reported (50 nm: GFW's filter for likely intentional AIS disabling; Welch et al., "Hot spots
of unseen fishing vessels", Science Advances 8, 2022). Set it to 0 to report every gap.

End of the data: an open gap is measured to the end of observation, which one bad fix must not
move (a single message stamped hours ahead would open a false gap for every vessel silent since).
Unless it is given (``data_end``), it is the last fix of the last stretch of the data heard from
at least two vessels, where stretches are split wherever the whole feed is silent for longer
than ``coverage_window_s``; a stretch at the end heard from one vessel alone (an isolated fix,
or a transmitter whose clock runs hours ahead) does not extend it. With a single vessel in the
data, its last fix ends it. Thinning a track for the scale-out keeps every such silence and
every vessel of a stretch, so the end is the same there.

A receiver outage silences every vessel in an area at once; those silences are not the vessels'
doing. Positions are binned into H3 cells (resolution 3, ~12,000 km²) and time windows (1 h). For
the cell and window where a gap begins, the vessels heard in that cell and its six neighbours (so
an outage straddling a cell edge is seen whole) during the window and the windows either side are
counted, and so are those among them whose gaps begin there and then.
When at least ``coverage_min_vessels`` went silent and they are at least
``coverage_min_fraction`` of the vessels heard, a ``coverage_hole`` event is reported for the cell
and the per-vessel gaps it explains are suppressed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import h3
import numpy as np
import polars as pl

from setu.errors import ValidationError
from setu.events.base import parameters_of, utc_from_us
from setu.events.model import Event, EventType
from setu.tracks.geo import KNOT_MS, NM_M, haversine_m

if TYPE_CHECKING:
    from setu.events.shore import ShoreDistance
    from setu.tracks import Tracks


@dataclass(frozen=True)
class GapConfig:
    """Parameters of :class:`GapDetector`."""

    # GFW pipe-gaps default minimum gap, 12 hours.
    min_gap_s: float = 12 * 3600.0
    # GFW "likely disabling" filter: the gap starts >= 50 nm from shore (Welch et al. 2022).
    min_distance_from_shore_m: float = 50 * NM_M
    # H3 resolution 3 (mean cell area ~12,393 km², h3geo.org resolution table): about the
    # footprint of one shore AIS receiver (VHF range 20-40 nm).
    coverage_h3_resolution: int = 3
    # Window in which an outage silences vessels together (setu's own choice).
    coverage_window_s: float = 3600.0
    # At least this many vessels and this share of those heard must fall silent together
    # (setu's own choice).
    coverage_min_vessels: int = 3
    coverage_min_fraction: float = 0.5
    # End of observation; open gaps are measured to it. None: the end of the data, robust to
    # isolated fixes (see the module docstring).
    data_end: datetime | None = None

    def __post_init__(self) -> None:
        if self.min_gap_s <= 0 or self.coverage_window_s <= 0:
            raise ValidationError("gap thresholds must be positive (seconds)")
        if not 0.0 < self.coverage_min_fraction <= 1.0:
            raise ValidationError("coverage_min_fraction must be in (0, 1]")
        if self.data_end is not None and self.data_end.tzinfo is None:
            raise ValidationError("data_end must be timezone-aware UTC")


class GapDetector:
    """Vessels silent longer than a threshold, minus silences explained by coverage holes."""

    name = "gap"

    def __init__(
        self, config: GapConfig | None = None, *, shore: ShoreDistance | None = None
    ) -> None:
        self.config = config or GapConfig()
        self._shore = shore

    def _shore_distance(self) -> ShoreDistance:
        if self._shore is None:
            from setu.events.shore import load_shore

            self._shore = load_shore()
        return self._shore

    def detect(self, tracks: Tracks) -> list[Event]:
        frame = tracks.frame.filter(~pl.col("interpolated")).sort(["mmsi", "received_at"])
        if frame.height == 0:
            return []
        gaps = self._gaps(frame)
        if gaps.height == 0:
            return []
        cells = _cells(frame, self.config)
        gaps, holes = _coverage(gaps, cells, self.config)
        events = [self._hole_event(h) for h in holes]
        vessel_gaps = gaps.filter(~pl.col("explained"))
        if vessel_gaps.height:
            shore = self._shore_distance()
            shore_m = shore.distance_m(vessel_gaps["lon"].to_numpy(), vessel_gaps["lat"].to_numpy())
            vessel_gaps = vessel_gaps.with_columns(pl.Series("shore_m", shore_m)).filter(
                pl.col("shore_m") >= self.config.min_distance_from_shore_m
            )
        events.extend(self._gap_event(g) for g in vessel_gaps.iter_rows(named=True))
        return events

    def _gaps(self, frame: pl.DataFrame) -> pl.DataFrame:
        """One row per gap: off/on times (µs) and positions."""
        window_us = int(self.config.coverage_window_s * 1e6)
        if self.config.data_end is not None:
            end_us = int(pl.Series([self.config.data_end]).dt.epoch("us")[0])
        else:
            end_us = data_end_us(frame, window_us)
        min_us = int(self.config.min_gap_s * 1e6)
        base = frame.select(
            "mmsi",
            pl.col("received_at").dt.epoch("us").alias("t_us"),
            "lon",
            "lat",
            pl.col("received_at").dt.epoch("us").shift(-1).over("mmsi").alias("next_us"),
            pl.col("lon").shift(-1).over("mmsi").alias("next_lon"),
            pl.col("lat").shift(-1).over("mmsi").alias("next_lat"),
        )
        closed = base.filter(
            pl.col("next_us").is_not_null() & (pl.col("next_us") - pl.col("t_us") >= min_us)
        )
        open_ = base.filter(pl.col("next_us").is_null() & (end_us - pl.col("t_us") >= min_us))
        return pl.concat([closed, open_]).with_columns(
            pl.col("next_us").is_null().alias("open"),
            ((pl.col("next_us").fill_null(end_us) - pl.col("t_us")) / 1e6).alias("silent_s"),
        )

    def _gap_event(self, g: dict[str, Any]) -> Event:
        cfg = self.config
        is_open = bool(g["open"])
        silent_s = float(g["silent_s"])
        details: dict[str, Any] = {
            "open": is_open,
            "silent_s": silent_s,
            "distance_from_shore_m": float(g["shore_m"]),
            "off_lon": g["lon"],
            "off_lat": g["lat"],
        }
        if not is_open:
            jump_m = float(haversine_m(g["lon"], g["lat"], g["next_lon"], g["next_lat"]))
            details.update(
                on_lon=g["next_lon"],
                on_lat=g["next_lat"],
                gap_distance_m=jump_m,
                implied_speed_knots=jump_m / silent_s / KNOT_MS,
            )
        state = "still silent" if is_open else "silent"
        return Event(
            event_type=EventType.GAP,
            mmsis=(int(g["mmsi"]),),
            start=utc_from_us(g["t_us"]),
            end=None if is_open else utc_from_us(g["next_us"]),
            lon=float(g["lon"]),
            lat=float(g["lat"]),
            evidence=f"{state} {silent_s / 3600:.1f} h, {g['shore_m'] / NM_M:.0f} nm from shore",
            details=details,
            parameters=parameters_of(cfg),
        )

    def _hole_event(self, h: dict[str, Any]) -> Event:
        lat, lon = h3.cell_to_latlng(str(h["cell"]))
        mmsis = tuple(int(m) for m in h["mmsis"])
        end_us = h["end_us"]
        return Event(
            event_type=EventType.COVERAGE_HOLE,
            mmsis=mmsis,
            start=utc_from_us(h["start_us"]),
            end=None if end_us is None else utc_from_us(end_us),
            lon=float(lon),
            lat=float(lat),
            evidence=(
                f"{len(mmsis)} of {h['heard']} vessels heard in H3 cell {h['cell']} "
                "went silent together"
            ),
            details={
                "h3_cell": h["cell"],
                "h3_resolution": self.config.coverage_h3_resolution,
                "vessels_heard": h["heard"],
                "vessels_silent": len(mmsis),
                "fraction_silent": len(mmsis) / max(1, int(h["heard"])),
            },
            parameters=parameters_of(self.config),
            key=str(h["cell"]),
        )


def data_end_us(frame: pl.DataFrame, window_us: int) -> int:
    """End of observation (µs) of fixes with ``mmsi`` and ``received_at``: the last fix of the
    last stretch heard from two vessels or more; stretches are split by silences of the whole
    feed longer than ``window_us`` (see the module docstring)."""
    ordered = frame.select(pl.col("received_at").dt.epoch("us").alias("t"), "mmsi").sort("t")
    t = ordered["t"].to_numpy()
    mmsi = ordered["mmsi"].to_numpy()
    breaks = np.flatnonzero(np.diff(t) > window_us)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(t) - 1]])
    for start, end in zip(starts[::-1], ends[::-1], strict=True):
        if len(np.unique(mmsi[start : end + 1])) >= 2:
            return int(t[end])
    return int(t[-1])


def _cells(frame: pl.DataFrame, cfg: GapConfig) -> pl.DataFrame:
    """Distinct (mmsi, cell, window) of all fixes; H3 computed once per 0.02° grid point."""
    window_us = int(cfg.coverage_window_s * 1e6)
    coarse = frame.select(
        "mmsi",
        (pl.col("received_at").dt.epoch("us") // window_us).alias("window"),
        (pl.col("lat") * 50).round().alias("qlat"),
        (pl.col("lon") * 50).round().alias("qlon"),
    ).unique()
    points = coarse.select("qlat", "qlon").unique()
    res = cfg.coverage_h3_resolution
    cell = [
        h3.latlng_to_cell(max(-90.0, min(90.0, la / 50)), lo / 50, res)
        for la, lo in zip(points["qlat"].to_list(), points["qlon"].to_list(), strict=True)
    ]
    points = points.with_columns(pl.Series("cell", cell, dtype=pl.String))
    return coarse.join(points, on=["qlat", "qlon"]).select("mmsi", "cell", "window").unique()


def _coverage(
    gaps: pl.DataFrame, cells: pl.DataFrame, cfg: GapConfig
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Mark gaps explained by a coverage hole; return (gaps with ``explained``, holes)."""
    window_us = int(cfg.coverage_window_s * 1e6)
    res = cfg.coverage_h3_resolution
    gaps = gaps.with_columns(
        (pl.col("t_us") // window_us).alias("window"),
        pl.Series(
            "cell",
            [
                h3.latlng_to_cell(la, lo, res)
                for la, lo in zip(gaps["lat"].to_list(), gaps["lon"].to_list(), strict=True)
            ],
            dtype=pl.String,
        ),
    )
    keys = gaps.select("cell", "window").unique()
    disks = pl.DataFrame(
        [(c, n) for c in keys["cell"].unique().to_list() for n in h3.grid_disk(c, 1)],
        schema={"cell": pl.String, "near_cell": pl.String},
        orient="row",
    )
    spread = pl.concat(
        [keys.with_columns((pl.col("window") + d).alias("near")) for d in (-1, 0, 1)]
    ).join(disks, on="cell")
    on = ["near_cell", "near"]
    heard = (
        spread.join(cells.rename({"cell": "near_cell", "window": "near"}), on=on)
        .group_by("cell", "window")
        .agg(pl.col("mmsi").n_unique().alias("heard"))
    )
    silent = (
        spread.join(
            gaps.select(pl.col("cell").alias("near_cell"), pl.col("window").alias("near"), "mmsi"),
            on=on,
        )
        .group_by("cell", "window")
        .agg(pl.col("mmsi").n_unique().alias("silent"))
    )
    verdict = keys.join(heard, on=["cell", "window"], how="left").join(
        silent, on=["cell", "window"], how="left"
    )
    verdict = verdict.with_columns(
        (
            (pl.col("silent") >= cfg.coverage_min_vessels)
            & (pl.col("silent") >= cfg.coverage_min_fraction * pl.col("heard"))
        ).alias("explained")
    )
    gaps = gaps.join(
        verdict.select("cell", "window", "explained", "heard"), on=["cell", "window"], how="left"
    )
    return gaps, _holes(gaps.filter(pl.col("explained")))


def _holes(explained: pl.DataFrame) -> list[dict[str, Any]]:
    """Group explained gaps into holes: gaps starting within 2 windows of each other in the same
    or adjacent cells belong to one hole."""
    rows = explained.sort(["window", "cell", "mmsi"]).to_dicts()
    clusters: list[list[dict[str, Any]]] = []
    for row in rows:
        if clusters and row["window"] - clusters[-1][-1]["window"] <= 2:
            clusters[-1].append(row)
        else:
            clusters.append([row])
    holes = []
    for cluster in clusters:
        for part in _adjacent_groups(cluster):
            ends = sorted(np.inf if r["next_us"] is None else r["next_us"] for r in part)
            median_end = ends[(len(ends) - 1) // 2]
            counts = Counter(r["cell"] for r in part)
            holes.append(
                {
                    "cell": min(counts, key=lambda c: (-counts[c], c)),
                    "start_us": min(r["t_us"] for r in part),
                    "end_us": None if median_end == np.inf else int(median_end),
                    "heard": max(r["heard"] for r in part),
                    "mmsis": sorted({r["mmsi"] for r in part}),
                }
            )
    return holes


def _adjacent_groups(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by connected cells (a cell and its H3 neighbours are connected)."""
    parent = {r["cell"]: r["cell"] for r in rows}

    def root(cell: str) -> str:
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for cell in list(parent):
        for near in h3.grid_disk(cell, 1):
            if near in parent:
                parent[root(near)] = root(cell)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(root(row["cell"]), []).append(row)
    return list(groups.values())
