"""Background traffic: regions, receivers, voyages between real ports and fishing fleets.

Ports are searoute's world port list (UN/LOCODE), as the port-visit detector uses. Each region
names its main ports with a weight (busier ports see more departures and arrivals), a few
fishing grounds (hand-picked offshore points, 26-190 nm from shore on the GLOBE mask, checked by
the tests) and its receivers: one terrestrial station at each main port (40 nm range: a tall
mast at a major port) and one at every other port of the list in the region (15 nm: a harbour
receiver).

A voyage vessel berths within 1.5 km of its port, follows the searoute lane to its destination
and berths there; it is caught at a random point of its voyage (some are still alongside at the
start, some have already arrived). A fishing boat trawls a random pattern of 4-8 km legs inside
its ground at trawling speed all day, reporting navigational status 7 (engaged in fishing).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from setu.sim.fleet import VOYAGE_MIX, IdentityPool, Vessel
from setu.sim.paths import join, offset_point, path_length_m, sea_route
from setu.sim.plans import FISHING, MOORED, PlanBuilder
from setu.sim.world import Actor, Outage, Station, World
from setu.tracks.geo import KNOT_MS, NM_M, haversine_m


@dataclass(frozen=True)
class Region:
    """An area of operations: bounding box (lon0, lat0, lon1, lat1), weighted main ports
    (UN/LOCODE), fishing grounds (lon, lat, radius_m)."""

    bbox: tuple[float, float, float, float]
    ports: dict[str, float]
    grounds: tuple[tuple[float, float, float], ...]


REGIONS: dict[str, Region] = {
    "arabian_sea": Region(
        (42.0, 0.0, 78.5, 27.5),
        {"INNSA": 3, "INBOM": 2, "INMUN": 3, "INIXY": 2, "INPAV": 1, "INMRM": 1, "INCOK": 2,
         "PKKHI": 3, "PKBQM": 1, "OMSLL": 3, "OMMCT": 1, "OMSOH": 1, "AEFJR": 2, "AEKLF": 2,
         "YEADE": 1, "DJJIB": 2, "LKCMB": 3, "MVMLE": 1, "INTUT": 1},
        ((69.0, 20.5, 10_000.0), (72.4, 17.0, 8_000.0), (75.2, 9.6, 10_000.0),
         (66.3, 24.0, 8_000.0), (59.3, 20.0, 8_000.0), (66.0, 20.5, 10_000.0)),
    ),
    "indian_ocean": Region(
        (38.0, -12.0, 105.0, 27.5),
        {"INNSA": 3, "INBOM": 2, "INMUN": 3, "INIXY": 2, "INPAV": 1, "INMRM": 1, "INCOK": 2,
         "PKKHI": 3, "PKBQM": 1, "OMSLL": 3, "OMMCT": 1, "OMSOH": 1, "AEFJR": 2, "AEKLF": 2,
         "YEADE": 1, "DJJIB": 2, "LKCMB": 4, "MVMLE": 1, "INTUT": 1, "INMAA": 3, "INVTZ": 2,
         "INHAL": 2, "BDCGP": 2, "SGSIN": 5, "MYPKG": 4, "KEMBA": 2, "TZDAR": 1, "MUPLU": 1,
         "MMRGN": 1},
        ((69.0, 20.5, 10_000.0), (72.4, 17.0, 8_000.0), (75.2, 9.6, 10_000.0),
         (77.3, 7.4, 8_000.0), (66.3, 24.0, 8_000.0), (59.3, 20.0, 8_000.0),
         (86.9, 19.4, 10_000.0), (82.2, 8.2, 8_000.0), (66.0, 20.5, 10_000.0),
         (70.5, 14.0, 10_000.0)),
    ),
    "gulf_of_oman": Region(
        (54.5, 22.5, 60.0, 27.5),
        {"AEFJR": 3, "AEKLF": 3, "OMSOH": 2, "OMMCT": 2, "AEJEA": 2, "IRBND": 1},
        ((57.5, 24.9, 5_000.0),),
    ),
}  # fmt: skip


@lru_cache(maxsize=1)
def _port_table() -> dict[str, tuple[float, float, str]]:
    from setu.events.ports import load_ports

    table: dict[str, tuple[float, float, str]] = {}
    for port in load_ports().ports:
        table.setdefault(port.locode, (port.lon, port.lat, port.name))
    return table


def port_position(locode: str) -> tuple[float, float]:
    """(lon, lat) of a port of searoute's list, by UN/LOCODE."""
    lon, lat, _name = _port_table()[locode]
    return lon, lat


def port_name(locode: str) -> str:
    return _port_table()[locode][2]


def stations_for(region: Region, bbox: tuple[float, float, float, float]) -> list[Station]:
    """Terrestrial receivers of a region inside ``bbox`` (see the module docstring)."""
    from setu.events.ports import load_ports

    x0, y0, x1, y1 = bbox
    out = []
    for port in load_ports().ports:
        if not (x0 <= port.lon <= x1 and y0 <= port.lat <= y1):
            continue
        main = port.locode in region.ports
        reach = (40.0 if main else 15.0) * NM_M
        name = (port.locode + ("001" if main else "002"))[:8].ljust(8, "0")
        out.append(Station(name, port.lon, port.lat, reach))
    return out


@dataclass
class Builder:
    """Collects the actors and injected truth of one scenario run."""

    scenario: str
    seed: int
    start: datetime
    duration_s: float
    region: Region
    rng: np.random.Generator = field(init=False)
    pool: IdentityPool = field(init=False)
    actors: list[Actor] = field(default_factory=list)
    injected: list[dict[str, Any]] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 1])
        self.pool = IdentityPool(np.random.default_rng([self.seed, 2]))

    def world(self) -> World:
        verts = np.vstack([a.path for a in self.actors])
        bbox = (
            float(verts[:, 0].min()) - 1.0, float(verts[:, 1].min()) - 1.0,
            float(verts[:, 0].max()) + 1.0, float(verts[:, 1].max()) + 1.0,
        )  # fmt: skip
        return World(
            scenario=self.scenario, seed=self.seed, start=self.start, duration_s=self.duration_s,
            actors=self.actors, stations=stations_for(self.region, bbox), outages=self.outages,
            injected=self.injected,
        )  # fmt: skip

    def berth(self, locode: str) -> tuple[float, float]:
        lon, lat = port_position(locode)
        r = float(self.rng.uniform(300.0, 1500.0))
        a = float(self.rng.uniform(0, 2 * np.pi))
        return offset_point(lon, lat, r * np.cos(a), r * np.sin(a))

    def pick_port(self, exclude: str = "") -> str:
        names = [p for p in self.region.ports if p != exclude]
        weights = np.array([self.region.ports[p] for p in names], dtype=float)
        return str(self.rng.choice(names, p=weights / weights.sum()))

    def near_port(self, origin: str, max_km: float) -> str | None:
        ox, oy = port_position(origin)
        names = [
            p for p in self.region.ports
            if p != origin and haversine_m(ox, oy, *port_position(p)) <= max_km * 1000
        ]  # fmt: skip
        return str(self.rng.choice(names)) if names else None

    def eta(self, t_s: float) -> datetime:
        return self.start + timedelta(seconds=float(t_s))

    def voyage(
        self, kind: str, origin: str, destination: str, *, progress: float | None = None,
        depart_s: float | None = None, cruise: float | None = None, vessel: Vessel | None = None,
    ) -> Actor:  # fmt: skip
        """A vessel berthed at ``origin`` sailing to ``destination``: departing at ``depart_s``
        or caught at ``progress`` (fraction of the voyage done at the start; may be < 0 or > 1).
        """
        lane = sea_route(port_position(origin), port_position(destination))
        path = join(self.berth(origin), lane, self.berth(destination))
        length = path_length_m(path)
        speed = cruise or self.pool.cruise_knots(kind)
        duration = length / (speed * KNOT_MS) + 1800.0
        t_dep = depart_s if depart_s is not None else -float(progress or 0.0) * duration
        plan = PlanBuilder(t=t_dep).voyage(length, speed).hold(t_dep + duration * 3 + 2e6, MOORED)
        arrive = plan.knots_t[-2]
        base = vessel or self.pool.vessel(kind, destination=port_name(destination))
        if vessel is None:
            base = replace(base, eta=self.eta(arrive).replace(second=0, microsecond=0))
        actor = Actor(base, path, plan)
        self.actors.append(actor)
        return actor

    def background(self, n: int) -> None:
        """``n`` voyage vessels of the traffic mix between the region's ports."""
        kinds = list(VOYAGE_MIX)
        shares = np.array([VOYAGE_MIX[k] for k in kinds])
        for _ in range(n):
            kind = str(self.rng.choice(kinds, p=shares / shares.sum()))
            origin = self.pick_port()
            short = kind in ("passenger", "tug", "pleasure")
            dest = self.near_port(origin, 450.0) if short else self.pick_port(exclude=origin)
            if dest is None:
                kind, dest = "cargo", self.pick_port(exclude=origin)
            self.voyage(kind, origin, dest, progress=float(self.rng.uniform(-0.25, 1.15)))

    def fishing_fleet(self, ground: tuple[float, float, float], n: int) -> list[Actor]:
        """``n`` trawlers working one ground for the whole run."""
        out = []
        for _ in range(n):
            kind = "fishing_a" if self.rng.random() < 0.3 else "fishing"
            vessel = self.pool.vessel(kind, mid=419 if ground[0] > 64 else 461)
            path = self.trawl_pattern(ground)
            speed = self.pool.cruise_knots(kind)
            plan = PlanBuilder(t=-7200.0).sail(path_length_m(path) - 1.0, speed, FISHING)
            actor = Actor(vessel, path, plan)
            self.actors.append(actor)
            out.append(actor)
        return out

    def trawl_pattern(self, ground: tuple[float, float, float]) -> np.ndarray:
        """Waypoints inside the ground: long enough for the run at trawling speed."""
        lon, lat, radius = ground
        need = (self.duration_s + 4 * 3600) * 5.0 * KNOT_MS
        points = [offset_point(lon, lat, *self._in_disc(radius))]
        total = 0.0
        while total < need:
            nxt = offset_point(lon, lat, *self._in_disc(radius))
            leg = float(haversine_m(points[-1][0], points[-1][1], nxt[0], nxt[1]))
            if leg < 3_000.0:
                continue
            points.append(nxt)
            total += leg
        return join(np.array(points))

    def _in_disc(self, radius: float) -> tuple[float, float]:
        r = radius * np.sqrt(float(self.rng.random()))
        a = float(self.rng.uniform(0, 2 * np.pi))
        return r * np.cos(a), r * np.sin(a)
