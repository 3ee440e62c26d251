"""Turning a world into NMEA lines, one hour of traffic at a time.

For every hour: the state of every transmitter at each minute decides its reporting interval and
its coverage (:mod:`setu.sim.reception`); its transmission slots in that minute are drawn against
the reception probabilities; the heard reports get their exact true state at the slot time, GNSS
noise, reported speed/course/heading noise, and are encoded (types 1/3 for Class A, 18 for
Class B; statics as type 5 or type 24 A/B every 6 minutes) with an IEC 61162-450 tag block
``\\s:<receiver>,c:<unix seconds>*hh\\``. Lines of the hour are ordered by time.

GNSS noise is correlated in time, as real receiver error is (a slowly wandering offset of a few
metres, Class B units' twice Class A's), so consecutive fixes do not zig-zag across a boundary.
Reported SOG carries ±0.1 kn noise, COG ±0.8°, heading ±1° (Class B CS units do not report
heading, 511).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from setu.ais.encode import Lines, encode_nmea
from setu.sim.paths import Paths, offset_point
from setu.sim.plans import Plans
from setu.sim.reception import (
    DUPLICATE_P,
    SATELLITE_P,
    SATELLITES,
    STATIC_INTERVAL_S,
    Coverage,
    in_outage,
    report_interval_s,
)
from setu.sim.world import World

_F = npt.NDArray[np.float64]
_I = npt.NDArray[np.int64]
CHUNK_S = 3600.0
_TWO_PI = 2.0 * np.pi


@dataclass
class EmitStats:
    """Counts of what was generated."""

    messages: dict[str, int] = field(default_factory=dict)
    sentences: int = 0
    duplicates: int = 0
    bytes: int = 0
    first_heard: _F = field(default_factory=lambda: np.empty(0))
    last_heard: _F = field(default_factory=lambda: np.empty(0))

    def add(self, kind: str, n: int) -> None:
        self.messages[kind] = self.messages.get(kind, 0) + n


@dataclass(frozen=True)
class Compiled:
    """A world as arrays (one row per actor)."""

    world: World
    paths: Paths
    plans: Plans
    coverage: Coverage
    stations: tuple[str, ...]  # terrestrial then satellites
    n_terrestrial: int
    mmsi: _I
    is_a: npt.NDArray[np.bool_]
    ais_class: npt.NDArray[np.str_]
    phase: _I
    static_phase: _I
    noise: _F  # (n, 5): amplitude m, four phases
    type3: npt.NDArray[np.bool_]  # ITDMA unit (sends type 3)
    rot_ok: npt.NDArray[np.bool_]
    accuracy: npt.NDArray[np.bool_]
    active: _F  # (n, 2)


def compile_world(world: World) -> Compiled:
    rng = np.random.default_rng([world.seed, 7001])
    actors = world.actors
    n = len(actors)
    paths = Paths.build([a.path for a in actors])
    plans = Plans.build([a.plan for a in actors])
    margin = 1.0
    bbox = (
        float(paths.lon.min()) - margin, float(paths.lat.min()) - margin,
        float(paths.lon.max()) + margin, float(paths.lat.max()) + margin,
    )  # fmt: skip
    coverage = Coverage.build(world.stations, bbox)
    is_a = np.array([a.vessel.ais_class == "A" for a in actors])
    noise = np.column_stack([np.where(is_a, 4.0, 8.0), rng.uniform(0, _TWO_PI, size=(n, 4))])
    return Compiled(
        world=world, paths=paths, plans=plans, coverage=coverage,
        stations=tuple(s.name for s in world.stations) + SATELLITES,
        n_terrestrial=len(world.stations),
        mmsi=np.array([a.vessel.mmsi for a in actors], dtype=np.int64),
        is_a=is_a, ais_class=np.where(is_a, "A", "B"),
        phase=rng.integers(0, 3600, size=n), static_phase=rng.integers(0, STATIC_INTERVAL_S, n),
        noise=noise, type3=rng.random(n) < 0.12, rot_ok=rng.random(n) < 0.7,
        accuracy=rng.random(n) < 0.3,
        active=np.array([a.active for a in actors], dtype=np.float64).reshape(n, 2),
    )  # fmt: skip


@dataclass(frozen=True)
class _Heard:
    actor: _I
    t: _I
    station: _I
    dup: npt.NDArray[np.bool_]
    source: _I  # the original reception each row repeats (its own index for originals)
    channel: npt.NDArray[np.str_] = field(default_factory=lambda: np.empty(0, "U1"))
    seq_id: _I = field(default_factory=lambda: np.empty(0, np.int64))


def _blocked(c: Compiled, actor: _I, t: _F, lon: _F, lat: _F) -> npt.NDArray[np.bool_]:
    out = (t < c.active[actor, 0]) | (t >= c.active[actor, 1])
    out |= in_outage(c.world.outages, lon, lat, t)
    for k, a in enumerate(c.world.actors):
        for lo, hi in a.silences:
            out |= (actor == k) & (t >= lo) & (t < hi)
    return out


def _draw(
    c: Compiled, rng: np.random.Generator, actor: _I, t: _I, row: _I, grid: dict[str, npt.NDArray]
) -> _Heard:
    """Which of the transmissions (actor, t) are heard, by whom, and their duplicates."""
    n = len(t)
    p1, p2 = grid["p1"][row], grid["p2"][row]
    q = np.where(c.is_a[actor], SATELLITE_P["A"], SATELLITE_P["B"])
    terr = rng.random(n) < p1
    sat = ~terr & (rng.random(n) < q)
    ok = (terr | sat) & ~grid["blocked_any"][row]
    if grid["blocked_any"][row].any():
        check = ok & grid["blocked_any"][row]
        idx = np.flatnonzero(check)
        lon, lat = grid["lon"][row[idx]], grid["lat"][row[idx]]
        ok[idx] = ~_blocked(c, actor[idx], t[idx].astype(np.float64), lon, lat)
    sat_id = c.n_terrestrial + rng.integers(0, len(SATELLITES), n)
    station = np.where(terr, grid["st1"][row], sat_id)
    dup_t = terr & (grid["st2"][row] >= 0) & (rng.random(n) < p2 * DUPLICATE_P["terrestrial"])
    dup_s = sat & (rng.random(n) < DUPLICATE_P["satellite"])
    other_sat = c.n_terrestrial + (sat_id - c.n_terrestrial + 1 + rng.integers(0, 5, n)) % 6
    dup = ok & (dup_t | dup_s)
    d_idx = np.flatnonzero(dup)
    d_station = np.where(dup_t, grid["st2"][row], other_sat)[d_idx]
    keep = np.flatnonzero(ok)
    return _Heard(
        actor=np.r_[actor[keep], actor[d_idx]],
        t=np.r_[t[keep], t[d_idx]],
        station=np.r_[station[keep], d_station],
        dup=np.r_[np.zeros(len(keep), bool), np.ones(len(d_idx), bool)],
        source=np.r_[np.arange(len(keep)), np.searchsorted(keep, d_idx)].astype(np.int64),
    )


def _with_link(h: _Heard, rng: np.random.Generator) -> _Heard:
    """``h`` with a channel and sequence id per transmission (shared by its duplicates)."""
    n = int((~h.dup).sum())
    channel = np.where(rng.random(n) < 0.5, "A", "B")[h.source]
    seq_id = rng.integers(0, 10, n)[h.source]
    return _Heard(h.actor, h.t, h.station, h.dup, h.source, channel, seq_id)


def _minute_grid(c: Compiled, t_a: float, t_b: float) -> dict[str, npt.NDArray]:
    n = len(c.mmsi)
    minutes = np.arange(t_a, t_b, 60.0)
    actor = np.repeat(np.arange(n), len(minutes))
    tm = np.tile(minutes, n)
    st = c.plans.at(actor, tm + 30.0)
    lon, lat, _course = c.paths.locate(actor, st.s_m)
    p1, p2, st1, st2 = c.coverage.lookup(lon, lat)
    blocked_any = (tm + 60 <= c.active[actor, 0]) | (tm >= c.active[actor, 1])
    blocked_any |= (tm + 60 > c.active[actor, 0]) & (tm < c.active[actor, 0])
    blocked_any |= (tm + 60 > c.active[actor, 1]) & (tm < c.active[actor, 1])
    edge = np.zeros(len(tm), bool)
    for k, a in enumerate(c.world.actors):
        for lo, hi in a.silences:
            edge |= (actor == k) & (tm + 60 > lo) & (tm < hi)
    edge |= in_outage(c.world.outages, lon, lat, tm) | in_outage(c.world.outages, lon, lat, tm + 59)
    return {
        "actor": actor, "tm": tm, "lon": lon, "lat": lat, "p1": p1, "p2": p2, "st1": st1,
        "st2": st2, "blocked_any": blocked_any | edge, "minutes": minutes,
        "interval": report_interval_s(c.ais_class[actor], st.speed_knots, st.status),
    }  # fmt: skip


def _position_slots(c: Compiled, grid: dict[str, npt.NDArray]) -> tuple[_I, _I, _I]:
    """(actor, t, grid row) of every position transmission in the grid's minutes."""
    actors, times, rows = [], [], []
    for interval in np.unique(grid["interval"]):
        r = np.flatnonzero(grid["interval"] == interval)
        tm = grid["tm"][r].astype(np.int64)
        a = grid["actor"][r]
        first = tm + (c.phase[a] - tm) % interval
        k = np.arange(int(np.ceil(60 / interval)))
        slots = first[:, None] + k[None, :] * interval
        valid = slots < (tm + 60)[:, None]
        rr = np.broadcast_to(r[:, None], slots.shape)[valid]
        actors.append(grid["actor"][rr])
        times.append(slots[valid])
        rows.append(rr)
    return np.concatenate(actors), np.concatenate(times), np.concatenate(rows)


def _static_slots(
    c: Compiled, grid: dict[str, npt.NDArray], t_a: float, t_b: float, offset: int
) -> tuple[_I, _I, _I]:
    n = len(c.mmsi)
    per = int(np.ceil((t_b - t_a) / STATIC_INTERVAL_S)) + 1
    base = int(t_a) - int(t_a) % STATIC_INTERVAL_S
    t = base + c.static_phase[:, None] + offset + STATIC_INTERVAL_S * np.arange(-1, per)[None, :]
    actor = np.broadcast_to(np.arange(n)[:, None], t.shape)
    valid = (t >= t_a) & (t < t_b)
    actor, t = actor[valid], t[valid]
    minutes = len(grid["minutes"])
    row = actor * minutes + ((t - int(t_a)) // 60)
    return actor.astype(np.int64), t.astype(np.int64), row.astype(np.int64)


def _true_states(c: Compiled, actor: _I, t: _I) -> dict[str, _F]:
    """True state plus correlated GNSS noise at each (actor, t)."""
    tf = t.astype(np.float64)
    st = c.plans.at(actor, tf)
    lon, lat, course = c.paths.locate(actor, st.s_m)
    amp, ph = c.noise[actor, 0], c.noise[actor, 1:]
    east = amp * (
        0.8 * np.sin(_TWO_PI * tf / 1200.0 + ph[:, 0])
        + 0.5 * np.sin(_TWO_PI * tf / 300.0 + ph[:, 1])
    )
    north = amp * (
        0.8 * np.sin(_TWO_PI * tf / 1500.0 + ph[:, 2])
        + 0.5 * np.sin(_TWO_PI * tf / 240.0 + ph[:, 3])
    )
    lon_n, lat_n = offset_point(lon, lat, east, north)  # type: ignore[arg-type]
    return {
        "lon": np.asarray(lon_n), "lat": np.asarray(lat_n), "course": course,
        "speed": st.speed_knots, "status": st.status.astype(np.float64),
        "heading_offset": st.heading_offset,
    }  # fmt: skip


def _position_columns(c: Compiled, rng: np.random.Generator, actor: _I, t: _I) -> dict[str, Any]:
    s = _true_states(c, actor, t)
    n = len(t)
    moving = s["speed"] > 0.05
    sog = np.where(moving, s["speed"] + rng.normal(0, 0.1, n), np.abs(rng.normal(0, 0.04, n)))
    sog = np.round(np.clip(sog, 0.0, 102.2), 1)
    cog = np.where(moving, s["course"] + rng.normal(0, 0.8, n), rng.uniform(0, 360, n)) % 360.0
    heading = np.rint(s["course"] + s["heading_offset"] + rng.normal(0, 1.0, n)) % 360
    is_a = c.is_a[actor]
    rot = np.where(c.rot_ok[actor], 0.0, np.nan)
    return {
        "mmsi": c.mmsi[actor], "nav_status": s["status"], "rot_deg_per_min": rot,
        "sog_knots": sog, "position_accuracy": c.accuracy[actor], "lon": s["lon"],
        "lat": s["lat"], "cog_deg": np.round(cog, 1) % 360.0,
        "heading_deg": np.where(is_a, heading, np.nan), "utc_second": t % 60, "maneuver": 0,
        "raim": False, "cs_unit": True, "display": False, "dsc": True, "band": True,
        "msg22": True, "assigned": False,
        "radio": np.where(is_a, (rng.integers(0, 8, n) << 14) | rng.integers(0, 1 << 14, n),
                          393222),
    }  # fmt: skip


def _take(columns: dict[str, Any], idx: _I) -> dict[str, Any]:
    return {k: (v[idx] if isinstance(v, np.ndarray) and v.ndim else v) for k, v in columns.items()}


@dataclass
class _Batch:
    """Encoded lines of one chunk and their sort keys."""

    parts: list[Lines] = field(default_factory=list)
    keys: list[_I] = field(default_factory=list)

    def add(self, lines: Lines, t: _I, actor: _I, order: int, dup: npt.NDArray[np.bool_]) -> None:
        self.parts.append(lines)
        key = (t.astype(np.int64) << 24) | (actor.astype(np.int64) << 4) | (order << 1) | dup
        self.keys.append(key)

    def lines(self) -> Lines:
        if not self.parts:
            return Lines.concat([])
        keys = np.concatenate(self.keys)
        return Lines.concat(self.parts).take(np.argsort(keys, kind="stable"))


def _encode(
    c: Compiled, batch: _Batch, msg_type: int, columns: dict[str, npt.NDArray], h: _Heard,
    order: int,
) -> None:  # fmt: skip
    n = len(h.t)
    if n == 0:
        return
    names = np.array(c.stations, dtype="S8")[h.station]
    lines = encode_nmea(
        msg_type, columns, n, channel=h.channel, seq_id=h.seq_id, station=names,
        unix_s=h.t + int(c.world.start.timestamp()),
    )  # fmt: skip
    batch.add(lines, h.t, h.actor, order, h.dup)


def _sub(h: _Heard, idx: _I) -> _Heard:
    return _Heard(
        h.actor[idx],
        h.t[idx],
        h.station[idx],
        h.dup[idx],
        h.source[idx],
        h.channel[idx],
        h.seq_id[idx],
    )


def _heard_span(stats: EmitStats, h: _Heard) -> None:
    own = ~h.dup
    np.minimum.at(stats.first_heard, h.actor[own], h.t[own].astype(np.float64))
    np.maximum.at(stats.last_heard, h.actor[own], h.t[own].astype(np.float64))


def _positions(
    c: Compiled, rngs: tuple[np.random.Generator, np.random.Generator], grid: dict,
    batch: _Batch | None, stats: EmitStats,
) -> None:  # fmt: skip
    rx, rng = rngs
    actor, t, row = _position_slots(c, grid)
    heard = _draw(c, rx, actor, t, row, grid)
    _heard_span(stats, heard)
    if batch is None:
        return
    heard = _with_link(heard, rng)
    own = np.flatnonzero(~heard.dup)
    cols = _take(_position_columns(c, rng, heard.actor[own], heard.t[own]), heard.source)
    is_a = c.is_a[heard.actor]
    type3 = c.type3[heard.actor] & (rng.random(len(own)) < 0.5)[heard.source]
    for msg_type, mask in ((1, is_a & ~type3), (3, is_a & type3), (18, ~is_a)):
        idx = np.flatnonzero(mask)
        _encode(c, batch, msg_type, _take(cols, idx), _sub(heard, idx), 0)
        stats.add(f"type{msg_type}", len(idx))
    stats.duplicates += int(heard.dup.sum())


def _statics(
    c: Compiled, rngs: tuple[np.random.Generator, np.random.Generator], grid: dict,
    batch: _Batch | None, stats: EmitStats, t_a: float, t_b: float,
) -> None:  # fmt: skip
    from setu.sim.statics import static_columns

    rx, rng = rngs
    sends = np.array([a.sends_statics for a in c.world.actors])
    for kind, offset, msg_type, order in (
        ("type5", 0, 5, 1),
        ("type24a", 0, 24, 2),
        ("type24b", 60, 24, 3),
    ):
        actor, t, row = _static_slots(c, grid, t_a, t_b, offset)
        want = sends[actor] & (c.is_a[actor] if kind == "type5" else ~c.is_a[actor])
        idx = np.flatnonzero(want)
        heard = _draw(c, rx, actor[idx], t[idx], row[idx], grid)
        if batch is None:
            continue
        heard = _with_link(heard, rng)
        cols = static_columns(c, kind, heard.actor, heard.t)
        _encode(c, batch, msg_type, cols, heard, order)
        stats.add(kind, len(heard.t))
        stats.duplicates += int(heard.dup.sum())


def generate(c: Compiled, stats: EmitStats, *, encode: bool = True) -> Iterator[Lines]:
    """Lines of the whole world, hour by hour, each hour in time order. With ``encode`` False
    only the reception is drawn (the same draws) and ``stats`` gets the heard spans; the lines
    yielded are then empty."""
    duration = c.world.duration_s
    n = len(c.mmsi)
    stats.first_heard = np.full(n, np.inf)
    stats.last_heard = np.full(n, -np.inf)
    for k, t_a in enumerate(np.arange(0.0, duration, CHUNK_S)):
        t_b = min(duration, t_a + CHUNK_S)
        rngs = (
            np.random.default_rng([c.world.seed, 7002, k]),
            np.random.default_rng([c.world.seed, 7003, k]),
        )
        grid = _minute_grid(c, float(t_a), float(t_b))
        batch = _Batch() if encode else None
        _positions(c, rngs, grid, batch, stats)
        _statics(c, rngs, grid, batch, stats, float(t_a), float(t_b))
        if batch is None:
            yield Lines.concat([])
            continue
        lines = batch.lines()
        stats.sentences += int(np.count_nonzero(lines.data == ord("\n")))
        stats.bytes += len(lines.data)
        yield lines
