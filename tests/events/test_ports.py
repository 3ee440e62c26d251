"""Ports: the searoute port list, nearest-port queries, port visits (entry/stop/exit edges)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from setu.events import EventType, PortVisitConfig, PortVisitDetector
from setu.events.ports import Port, PortIndex, load_ports
from setu.tracks import Tracks

T0 = datetime(2024, 8, 1, tzinfo=UTC)
M_PER_DEG = 111_195.0
PORT = Port("INMAA", "Chennai", "India", 80.30, 13.10)
INDEX = PortIndex([PORT])


def path(legs: list[tuple[float, float, float]], mmsi: int = 9) -> pl.DataFrame:
    """A vessel moving along the parallel through the port: legs of (minutes, start km east of
    the port, end km east); one fix a minute; SOG from the leg's speed."""
    rows = []
    t = 0.0
    for minutes, a_km, b_km in legs:
        n = int(minutes)
        knots = abs(b_km - a_km) * 1000 / 1852 / (minutes / 60)
        for i in range(n):
            km = a_km + (b_km - a_km) * i / n
            rows.append((t + i, km, knots))
        t += n
    lon_per_km = 1000 / (M_PER_DEG * np.cos(np.radians(PORT.lat)))
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(rows),
            "received_at": [T0 + timedelta(minutes=m) for m, _, _ in rows],
            "lon": [PORT.lon + km * lon_per_km for _, km, _ in rows],
            "lat": [PORT.lat] * len(rows),
            "sog_knots": [k for _, _, k in rows],
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def detect(frame: pl.DataFrame, **config: object) -> list:
    detector = PortVisitDetector(PortVisitConfig(**config), ports=INDEX)  # type: ignore[arg-type]
    return detector.detect(Tracks.from_positions(frame))


pytestmark = pytest.mark.unit


def test_port_list_comes_from_searoute_with_unlocodes() -> None:
    ports = load_ports()
    assert len(ports) > 3000
    unlocode = [p for p in ports.ports if re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}", p.locode)]
    assert len(unlocode) >= len(ports) - 5  # the source has a handful of truncated codes
    by_code = {p.locode: p for p in ports.ports}
    assert by_code["INBOM"].name == "Mumbai" and by_code["JPYOK"].name == "Yokohama"


def test_nearest_port_within_a_radius() -> None:
    lon_1km = PORT.lon + 1000 / (M_PER_DEG * np.cos(np.radians(PORT.lat)))
    index, distance = INDEX.nearest([lon_1km, PORT.lon + 1.0], [PORT.lat, PORT.lat], 5000.0)
    assert index.tolist() == [0, -1]
    assert distance[0] == pytest.approx(1000.0, rel=0.01) and distance[1] == np.inf
    assert INDEX.within([lon_1km], [PORT.lat], 999.0).tolist() == [False]


def test_visit_with_entry_stop_and_exit() -> None:
    # in from 10 km at ~5 kn, 2 h alongside at 1 km, out to 10 km
    frame = path([(60, 10.0, 1.0), (120, 1.0, 1.0), (60, 1.0, 10.0)])
    events = detect(frame)
    assert len(events) == 1
    visit = events[0]
    assert visit.event_type is EventType.PORT_VISIT and visit.key == "INMAA"
    entry = frame.filter(
        pl.col("lon") <= PORT.lon + 3000 / (M_PER_DEG * np.cos(np.radians(PORT.lat)))
    )
    assert visit.start == entry["received_at"][0]
    assert visit.details["stops"] == 1
    assert visit.details["stopped_s"] == pytest.approx(119 * 60, abs=120)
    assert visit.details["exit_observed"] and visit.details["entry_observed"]
    # exit: the first fix more than 4 km out, 20 min into the outbound leg
    assert visit.end is not None
    assert T0 + timedelta(minutes=199) <= visit.end <= T0 + timedelta(minutes=202)
    assert (visit.lon, visit.lat) == (PORT.lon, PORT.lat)


def test_passing_at_3_5_km_is_not_a_visit_and_3_km_is() -> None:
    assert detect(path([(60, 20.0, 3.5), (60, 3.5, 20.0)])) == []
    assert len(detect(path([(60, 20.0, 2.95), (60, 2.95, 20.0)]))) == 1


def test_hysteresis_between_3_and_4_km_keeps_one_visit() -> None:
    legs = [(30, 10.0, 2.9), (20, 2.9, 3.9), (20, 3.9, 2.9), (20, 2.9, 3.9), (30, 3.9, 10.0)]
    assert len(detect(path(legs))) == 1


def test_visit_still_going_at_the_end_of_the_data_is_open() -> None:
    events = detect(path([(60, 10.0, 1.0), (120, 1.0, 1.0)]))
    assert len(events) == 1 and events[0].end is None and events[0].details["open"] is True


def test_require_stop_drops_visits_without_one() -> None:
    frame = path([(60, 10.0, 0.5), (60, 0.5, 10.0)])
    assert len(detect(frame)) == 1
    assert detect(frame, require_stop=True) == []


@pytest.mark.unit
def test_nearest_port_of_many_points_is_answered_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression: one query for every fix made a GEOS point per fix (2 GB kept by the allocator
    # at 9 million fixes); the query now goes a slice of points at a time, with the same answers.
    import setu.events.ports as ports

    rng = np.random.default_rng(3)
    lon = PORT.lon + rng.uniform(-0.05, 0.05, 50)
    lat = PORT.lat + rng.uniform(-0.05, 0.05, 50)
    whole = INDEX.nearest(lon, lat, 4_000.0)
    monkeypatch.setattr(ports, "_QUERY_POINTS", 7)
    sliced = INDEX.nearest(lon, lat, 4_000.0)
    assert np.array_equal(whole[0], sliced[0]) and np.array_equal(whole[1], sliced[1])
    assert (whole[0] == 0).any() and (whole[0] == -1).any()
