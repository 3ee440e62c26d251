"""EncounterDetector: distance, duration, speed and port edges; spatial binning vs brute force;
pairing by slices of time vs pairing the whole grid at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.events import EncounterConfig, EncounterDetector, EventType
from setu.events.encounters import (
    PortZones,
    _box_reach_m,
    close_pair_keys,
    close_pairs,
    pair_runs,
)
from setu.events.ports import Port, PortIndex
from setu.tracks import Tracks, haversine_m

T0 = datetime(2024, 6, 1, tzinfo=UTC)
NO_PORTS = PortIndex([])
M_PER_DEG = 111_195.0


def drifting(mmsi: int, minutes: float, lon: float, lat: float, knots: float = 0.5) -> pl.DataFrame:
    """A vessel heading north at ``knots`` from (lon, lat), one fix a minute for ``minutes``."""
    n = int(minutes) + 1
    step_deg = knots * 1852 / 60 / M_PER_DEG
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * n,
            "received_at": [T0 + timedelta(minutes=i) for i in range(n)],
            "lon": [lon] * n,
            "lat": [lat + i * step_deg for i in range(n)],
            "sog_knots": [knots] * n,
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def pair(minutes: float, apart_m: float, knots: float = 0.5, lat: float = 12.0) -> pl.DataFrame:
    lon = 65.0
    east = apart_m / (M_PER_DEG * np.cos(np.radians(lat)))
    return pl.concat(
        [drifting(11, minutes, lon, lat, knots), drifting(22, minutes, lon + east, lat, knots)]
    )


def detect(frame: pl.DataFrame, ports: PortIndex = NO_PORTS, **config: object) -> list:
    detector = EncounterDetector(EncounterConfig(**config), ports=ports)  # type: ignore[arg-type]
    return detector.detect(Tracks.from_positions(frame))


pytestmark = pytest.mark.unit


def test_two_hours_within_500_m_at_low_speed_is_an_encounter() -> None:
    events = detect(pair(120, 300))
    assert len(events) == 1
    event = events[0]
    assert event.event_type is EventType.ENCOUNTER
    assert event.mmsis == (11, 22)
    assert event.start == T0 and event.end == T0 + timedelta(hours=2)
    assert event.details["median_distance_m"] == pytest.approx(300, rel=0.01)
    assert event.lat == pytest.approx(12.0, abs=0.02)


def test_just_under_two_hours_is_not() -> None:
    assert detect(pair(119, 300)) == []


def test_distance_edge() -> None:
    assert len(detect(pair(180, 490))) == 1
    assert detect(pair(180, 510)) == []


def test_median_speed_edge() -> None:
    assert len(detect(pair(180, 300, knots=1.9))) == 1
    assert detect(pair(180, 300, knots=2.1)) == []


def test_near_a_port_is_not_an_encounter() -> None:
    lon, lat = 65.0, 12.0
    near = PortIndex([Port("XXAAA", "Near", "X", lon, lat + 8_000 / M_PER_DEG)])
    far = PortIndex([Port("XXBBB", "Far", "X", lon, lat + 15_000 / M_PER_DEG)])
    assert detect(pair(150, 300), ports=near) == []
    assert len(detect(pair(150, 300), ports=far)) == 1


def test_high_latitude_pairs_across_several_longitude_cells_are_found() -> None:
    assert len(detect(pair(150, 450, lat=72.0))) == 1


def test_pairs_across_the_antimeridian_are_found() -> None:
    frame = pl.concat([drifting(11, 150, 179.999, -16.0), drifting(22, 150, -179.999, -16.0)])
    events = detect(frame)
    assert len(events) == 1
    assert abs(events[0].lon) == pytest.approx(180.0, abs=0.01)


def test_same_mmsi_never_pairs_with_itself() -> None:
    frame = pl.concat([drifting(5, 150, 65.0, 12.0), drifting(5, 150, 65.0 + 0.002, 12.0)])
    assert detect(frame) == []


random_points = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 2), st.floats(0.0, 0.02), st.floats(60.0, 60.02)),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(random_points)
def test_spatial_binning_finds_exactly_the_brute_force_pairs(points: list) -> None:
    frame = pl.DataFrame(
        {
            "mmsi": [p[0] for p in points],
            "received_at": [T0 + timedelta(minutes=10 * p[1]) for p in points],
            "lon": [p[2] for p in points],
            "lat": [p[3] for p in points],
            "speed_knots": [0.0] * len(points),
        },
        schema={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "speed_knots": pl.Float64,
        },
    )
    found = {
        (r["t_us"], r["mmsi_a"], r["mmsi_b"])
        for r in close_pairs(frame, 500.0).iter_rows(named=True)
    }
    expected = set()
    rows = frame.with_columns(pl.col("received_at").dt.epoch("us").alias("t")).to_dicts()
    for a, b in combinations(rows, 2):
        same_time = a["t"] == b["t"] and a["mmsi"] != b["mmsi"]
        if same_time and float(haversine_m(a["lon"], a["lat"], b["lon"], b["lat"])) <= 500.0:
            lo, hi = sorted((a["mmsi"], b["mmsi"]))
            expected.add((a["t"], lo, hi))
    assert found == expected


# -- pairing by slices of time gives the events of pairing the whole grid at once ----------------


def all_at_once(detector: EncounterDetector, tracks: Tracks) -> list:
    """The events of pairing the whole grid in one go (the detector before it paired by slices)."""
    cfg = detector.config
    grid = tracks.resample(cfg.interval_s, cfg.max_interpolation_gap_s).frame
    return detector.report(pair_runs(close_pairs(grid, cfg.max_distance_m), cfg))


def records(events: list) -> list[dict]:
    return [e.to_dict() for e in sorted(events, key=lambda e: e.event_id)]


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / (M_PER_DEG * np.cos(np.radians(lat))), lat + north_m / M_PER_DEG


def follow(
    mmsi: int,
    route: list[tuple[float, float, float]],
    *,
    step_min: float = 5.0,
    east_m: float = 0.0,
    north_m: float = 0.0,
    sog: float | None = None,
) -> pl.DataFrame:
    """Fixes every ``step_min`` along (hour, lon, lat) waypoints, shifted by a fixed offset;
    ``sog`` reported throughout (None: not available, so tracks use the implied speed)."""
    times, lons, lats = [], [], []
    t = route[0][0] * 60.0
    while t <= route[-1][0] * 60.0 + 1e-9:
        hour = t / 60.0
        for (h0, x0, y0), (h1, x1, y1) in pairwise(route):
            if h0 <= hour <= h1:
                f = 0.0 if h1 == h0 else (hour - h0) / (h1 - h0)
                lon, lat = offset(x0 + f * (x1 - x0), y0 + f * (y1 - y0), east_m, north_m)
                times.append(T0 + timedelta(hours=hour))
                lons.append(lon)
                lats.append(lat)
                break
        t += step_min
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(times),
            "received_at": times,
            "lon": lons,
            "lat": lats,
            "sog_knots": [sog] * len(times),
        },
        schema={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "sog_knots": pl.Float32,
        },
    )


BASE = (65.0, 12.0)


def test_an_encounter_that_began_in_port_keeps_its_start() -> None:
    # Why points deep inside a port cannot simply be dropped before pairing: two ships moored
    # side by side 1 km from a port for 10 h, then sailing together 30 km out and drifting there
    # for 12.5 h, make one run whose mean position is ~17 km out. It is an encounter from the
    # first mooring fix; dropping the in-port points would move its start (and its id).
    port = offset(*BASE, 0.0, -1_000.0)
    out = offset(*BASE, 0.0, 30_000.0)
    route = [(0.0, *BASE), (10.0, *BASE), (11.5, *out), (24.0, out[0], out[1] + 0.05)]
    frame = pl.concat([follow(11, route), follow(22, route, east_m=300.0)])
    detector = EncounterDetector(ports=PortIndex([Port("XXPRT", "Port", "X", *port)]))
    tracks = Tracks.from_positions(frame)
    events = detector.detect(tracks)
    assert [(e.mmsis, e.start) for e in events] == [((11, 22), T0)]
    assert records(events) == records(all_at_once(detector, tracks))


def test_a_crowd_moored_in_port_leaves_no_candidate_runs() -> None:
    # What used to fill memory and time: every pair of a crowded berth at every grid time. Two
    # points deep in a port are not paired at all; nothing of them is kept or rebuilt.
    rng = np.random.default_rng(5)
    route = [(0.0, *BASE), (8.0, *BASE)]
    crowd = [
        follow(100 + i, route, east_m=float(e), north_m=float(n), sog=0.0)
        for i, (e, n) in enumerate(rng.uniform(-600.0, 600.0, (40, 2)))
    ]
    detector = EncounterDetector(
        ports=PortIndex([Port("XXPRT", "Port", "X", *BASE)]), points_per_chunk=500
    )
    grid = Tracks.from_positions(pl.concat(crowd)).resample(600.0, 3600.0).frame
    assert close_pairs(grid, 500.0).height > 5_000
    points = detector.zoned_points(grid)
    assert (points["zone"] >= 0).all()  # every berth is deep in the port
    spans, mixed = detector._candidates(points)
    assert spans.height == mixed.height == 0
    assert detector.detect_grid(grid) == []


@st.composite
def near_a_port(draw: st.DrawFn) -> tuple[pl.DataFrame, PortIndex, int]:
    """Small groups of vessels moving together near a port: staying and sailing, in and out of
    the port's deep zone, at reported or implied speeds, the port 0-16 km from their start."""
    km = st.floats(-20_000.0, 20_000.0)
    hour = 0.0
    route = [(0.0, *BASE)]
    for _ in range(draw(st.integers(1, 5))):
        hour += draw(st.floats(0.3, 6.0))
        held = draw(st.booleans())  # a stay (moored, drifting) or a passage
        route.append((hour, *(route[-1][1:] if held else offset(*BASE, draw(km), draw(km)))))
    vessels = []
    for k in range(draw(st.integers(2, 5))):
        lo, hi = sorted(draw(st.tuples(st.integers(0, len(route) - 1), st.integers(0, 9))))
        part = route[lo : max(hi, lo + 1) + 1] if lo + 1 < len(route) else route[-2:]
        vessels.append(
            follow(
                10 + k,
                part,
                step_min=draw(st.sampled_from([3.0, 5.0, 10.0, 20.0])),
                east_m=draw(st.floats(-350.0, 350.0)),
                north_m=draw(st.floats(-350.0, 350.0)),
                sog=draw(st.sampled_from([None, 0.0, 1.0, 1.99, 2.0, 3.0])),
            )
        )
    distance = draw(st.floats(0.0, 16_000.0))
    bearing = draw(st.floats(0.0, 2 * np.pi))
    port = offset(*BASE, distance * np.sin(bearing), distance * np.cos(bearing))
    ports = PortIndex([Port("XXPRT", "Port", "X", *port)])
    return pl.concat(vessels), ports, draw(st.integers(1, 40))


@settings(max_examples=100, deadline=None)
@given(near_a_port())
def test_pairing_by_slices_finds_exactly_the_events_of_pairing_at_once(
    case: tuple[pl.DataFrame, PortIndex, int],
) -> None:
    frame, ports, points_per_chunk = case
    tracks = Tracks.from_positions(frame)
    sliced = EncounterDetector(ports=ports, points_per_chunk=points_per_chunk)
    assert records(sliced.detect(tracks)) == records(all_at_once(sliced, tracks))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("scenario", "scale"),
    [
        ("demo", 1.0),
        ("dark-rendezvous", 1.0),
        ("loiterer", 1.0),
        ("mmsi-spoofing", 1.0),
        ("hra-crossing", 1.0),
        ("quiet-arabian-sea", 1.0),
        ("large", 0.02),
    ],
)
def test_every_scenario_gives_the_events_of_pairing_at_once(
    scenario: str, scale: float, seed: int, tmp_path: Path
) -> None:
    from setu.ingest import MemorySink, ingest, sources_for
    from setu.sim import simulate

    nmea, _truth = simulate(scenario, seed=seed, scale=scale).write(tmp_path / "feed.nmea")
    sink = MemorySink()
    ingest(sources_for(paths=[str(nmea)]), sink)
    tracks = Tracks.from_positions(sink.table("positions"))
    detector = EncounterDetector(points_per_chunk=2_000)
    assert records(detector.detect(tracks)) == records(all_at_once(detector, tracks))


@settings(max_examples=40, deadline=None)
@given(random_points, st.integers(1, 12))
def test_pair_keys_by_slices_are_the_distinct_pairs_of_close_pairs(
    points: list, points_per_chunk: int
) -> None:
    frame = pl.DataFrame(
        {
            "mmsi": [p[0] for p in points],
            "received_at": [T0 + timedelta(minutes=10 * p[1]) for p in points],
            "lon": [p[2] for p in points],
            "lat": [p[3] for p in points],
            "speed_knots": [0.0] * len(points),
        },
        schema={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "speed_knots": pl.Float64,
        },
    )
    keys = close_pair_keys(frame, 500.0, points_per_chunk)
    expected = close_pairs(frame, 500.0).select("mmsi_a", "mmsi_b").unique()
    assert sorted(keys.iter_rows()) == sorted(expected.iter_rows())
    assert keys.height == keys.unique().height


# -- port zones: which points may skip pairing ----------------------------------------------------


def zones_of(*ports: tuple[float, float]) -> list[int]:
    index = PortIndex([Port(f"XX{i:03d}", "P", "X", x, y) for i, (x, y) in enumerate(ports)])
    return PortZones.of(index, EncounterConfig()).zone.tolist()


def test_ports_close_together_share_a_zone_and_a_sprawling_chain_has_none() -> None:
    near = offset(*BASE, 3_000.0, 0.0)
    far = offset(*BASE, 9_000.0, 0.0)
    assert zones_of(BASE, near)[0] == zones_of(BASE, near)[1] >= 0
    lone = zones_of(BASE, far)
    assert lone[0] >= 0 and lone[1] >= 0 and lone[0] != lone[1]
    chain = [offset(*BASE, 8_000.0 * k, 0.0) for k in range(3)]  # 16 km end to end
    assert zones_of(*chain) == [-1, -1, -1]
    assert zones_of((10.0, 89.99)) == [-1]  # the box around a pole is no box


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-85.0, 85.0),
    st.floats(100.0, 8_000.0),
    st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 2 * np.pi)), min_size=1, max_size=6),
)
def test_points_within_reach_of_a_port_and_their_mean_stay_in_its_box(
    lat: float, rho: float, polar: list[tuple[float, float]]
) -> None:
    # the argument that a run of skipped pairs fails the port rule: points within rho of P, and
    # their mean (circular in longitude), are within _box_reach_m of P
    reach = _box_reach_m(lat, rho)
    if not np.isfinite(reach):
        return
    points = [offset(0.0, lat, f * rho * np.sin(b), f * rho * np.cos(b)) for f, b in polar]
    points = [(x, y) for x, y in points if float(haversine_m(0.0, lat, x, y)) <= rho]
    if not points:
        return
    lons = np.radians([x for x, _ in points])
    mean = (
        float(np.degrees(np.arctan2(np.sin(lons).mean(), np.cos(lons).mean()))),
        float(np.mean([y for _, y in points])),
    )
    for x, y in [*points, mean]:
        assert float(haversine_m(0.0, lat, x, y)) <= reach + 1e-6
