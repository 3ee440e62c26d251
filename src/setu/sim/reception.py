"""Which transmissions reach the feed, when, and through which receiver.

Transmissions follow ITU-R M.1371-5 Table 1 (Class A) and Table 2 (Class B "CS"):

==========================================  ===============
Class A at anchor or moored, <= 3 kn         3 min
Class A 0-14 kn                              10 s
Class A 14-23 kn                             6 s
Class A > 23 kn                              2 s
Class B CS <= 2 kn                           3 min
Class B CS > 2 kn                            30 s
static data (type 5, type 24 A and B)        6 min
==========================================  ===============

Each transmitter keeps a fixed phase (its slot) within its interval. A transmission is heard by
the nearest terrestrial station with probability ``0.9 * (1 - (d / range)^2)`` at distance ``d``
(VHF reception falls off towards the radio horizon; ranges 15-40 nm), and otherwise by a satellite
with a small fixed probability per transmission (:data:`SATELLITE_P`; satellites hear a crowd of
ships at once and lose most messages to slot collisions, so open-ocean vessels are heard every few
minutes, Class B less often). A station's second-nearest neighbour in range also hears some of the
same transmissions: those are duplicate receptions (same sentence, another ``s:``). Nothing is
heard inside an outage, during a vessel's silences, or outside its active window.

Coverage is looked up on a 0.05° raster of the nearest two stations, built once per world.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from setu.sim.plans import AT_ANCHOR, MOORED
from setu.sim.world import Outage, Station
from setu.tracks.geo import haversine_m

_F = npt.NDArray[np.float64]
_I = npt.NDArray[np.int64]

#: Per-transmission probability that some satellite of the constellation decodes it.
SATELLITE_P = {"A": 0.035, "B": 0.02}
#: Satellite receiver ids used in tag blocks (8 characters, as terrestrial ids).
SATELLITES = tuple(f"SAIS{k:04d}" for k in range(1, 7))
#: Chance that a second terrestrial station in range also forwards a heard message, and that a
#: second satellite does.
DUPLICATE_P = {"terrestrial": 0.35, "satellite": 0.04}
STATIC_INTERVAL_S = 360
_CELL = 0.05


def report_interval_s(
    ais_class: npt.NDArray[np.str_], speed_knots: _F, status: npt.NDArray[np.uint8]
) -> _I:
    """Position reporting interval in seconds (ITU-R M.1371-5 Tables 1 and 2)."""
    moored = np.isin(status, (AT_ANCHOR, MOORED)) & (speed_knots <= 3.0)
    class_a = np.where(
        moored, 180, np.where(speed_knots <= 14.0, 10, np.where(speed_knots <= 23.0, 6, 2))
    )
    class_b = np.where(speed_knots <= 2.0, 180, 30)
    return np.where(ais_class == "A", class_a, class_b).astype(np.int64)


@dataclass(frozen=True)
class Coverage:
    """Raster of the nearest two terrestrial stations and their reception probabilities."""

    lon0: float
    lat0: float
    shape: tuple[int, int]
    p1: npt.NDArray[np.float32]
    p2: npt.NDArray[np.float32]
    st1: npt.NDArray[np.int32]
    st2: npt.NDArray[np.int32]

    @classmethod
    def build(cls, stations: list[Station], bbox: tuple[float, float, float, float]) -> Coverage:
        x0, y0, x1, y1 = bbox
        nx = int(np.ceil((x1 - x0) / _CELL)) + 1
        ny = int(np.ceil((y1 - y0) / _CELL)) + 1
        p1 = np.zeros((ny, nx), np.float32)
        p2 = np.zeros((ny, nx), np.float32)
        st1 = np.full((ny, nx), -1, np.int32)
        st2 = np.full((ny, nx), -1, np.int32)
        for k, st in enumerate(stations):
            reach_y = st.range_m / 111_000.0
            reach_x = reach_y / max(np.cos(np.radians(st.lat)), 0.2)
            i0, i1 = _span(st.lat - reach_y, st.lat + reach_y, y0, ny)
            j0, j1 = _span(st.lon - reach_x, st.lon + reach_x, x0, nx)
            if i0 >= i1 or j0 >= j1:
                continue
            lat = y0 + (np.arange(i0, i1) + 0.5) * _CELL
            lon = x0 + (np.arange(j0, j1) + 0.5) * _CELL
            d = haversine_m(lon[None, :], lat[:, None], st.lon, st.lat)
            p = np.where(d < st.range_m, 0.9 * (1.0 - (d / st.range_m) ** 2), 0.0)
            block = (slice(i0, i1), slice(j0, j1))
            better = p > p1[block]
            second = ~better & (p > p2[block])
            p2[block] = np.where(better, p1[block], np.where(second, p, p2[block]))
            st2[block] = np.where(better, st1[block], np.where(second, k, st2[block]))
            p1[block] = np.where(better, p, p1[block])
            st1[block] = np.where(better, k, st1[block])
        return cls(x0, y0, (ny, nx), p1, p2, st1, st2)

    def lookup(self, lon: _F, lat: _F) -> tuple[_F, _F, _I, _I]:
        """(p1, p2, station1, station2) at each point (0 / -1 outside the raster)."""
        i = np.floor((lat - self.lat0) / _CELL).astype(np.int64)
        j = np.floor((lon - self.lon0) / _CELL).astype(np.int64)
        ok = (i >= 0) & (i < self.shape[0]) & (j >= 0) & (j < self.shape[1])
        i, j = np.where(ok, i, 0), np.where(ok, j, 0)
        zero = np.zeros(len(lon))
        return (
            np.where(ok, self.p1[i, j], zero),
            np.where(ok, self.p2[i, j], zero),
            np.where(ok, self.st1[i, j], -1).astype(np.int64),
            np.where(ok, self.st2[i, j], -1).astype(np.int64),
        )


def _span(lo: float, hi: float, origin: float, n: int) -> tuple[int, int]:
    return max(0, int(np.floor((lo - origin) / _CELL))), min(n, int(np.ceil((hi - origin) / _CELL)))


def in_outage(outages: list[Outage], lon: _F, lat: _F, t_s: _F) -> npt.NDArray[np.bool_]:
    """True where a point at a time lies inside some outage."""
    out = np.zeros(len(lon), dtype=bool)
    for o in outages:
        when = (t_s >= o.start_s) & (t_s < o.end_s)
        if when.any():
            out[when] |= haversine_m(lon[when], lat[when], o.lon, o.lat) <= o.radius_m
    return out
