"""Injected behaviours: each builds its actors and writes the truth of what it injected.

Every behaviour is made unambiguous under the detectors' documented definitions, with margins:

- ``dark_rendezvous``: two ships switch AIS off >= 13 h (gap threshold 12 h) hundreds of miles
  offshore (>= 50 nm needed), meet, drift alongside ~90 m apart at 0.4 kn, switch AIS on while
  still alongside and part 3 h later (encounter: >= 2 h within 500 m below 2 kn, >= 10 km from a
  port; the observed slow run stays under the 4 h loitering threshold).
- ``loiter``: a ship slows down in steps (no sudden stop), wanders at 0.6 kn for hours (> 4 h,
  below 1 kn so it cannot count as drift) >= 20 nm from shore and far from ports, then leaves.
- ``clone``: a second ship broadcasts another's MMSI and statics for hours hundreds of km away
  (spoofing: two concurrent tracks, impossible switches).
- ``sudden_stop``: 16 kn to a standstill between two reports, held 20 min, close to a receiver
  (speed drop: > 7 kn to < 1 kn within 30 s, held >= 60 s).
- ``engine_failure``: a >= 50 m ship slows in steps, then drifts beam-on (course 90° off its
  heading) at 2.2 kn for 50 min within dense coverage (drift: 1-5 kn, > 45°, >= 10 min, >= 500 m,
  no silence over 3 min), then resumes.
- ``rename``: a ship underway changes its broadcast name (identity change).
- ``invalid_mmsi``: a transmitter with the placeholder MMSI 123456789 (invalid identity).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from setu.sim.paths import Paths, join, offset_point, path_length_m, sea_route
from setu.sim.plans import UNDER_WAY, PlanBuilder
from setu.sim.traffic import Builder, port_position
from setu.sim.truth import record
from setu.sim.world import Actor
from setu.tracks.geo import KNOT_MS, NM_M

NOT_UNDER_COMMAND = 2  # ITU-R M.1371-5 Table 45
_RAMP_S = 2.5 * NM_M / (6.0 * KNOT_MS) + 0.5 * NM_M / (3.0 * KNOT_MS)


def _locate(path: np.ndarray, s: float) -> tuple[float, float, float]:
    lon, lat, course = Paths.build([path]).locate(np.array([0]), np.array([s]))
    return float(lon[0]), float(lat[0]), float(course[0])


def _cut(path: np.ndarray, s: float) -> np.ndarray:
    """The path up to distance ``s`` (ending exactly there)."""
    p = Paths.build([path])
    keep = p.distance_of_vertices(0) < s
    lon, lat, _ = _locate(path, s)
    return join(path[keep], [[lon, lat]])


def _time_to(distance_m: float, cruise: float) -> float:
    """Seconds a voyage (5 kn for 2 nm, then cruise) takes to cover ``distance_m``."""
    return 2 * NM_M / (5.0 * KNOT_MS) + (distance_m - 2 * NM_M) / (cruise * KNOT_MS)


def _position_at(actor: Actor, t: float) -> tuple[float, float]:
    from setu.sim.plans import Plans

    s = Plans.build([actor.plan]).at(np.array([0]), np.array([t])).s_m
    lon, lat, _ = _locate(actor.path, float(s[0]))
    return lon, lat


def meeting(
    b: Builder, meet: tuple[float, float], a_route: tuple[str, str], b_route: tuple[str, str],
    *, arrive: tuple[float, float], part: float, dark: tuple[float, float, float] | None = None,
) -> None:  # fmt: skip
    """Two ships meet at ``meet`` (arriving at ``arrive``), drift alongside ~90 m apart at
    0.4 kn until ``part``, then sail on. With ``dark = (off_a, off_b, on)`` both switch AIS off
    on the way and on again while alongside (see module docstring)."""
    together = max(arrive)
    heading = float(b.rng.uniform(0, 360))
    drift_m = 0.4 * KNOT_MS * (part - together)
    rad = np.radians(heading)
    actors = []
    for k, (origin, dest) in enumerate((a_route, b_route)):
        side = 90.0 * k
        rx, ry = offset_point(*meet, side * np.cos(rad), -side * np.sin(rad))
        ex, ey = offset_point(rx, ry, drift_m * np.sin(rad), drift_m * np.cos(rad))
        first = join(b.berth(origin), sea_route(port_position(origin), (rx, ry)))
        # part ways at once: 3 nm out on diverging bearings before taking the lanes
        away = np.radians(heading + (60.0 if k else -60.0))
        wx, wy = offset_point(ex, ey, 3 * NM_M * np.sin(away), 3 * NM_M * np.cos(away))
        rest = sea_route((wx, wy), port_position(dest))
        path = join(first, [[ex, ey], [wx, wy]], rest, b.berth(dest))
        cruise = b.pool.cruise_knots("tanker") + 1.5 * k
        s_meet = path_length_m(first)
        if dark is None:  # seen arriving: slow down in steps
            plan = PlanBuilder(t=arrive[k] - _time_to(s_meet - 3 * NM_M, cruise) - _RAMP_S)
            plan.voyage(s_meet, cruise)
        else:  # unseen arriving: straight in
            plan = PlanBuilder(t=arrive[k] - _time_to(s_meet, cruise))
            plan.sail(2 * NM_M, 5.0).sail(s_meet - 2 * NM_M, cruise)
        plan.hold(together, UNDER_WAY).sail_for(part - together, 0.4)
        plan.voyage(path_length_m(path), cruise).hold(1e7)
        silences = () if dark is None else ((dark[k], dark[2]),)
        vessel = b.pool.vessel("tanker", destination=dest)
        actor = Actor(vessel, path, plan, silences=silences, normal=False)
        b.actors.append(actor)
        actors.append(actor)
    behaviour = "sts_transfer" if dark is None else "dark_rendezvous"
    if dark is not None:
        for k, actor in enumerate(actors):
            lon, lat = _position_at(actor, dark[k])
            b.injected.append(record(b.start, "gap", [actor.vessel.mmsi], dark[k], dark[2], lon,
                                     lat, behaviour=behaviour,
                                     silent_s=dark[2] - dark[k]))  # fmt: skip
    mmsis = [a.vessel.mmsi for a in actors]
    b.injected.append(record(b.start, "encounter", mmsis, together, part, *meet,
                             behaviour=behaviour))  # fmt: skip


def dark_rendezvous(
    b: Builder, meet: tuple[float, float], a_route: tuple[str, str], b_route: tuple[str, str],
) -> None:  # fmt: skip
    """Two ships go dark (13-14 h), meet, reappear alongside and part 3 h later."""
    h = 3600.0
    j = float(b.rng.uniform(-0.5, 0.5)) * h
    meeting(b, meet, a_route, b_route, arrive=(10 * h + j, 9 * h + j), part=19 * h + j,
            dark=(2 * h + j, 3 * h + j, 16 * h + j))  # fmt: skip


def loiter(b: Builder, spot: tuple[float, float], origin: str, dest: str, hold_s: float) -> None:
    """A ship that stops offshore and wanders slowly for ``hold_s`` (see module docstring)."""
    arrive_s = float(b.rng.uniform(4, 7)) * 3600.0
    first = join(b.berth(origin), sea_route(port_position(origin), spot))
    wander = [spot]
    speed = 0.6
    need = speed * KNOT_MS * hold_s
    total = 0.0
    while total < need:
        r, a = float(b.rng.uniform(300, 1500)), float(b.rng.uniform(0, 2 * np.pi))
        nxt = offset_point(*spot, r * np.cos(a), r * np.sin(a))
        total += float(np.hypot(*np.subtract(nxt, wander[-1])) * 111_000)
        wander.append(nxt)
    loop = join(np.array(wander))
    end = tuple(loop[-1])
    path = join(first, loop, sea_route(end, port_position(dest)), b.berth(dest))
    cruise = b.pool.cruise_knots("cargo")
    s_spot = path_length_m(first)
    start = arrive_s - _time_to(s_spot - 3 * NM_M, cruise) - _RAMP_S
    plan = PlanBuilder(t=start).voyage(s_spot, cruise)
    slow_from = plan.t
    plan.sail(path_length_m(loop), speed)
    slow_to = plan.t
    plan.voyage(path_length_m(path), cruise).hold(1e7)
    vessel = b.pool.vessel("cargo", destination=dest)
    b.actors.append(Actor(vessel, path, plan, normal=False))
    b.injected.append(record(b.start, "loitering", [vessel.mmsi], slow_from, slow_to, *spot,
                             behaviour="loiter", speed_knots=speed))  # fmt: skip


def clone(b: Builder, victim: Actor, route: tuple[str, str], on_s: float, off_s: float) -> None:
    """Another ship broadcasts ``victim``'s MMSI and statics between ``on_s`` and ``off_s``."""
    clone_actor = b.voyage("cargo", *route, progress=0.15, vessel=victim.vessel)
    clone_actor.active = (on_s, off_s)
    clone_actor.normal = False
    lon, lat = _position_at(clone_actor, on_s)
    b.injected.append(record(b.start, "spoofing", [victim.vessel.mmsi], on_s, off_s, lon, lat,
                             behaviour="cloned_identity"))  # fmt: skip


def _closest_s(path: np.ndarray, point: tuple[float, float]) -> float:
    from setu.tracks.geo import haversine_m

    s = np.arange(0.0, path_length_m(path), 200.0)
    p = Paths.build([path])
    lon, lat, _ = p.locate(np.zeros(len(s), dtype=np.int64), s)
    return float(s[int(np.argmin(haversine_m(lon, lat, *point)))])


def sudden_stop(b: Builder, route: tuple[str, str], near: tuple[float, float], at_s: float) -> None:
    """A 16 kn ship stopping dead near ``near`` at ``at_s`` for 20 minutes."""
    path = join(b.berth(route[0]), sea_route(port_position(route[0]), port_position(route[1])),
                b.berth(route[1]))  # fmt: skip
    s_stop = _closest_s(path, near)
    cruise = 16.0
    plan = PlanBuilder(t=at_s - _time_to(s_stop, cruise)).sail(2 * NM_M, 5.0)
    plan.sail(s_stop - 2 * NM_M, cruise).hold(at_s + 1200.0, NOT_UNDER_COMMAND)
    plan.voyage(path_length_m(path), cruise).hold(1e7)
    vessel = b.pool.vessel("cargo", destination=route[1])
    b.actors.append(Actor(vessel, path, plan, normal=False))
    lon, lat, _ = _locate(path, s_stop)
    b.injected.append(record(b.start, "speed_drop", [vessel.mmsi], at_s, at_s + 1200.0, lon, lat,
                             behaviour="sudden_stop", speed_before_knots=cruise))  # fmt: skip


def engine_failure(
    b: Builder, route: tuple[str, str], near: tuple[float, float], at_s: float
) -> None:  # fmt: skip
    """A tanker losing power near ``near``: steps down, drifts beam-on for 50 min, resumes."""
    full = join(b.berth(route[0]), sea_route(port_position(route[0]), port_position(route[1])))
    s_fail = _closest_s(full, near)
    lon, lat, course = _locate(full, s_fail)
    drift_s, speed = 3000.0, 2.2
    d = speed * KNOT_MS * drift_s
    side = np.radians(course + 90.0)
    end = offset_point(lon, lat, d * np.sin(side), d * np.cos(side))
    head = _cut(full, s_fail)
    path = join(head, [end], sea_route(end, port_position(route[1])), b.berth(route[1]))
    cruise = 13.0
    ramp_from = s_fail - 3 * NM_M
    plan = PlanBuilder(t=at_s - _RAMP_S - _time_to(ramp_from, cruise)).sail(2 * NM_M, 5.0)
    plan.sail(ramp_from - 2 * NM_M, cruise).sail(2.5 * NM_M, 6.0).sail(0.5 * NM_M, 3.0)
    plan.sail_for(drift_s, speed, UNDER_WAY, heading_offset=-90.0)
    plan.voyage(path_length_m(path), cruise).hold(1e7)
    vessel = b.pool.vessel("tanker", destination=route[1])
    b.actors.append(Actor(vessel, path, plan, normal=False))
    t0 = at_s  # the ramp was timed to end, and the drift to begin, at at_s
    b.injected.append(record(b.start, "drift", [vessel.mmsi], t0, t0 + drift_s, lon, lat,
                             behaviour="engine_failure", drift_knots=speed,
                             course_heading_deg=90.0))  # fmt: skip


def rename(b: Builder, actor: Actor, at_s: float, new_name: str) -> None:
    """``actor`` broadcasts ``new_name`` from ``at_s`` (it must be underway then)."""
    actor.vessel = replace(actor.vessel, renames=((at_s, new_name),))
    actor.normal = False
    lon, lat = _position_at(actor, at_s)
    b.injected.append(record(b.start, "identity_change", [actor.vessel.mmsi], at_s, at_s, lon,
                             lat, attribute="ship_name", old=actor.vessel.name,
                             new=new_name))  # fmt: skip


def invalid_mmsi(b: Builder, route: tuple[str, str], duration_s: float) -> None:
    """A small craft whose unconfigured transponder sends MMSI 123456789."""
    actor = b.voyage("pleasure", *route, progress=0.1)
    actor.vessel = replace(actor.vessel, mmsi=123456789)
    actor.normal = False
    lon, lat = _position_at(actor, 0.0)
    b.injected.append(record(b.start, "invalid_identity", [123456789], 0.0, duration_s, lon, lat,
                             reason="mmsi"))  # fmt: skip
