"""Ports: the world port list, a spatial index for "distance from port", and port visits.

``searoute`` (Apache-2.0) ships ``searoute/data/ports.geojson``: about 3,900 ports, each a point
with its UN/LOCODE (property ``port``), name and country. :func:`load_ports` reads that file from
the installed package; nothing is typed in by hand. :class:`PortIndex` answers "nearest port
within R metres" for many points at once with a shapely STRtree (candidate search in degrees,
then exact great-circle distances); the other detectors reuse it.

Port visits (:class:`PortVisitDetector`) follow Global Fishing Watch's anchorage events: a vessel
enters a port when it comes within 3 km of it and exits when it is more than 4 km away; inside, it
stops when its speed falls below 0.2 kn and resumes above 0.5 kn. One ``port_visit`` event is
reported per stay, with its stops in the details; a stay still going at the end of the data has
``end=None``. The port of a visit is the one the vessel came closest to. Ports are single points,
so a visit is seen only within 3 km of the port's reference position.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl
import shapely

from setu.errors import StoreError, ValidationError
from setu.events.base import hysteresis, parameters_of, runs, segment_codes, utc_from_us
from setu.events.model import Event, EventType
from setu.tracks.geo import haversine_m

if TYPE_CHECKING:
    from setu.tracks import Tracks

_M_PER_DEG_LAT = 111_132.0  # metres per degree of latitude (mean)

#: Points per nearest-port query: the query makes one GEOS point per position, a few hundred
#: bytes each that the allocator keeps after use (2 GB for every fix of 9 million positions).
_QUERY_POINTS = 250_000


@dataclass(frozen=True)
class Port:
    """One port: UN/LOCODE, name, country and position (WGS84 degrees)."""

    locode: str
    name: str
    country: str
    lon: float
    lat: float


def _read_ports_geojson() -> list[Port]:
    try:
        text = resources.files("searoute").joinpath("data", "ports.geojson").read_text("utf-8")
        features = json.loads(text)["features"]
    except (ModuleNotFoundError, OSError, KeyError, ValueError) as exc:
        raise StoreError(
            f"cannot read the port list from the searoute package: {exc}; install searoute"
        ) from exc
    ports = []
    for feature in features:
        geometry, props = feature.get("geometry") or {}, feature.get("properties") or {}
        if geometry.get("type") != "Point" or not props.get("port"):
            continue
        lon, lat = (float(v) for v in geometry["coordinates"][:2])
        ports.append(
            Port(
                str(props["port"]),
                str(props.get("name") or ""),
                str(props.get("cty") or ""),
                lon,
                lat,
            )
        )
    return ports


class PortIndex:
    """Nearest-port queries over a list of ports."""

    def __init__(self, ports: list[Port]) -> None:
        self.ports: tuple[Port, ...] = tuple(ports)
        self._lon = np.array([p.lon for p in ports], dtype=np.float64)
        self._lat = np.array([p.lat for p in ports], dtype=np.float64)
        self._tree = shapely.STRtree(shapely.points(self._lon, self._lat)) if ports else None

    def __len__(self) -> int:
        return len(self.ports)

    def nearest(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, max_distance_m: float
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """For each point, the index of the nearest port within ``max_distance_m`` (-1 if none)
        and its great-circle distance in metres (inf if none)."""
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if lon_a.size > _QUERY_POINTS:
            parts = [
                self.nearest(
                    lon_a[i : i + _QUERY_POINTS], lat_a[i : i + _QUERY_POINTS], max_distance_m
                )
                for i in range(0, lon_a.size, _QUERY_POINTS)
            ]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        index = np.full(lon_a.shape, -1, dtype=np.int64)
        distance = np.full(lon_a.shape, np.inf)
        if self._tree is None or lon_a.size == 0:
            return index, distance
        cos_lat = np.cos(np.radians(np.minimum(np.abs(lat_a) + 1.0, 89.0)))
        radius_deg = max_distance_m / _M_PER_DEG_LAT / cos_lat * 1.01
        pairs = self._tree.query(
            shapely.points(lon_a, lat_a), predicate="dwithin", distance=radius_deg
        )
        if pairs.shape[1] == 0:
            return index, distance
        pts, cand = pairs[0], pairs[1]
        d = haversine_m(lon_a[pts], lat_a[pts], self._lon[cand], self._lat[cand])
        keep = d <= max_distance_m
        pts, cand, d = pts[keep], cand[keep], d[keep]
        order = np.lexsort((d, pts))
        pts, cand, d = pts[order], cand[order], d[order]
        first = np.ones(len(pts), dtype=bool)
        first[1:] = pts[1:] != pts[:-1]
        index[pts[first]] = cand[first]
        distance[pts[first]] = d[first]
        return index, distance

    def within(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, radius_m: float
    ) -> npt.NDArray[np.bool_]:
        """True for points closer than ``radius_m`` to some port."""
        return self.nearest(lon, lat, radius_m)[1] <= radius_m

    def port_at(self, index: int) -> Port | None:
        return None if index < 0 or math.isnan(index) else self.ports[index]


@lru_cache(maxsize=1)
def load_ports() -> PortIndex:
    """The searoute world port list, indexed (loaded once per process)."""
    return PortIndex(_read_ports_geojson())


@dataclass(frozen=True)
class PortVisitConfig:
    """Parameters of :class:`PortVisitDetector` (defaults: GFW anchorages / port visits)."""

    # GFW port visits: a vessel enters a port when it comes within 3 km of it ...
    entry_distance_m: float = 3_000.0
    # ... and exits when it is more than 4 km away (hysteresis against GPS jitter).
    exit_distance_m: float = 4_000.0
    # GFW port stop: speed falls below 0.2 knots ...
    stop_speed_knots: float = 0.2
    # ... and the stop ends when speed rises above 0.5 knots.
    resume_speed_knots: float = 0.5
    # Report only visits with a stop (GFW's higher-confidence visits); off by default.
    require_stop: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.entry_distance_m <= self.exit_distance_m:
            raise ValidationError("port visits need 0 < entry_distance_m <= exit_distance_m")
        if not 0 <= self.stop_speed_knots <= self.resume_speed_knots:
            raise ValidationError("port stops need 0 <= stop_speed_knots <= resume_speed_knots")


class PortVisitDetector:
    """Entries into, stops at and exits from ports."""

    name = "port_visit"

    def __init__(
        self, config: PortVisitConfig | None = None, *, ports: PortIndex | None = None
    ) -> None:
        self.config = config or PortVisitConfig()
        self._ports = ports

    def detect(self, tracks: Tracks) -> list[Event]:
        cfg = self.config
        ports = self._ports if self._ports is not None else load_ports()
        frame = tracks.frame.filter(~pl.col("interpolated"))
        if frame.height == 0:
            return []
        port, dist = ports.nearest(
            frame["lon"].to_numpy(), frame["lat"].to_numpy(), cfg.exit_distance_m
        )
        seg = segment_codes(frame)
        inside = hysteresis(seg, dist <= cfg.entry_distance_m, dist > cfg.exit_distance_m)
        starts, ends = runs(seg, inside)
        visit = np.full(frame.height, -1, dtype=np.int64)
        for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
            visit[a : b + 1] = k
        speed = frame["speed_knots"].fill_null(np.inf).to_numpy()
        stopped = hysteresis(visit, speed < cfg.stop_speed_knots, speed > cfg.resume_speed_knots)
        final = frame.group_by("mmsi").agg(pl.col("segment_id").sort_by("received_at").last())
        final_row = frame.select(pl.col("segment_id").is_in(final["segment_id"].implode()))
        ctx = _Arrays(
            mmsi=frame["mmsi"].to_numpy(),
            t_us=frame["received_at"].dt.epoch("us").to_numpy(),
            step_s=frame["step_duration_s"].fill_null(0.0).to_numpy(),
            port=port,
            dist=dist,
            stopped=stopped & (visit >= 0),
            seg_first=np.r_[True, seg[1:] != seg[:-1]],
            seg_last=np.r_[seg[1:] != seg[:-1], True],
            final_row=final_row.to_series().to_numpy(),
        )
        visits = [_visit(ctx, ports, int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
        return [self._event(v) for v in visits if v.stops or not cfg.require_stop]

    def _event(self, v: _VisitInfo) -> Event:
        state = "in port" if v.end_us is None else "visited"
        return Event(
            event_type=EventType.PORT_VISIT,
            mmsis=(v.mmsi,),
            start=utc_from_us(v.start_us),
            end=None if v.end_us is None else utc_from_us(v.end_us),
            lon=v.port.lon,
            lat=v.port.lat,
            evidence=(
                f"{state} {v.port.name} ({v.port.locode}), closest {v.min_distance_m:.0f} m, "
                f"{v.stops} stop(s)"
            ),
            details={
                "port_locode": v.port.locode,
                "port_name": v.port.name,
                "port_country": v.port.country,
                "min_distance_m": v.min_distance_m,
                "stops": v.stops,
                "stopped_s": v.stopped_s,
                "entry_observed": v.entry_observed,
                "exit_observed": v.exit_observed,
                "open": v.end_us is None,
            },
            parameters=parameters_of(self.config),
            key=v.port.locode,
        )


@dataclass(frozen=True)
class _VisitInfo:
    mmsi: int
    port: Port
    start_us: int
    end_us: int | None
    min_distance_m: float
    stops: int
    stopped_s: float
    entry_observed: bool
    exit_observed: bool


@dataclass(frozen=True)
class _Arrays:
    """Per-row arrays of the frame a port-visit pass works on."""

    mmsi: npt.NDArray[np.uint32]
    t_us: npt.NDArray[np.int64]
    step_s: npt.NDArray[np.float64]
    port: npt.NDArray[np.int64]
    dist: npt.NDArray[np.float64]
    stopped: npt.NDArray[np.bool_]
    seg_first: npt.NDArray[np.bool_]
    seg_last: npt.NDArray[np.bool_]
    final_row: npt.NDArray[np.bool_]


def _visit(x: _Arrays, ports: PortIndex, a: int, b: int) -> _VisitInfo:
    """The visit made of rows a..b (inclusive) of one segment."""
    rows = slice(a, b + 1)
    nearest_row = a + int(np.argmin(x.dist[rows]))
    stop_rows = np.flatnonzero(x.stopped[rows]) + a
    # time spent stopped: the steps arriving at a stopped fix from a stopped fix
    follows_stop = np.diff(stop_rows, prepend=-2) == 1
    stopped_s = float(x.step_s[stop_rows][follows_stop].sum())
    exit_seen = not x.seg_last[b]
    is_open = bool(x.seg_last[b] and x.final_row[b])
    end_us = int(x.t_us[b + 1]) if exit_seen else (None if is_open else int(x.t_us[b]))
    transitions = np.diff(np.r_[False, x.stopped[rows]].astype(np.int8))
    return _VisitInfo(
        mmsi=int(x.mmsi[a]),
        port=ports.ports[int(x.port[nearest_row])],
        start_us=int(x.t_us[a]),
        end_us=end_us,
        min_distance_m=float(x.dist[nearest_row]),
        stops=int(np.sum(transitions == 1)),
        stopped_s=stopped_s,
        entry_observed=not bool(x.seg_first[a]),
        exit_observed=exit_seen,
    )
