"""The scenarios: background traffic of a region plus the behaviours each one injects.

Every scenario is a function of (builder, scale); the seed drives every random choice, so a
(scenario, seed, scale, start) quadruple always produces the same feed byte for byte. ``scale``
multiplies the number of background vessels (and fishing boats).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import shapely

from setu.sim import behaviours as bh
from setu.sim.paths import Paths, join, path_length_m, sea_route
from setu.sim.plans import PlanBuilder
from setu.sim.traffic import Builder, port_position
from setu.sim.world import Actor, Outage
from setu.tracks.geo import KNOT_MS, NM_M

#: Default start of every scenario (a Wednesday in the north-east monsoon season).
DEFAULT_START = datetime(2025, 1, 15, tzinfo=UTC)
_H = 3600.0


@dataclass(frozen=True)
class Scenario:
    """A named scenario: region, length, nominal size and the function that builds it."""

    name: str
    description: str
    region: str
    hours: float
    vessels: int
    build: Callable[[Builder, float], None]


def _n(base: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(base * scale))


def _fleets(b: Builder, grounds: int, per: int, scale: float) -> None:
    for ground in b.region.grounds[:grounds]:
        b.fishing_fleet(ground, _n(per, scale))


def _quiet(b: Builder, scale: float) -> None:
    b.background(_n(140, scale))
    _fleets(b, 5, 4, scale)
    hole = (66.0, 20.5)
    b.fishing_fleet((*hole, 8_000.0), _n(8, scale, 4))
    # a satellite outage over that offshore ground, long enough to open 12 h gaps
    b.outages.append(Outage(*hole, 45_000.0, 5 * _H, 19.5 * _H))
    # a short outage over a lane: silences of 3 h are not events
    b.outages.append(Outage(68.2, 17.8, 60_000.0, 8 * _H, 11 * _H))


def _dark(b: Builder, scale: float) -> None:
    b.background(_n(60, scale))
    _fleets(b, 3, 3, scale)
    j = b.rng.uniform(-0.4, 0.4, 2)
    bh.dark_rendezvous(b, (64.0 + j[0], 16.0 + j[1]), ("INMUN", "YEADE"), ("LKCMB", "OMSOH"))


def _loiterer(b: Builder, scale: float) -> None:
    b.background(_n(60, scale))
    _fleets(b, 3, 3, scale)
    j = b.rng.uniform(-0.05, 0.05, 4)
    bh.loiter(b, (72.0 + j[0], 18.6 + j[1]), "INMUN", "INNSA", float(b.rng.uniform(5.5, 7)) * _H)
    bh.loiter(b, (58.0 + j[2], 18.3 + j[3]), "OMSLL", "OMMCT", float(b.rng.uniform(5.5, 7)) * _H)


def _spoofing(b: Builder, scale: float) -> None:
    b.background(_n(60, scale))
    _fleets(b, 3, 3, scale)
    victim = b.voyage("cargo", "PKKHI", "OMSLL", progress=0.15)
    on = float(b.rng.uniform(4, 7)) * _H
    bh.clone(b, victim, ("INCOK", "MVMLE"), on, on + float(b.rng.uniform(6, 9)) * _H)


def _hra(b: Builder, scale: float) -> None:
    from setu.events.zones import reference_zones

    b.background(_n(60, scale))
    _fleets(b, 3, 3, scale)
    hra = reference_zones(["indian_ocean_hra_2019"])[0].geometry
    for origin, dest in (("INNSA", "DJJIB"), ("INMUN", "YEADE"), ("PKKHI", "DJJIB")):
        path = join(b.berth(origin), sea_route(port_position(origin), port_position(dest)),
                    b.berth(dest))  # fmt: skip
        samples = np.arange(0.0, path_length_m(path), 500.0)
        lon, lat, _ = Paths.build([path]).locate(np.zeros(len(samples), np.int64), samples)
        inside = shapely.contains_xy(hra, lon, lat)
        s_cross = float(samples[int(np.argmax(inside))])
        cruise = b.pool.cruise_knots("cargo")
        t_cross = float(b.rng.uniform(4, 20)) * _H
        depart = t_cross - 2 * NM_M / (5 * KNOT_MS) - (s_cross - 2 * NM_M) / (cruise * KNOT_MS)
        plan = PlanBuilder(t=depart).voyage(path_length_m(path), cruise).hold(1e7)
        vessel = b.pool.vessel("cargo", destination=dest)
        b.actors.append(Actor(vessel, path, plan, normal=False))


def _large(b: Builder, scale: float) -> None:
    b.background(_n(4_700, scale))
    _fleets(b, 10, 30, scale)
    bh.dark_rendezvous(b, (64.0, 16.0), ("INMUN", "YEADE"), ("LKCMB", "OMSOH"))
    bh.loiter(b, (72.0, 18.6), "INMUN", "INNSA", 6 * _H)


def _demo(b: Builder, scale: float) -> None:
    b.background(_n(7, scale))
    b.fishing_fleet(b.region.grounds[0], _n(3, scale))
    bh.meeting(b, (56.8, 25.3), ("AEJEA", "OMMCT"), ("OMSOH", "AEKLF"), arrive=(0.3 * _H, 0.4 * _H),
               part=3.4 * _H)  # fmt: skip
    bh.sudden_stop(b, ("OMMCT", "AEKLF"), port_position("OMSOH"), 1.5 * _H)
    bh.engine_failure(b, ("AEKLF", "OMMCT"), (56.9, 24.6), 1.2 * _H)
    renamed = b.voyage("cargo", "OMSOH", "AEFJR", depart_s=0.1 * _H)
    bh.rename(b, renamed, 1.6 * _H, "MV " + renamed.vessel.name[:17])
    bh.invalid_mmsi(b, ("AEKLF", "AEFJR"), b.duration_s)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("quiet-arabian-sea", "a quiet day of traffic in the Arabian Sea, with a satellite "
                 "outage over an offshore fishing ground and a short one over a lane",
                 "arabian_sea", 24, 180, _quiet),
        Scenario("dark-rendezvous", "two tankers switch AIS off, meet offshore, reappear "
                 "alongside and part", "arabian_sea", 24, 72, _dark),
        Scenario("loiterer", "two ships loiter for hours off Mumbai and off Oman",
                 "arabian_sea", 24, 71, _loiterer),
        Scenario("mmsi-spoofing", "a second ship broadcasts a cargo ship's MMSI and statics",
                 "arabian_sea", 24, 71, _spoofing),
        Scenario("hra-crossing", "ships bound for the Gulf of Aden cross into the Indian Ocean "
                 "High Risk Area", "arabian_sea", 24, 72, _hra),
        Scenario("large", "5,000 vessels over 24 h across the northern Indian Ocean (benchmark)",
                 "indian_ocean", 24, 5_004, _large),
        Scenario("demo", "four hours in the Gulf of Oman: a ship-to-ship transfer, a sudden stop, "
                 "a drifting tanker, a renamed ship, a bad MMSI, port calls and Hormuz crossings",
                 "gulf_of_oman", 4, 15, _demo),
    )
}  # fmt: skip
