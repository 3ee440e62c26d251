"""Ground truth: every behaviour in the feed that a detector is defined to report.

Two sources:

- *injected* behaviours, written by the scenario as it builds them (a dark period, a meeting, a
  loiter, a cloned identity, ...), with the times it chose;
- *incidental* events of ordinary traffic, computed from the true (noise-free) paths and plans
  under the detectors' documented definitions: zone entries and exits (the straight-in-degrees
  step crossing a reference zone's boundary, as :mod:`setu.events.zones` defines it) and port
  visits (within 3 km of a port to enter, beyond 4 km to leave, as :mod:`setu.events.ports`),
  and coverage holes (an outage of at least the gap threshold over at least three vessels).

A crossing or visit counts only inside the span in which the transmitter was heard (its first to
its last received report): what happened before a vessel was first heard cannot be observed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

if TYPE_CHECKING:
    from setu.sim.emit import Compiled

_F = npt.NDArray[np.float64]
#: Port visit hysteresis and the gap threshold (the detectors' defaults, which cite sources).
PORT_ENTRY_M, PORT_EXIT_M = 3_000.0, 4_000.0
GAP_MIN_S = 12 * 3600.0
_SAMPLE_M = 150.0


def iso(start: datetime, t_s: float | None) -> str | None:
    """ISO-8601 UTC ("...Z") of ``t_s`` seconds after ``start``."""
    if t_s is None:
        return None
    when = start + timedelta(seconds=round(float(t_s), 3))
    return when.isoformat().replace("+00:00", "Z")


def record(
    start: datetime, event_type: str, mmsis: list[int], t0: float, t1: float | None,
    lon: float, lat: float, **details: Any,
) -> dict[str, Any]:  # fmt: skip
    """One truth record in the JSONL format (times as seconds after ``start``)."""
    return {
        "event_type": event_type,
        "mmsi": sorted(int(m) for m in mmsis),
        "start": iso(start, t0),
        "end": iso(start, t1),
        "lon": round(float(lon), 6),
        "lat": round(float(lat), 6),
        "details": details,
    }


def zone_truth(c: Compiled, heard: _F) -> list[dict[str, Any]]:
    """Zone entries and exits of every transmitter inside its heard span."""
    from setu.events.zones import reference_zones

    zones = reference_zones(c.world.zone_names)
    p = c.paths
    n_paths = len(p.first)
    last = np.r_[p.first[1:], len(p.lon)] - 1
    seg = np.setdiff1d(np.arange(len(p.lon) - 1), last)  # segment i: vertex i -> i + 1
    owner = np.searchsorted(p.first, seg, side="right") - 1
    lines = shapely.linestrings(
        np.stack(
            [np.stack([p.lon[seg], p.lat[seg]], 1), np.stack([p.lon[seg + 1], p.lat[seg + 1]], 1)],
            1,
        )
    )
    out: list[dict[str, Any]] = []
    for zone in zones:
        boundary = zone.geometry.boundary
        hit = np.flatnonzero(shapely.intersects(lines, boundary))
        if len(hit) == 0:
            continue
        points = shapely.intersection(lines[hit], boundary)
        coords, index = shapely.get_coordinates(points, return_index=True)
        i = seg[hit][index]
        a = owner[hit][index]
        dx, dy = p.lon[i + 1] - p.lon[i], p.lat[i + 1] - p.lat[i]
        span = np.hypot(dx, dy)
        frac = np.hypot(coords[:, 0] - p.lon[i], coords[:, 1] - p.lat[i]) / np.where(
            span > 0, span, 1
        )
        s = (p.key[i] - a * 1.0e9) + frac * (p.key[i + 1] - p.key[i])
        eps = 1e-7 / np.where(span > 0, span, 1)
        after = shapely.contains_xy(zone.geometry, coords[:, 0] + dx * eps, coords[:, 1] + dy * eps)
        before = shapely.contains_xy(
            zone.geometry, coords[:, 0] - dx * eps, coords[:, 1] - dy * eps
        )
        # a lane through a vertex of the zone meets it at the end of one segment and the
        # start of the next: one crossing
        crossing = np.flatnonzero(after != before)
        _, first = np.unique(np.stack([a[crossing], np.round(s[crossing])], 1), axis=0,
                             return_index=True)  # fmt: skip
        for k in crossing[np.sort(first)]:
            actor = int(a[k])
            t = float(c.plans.time_at_distance(actor, [s[k]])[0])
            if not heard[actor, 0] < t < heard[actor, 1] or actor >= n_paths:
                continue
            out.append(
                record(
                    c.world.start, "zone_entry" if after[k] else "zone_exit",
                    [int(c.mmsi[actor])], t, t, coords[k, 0], coords[k, 1], zone=zone.name,
                )
            )  # fmt: skip
    return out


def _near_port_mask(c: Compiled, lon: _F, lat: _F) -> npt.NDArray[np.bool_]:
    """Cheap prefilter: True where a port may lie within the exit distance."""
    from setu.events.ports import load_ports

    ports = load_ports()
    cell = 0.02
    x0, y0 = float(lon.min()) - 0.1, float(lat.min()) - 0.1
    nx = int((float(lon.max()) + 0.1 - x0) / cell) + 2
    ny = int((float(lat.max()) + 0.1 - y0) / cell) + 2
    grid = np.zeros((ny, nx), dtype=bool)
    px = np.array([pt.lon for pt in ports.ports])
    py = np.array([pt.lat for pt in ports.ports])
    inside = (px > x0) & (px < x0 + nx * cell) & (py > y0) & (py < y0 + ny * cell)
    reach_y = int(np.ceil(PORT_EXIT_M * 1.5 / 111_000 / cell))
    for x, y in zip(px[inside], py[inside], strict=True):
        reach_x = int(np.ceil(reach_y / max(np.cos(np.radians(y)), 0.2)))
        r, col = int((y - y0) / cell), int((x - x0) / cell)
        rs, cs = (
            slice(max(0, r - reach_y), r + reach_y + 1),
            slice(max(0, col - reach_x), col + reach_x + 1),
        )
        grid[rs, cs] = True
    rows = np.clip(((lat - y0) / cell).astype(np.int64), 0, ny - 1)
    cols = np.clip(((lon - x0) / cell).astype(np.int64), 0, nx - 1)
    return np.asarray(grid[rows, cols])


def port_truth(c: Compiled, heard: _F) -> list[dict[str, Any]]:
    """Port visits of every transmitter inside its heard span."""
    from setu.events.base import hysteresis, runs
    from setu.events.ports import load_ports

    ports = load_ports()
    out: list[dict[str, Any]] = []
    for actor in range(len(c.mmsi)):
        t_first, t_last = heard[actor]
        if not np.isfinite(t_first):
            continue
        s0, s1 = c.plans.at(np.array([actor, actor]), np.array([t_first, t_last])).s_m
        s = np.unique(np.r_[np.arange(s0, s1, _SAMPLE_M), s1])
        lon, lat, _ = c.paths.locate(np.full(len(s), actor), s)
        near = _near_port_mask(c, lon, lat)
        if not near.any():
            continue
        index = np.full(len(s), -1, dtype=np.int64)
        dist = np.full(len(s), np.inf)
        index[near], dist[near] = ports.nearest(lon[near], lat[near], PORT_EXIT_M)
        group = np.zeros(len(s), dtype=np.int64)
        inside = hysteresis(group, dist <= PORT_ENTRY_M, dist > PORT_EXIT_M)
        for a, b in zip(*runs(group, inside), strict=True):
            t_in = max(t_first, float(c.plans.time_at_distance(actor, [s[a]])[0]))
            t_out = (
                None if b == len(s) - 1 else float(c.plans.time_at_distance(actor, [s[b + 1]])[0])
            )
            closest = a + int(np.argmin(dist[a : b + 1]))
            port = ports.ports[int(index[closest])]
            out.append(
                record(
                    c.world.start, "port_visit", [int(c.mmsi[actor])], t_in, t_out,
                    port.lon, port.lat, port_locode=port.locode, port_name=port.name,
                )
            )  # fmt: skip
    return out


def hole_truth(c: Compiled, heard: _F) -> list[dict[str, Any]]:
    """Coverage holes long enough to silence at least three heard vessels past the gap
    threshold (shorter outages are not events: the gap detector never sees them)."""
    from setu.sim.reception import in_outage

    out = []
    for o in c.world.outages:
        if o.end_s - o.start_s < GAP_MIN_S:
            continue
        silent = []
        hours = np.arange(o.start_s, o.start_s + GAP_MIN_S + 1, 900.0)
        for actor in range(len(c.mmsi)):
            if not heard[actor, 0] < o.start_s < heard[actor, 1]:
                continue
            st = c.plans.at(np.full(len(hours), actor), hours)
            lon, lat, _ = c.paths.locate(np.full(len(hours), actor), st.s_m)
            if in_outage([o], lon, lat, np.clip(hours, o.start_s, o.end_s - 1)).all():
                silent.append(int(c.mmsi[actor]))
        if len(silent) >= 3:
            out.append(
                record(
                    c.world.start, "coverage_hole", silent, o.start_s, o.end_s, o.lon, o.lat,
                    radius_m=o.radius_m, vessels_silent=len(silent),
                )
            )  # fmt: skip
    return out


def all_truth(c: Compiled, heard: _F) -> list[dict[str, Any]]:
    """Injected plus incidental truth, sorted by start time, type and vessels."""
    records = [
        *c.world.injected,
        *zone_truth(c, heard),
        *port_truth(c, heard),
        *hole_truth(c, heard),
    ]
    return sorted(
        records, key=lambda r: (r["start"], r["event_type"], r["mmsi"], str(r["details"]))
    )
