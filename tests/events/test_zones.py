"""ZoneDetector: reference zones, user GeoJSON, entry/exit edges and properties."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.errors import InputError, ValidationError
from setu.events.model import EventType
from setu.events.zones import (
    REFERENCE_ZONES,
    ZoneConfig,
    ZoneDetector,
    reference_zones,
    zones_from_geojson,
)
from setu.tracks import Tracks

pytestmark = pytest.mark.unit

T0 = datetime(2024, 3, 1, tzinfo=UTC)
SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "box"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[70, 10], [71, 10], [71, 11], [70, 11], [70, 10]]],
            },
        }
    ],
}


def track(points: list[tuple[float, float]], step_min: float = 300.0, mmsi: int = 419000001):
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(points),
            "received_at": [T0 + timedelta(minutes=step_min * i) for i in range(len(points))],
            "lon": [p[0] for p in points],
            "lat": [p[1] for p in points],
            "sog_knots": [12.0] * len(points),
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def user_only() -> ZoneDetector:
    return ZoneDetector(ZoneConfig(reference=()), zones=SQUARE)


@pytest.mark.parametrize("name", REFERENCE_ZONES)
def test_reference_zone_is_valid_closed_and_cited(name: str) -> None:
    (zone,) = reference_zones([name])
    ring = json.loads(
        (Path(__file__).parents[2] / "src/setu/events/zone_data" / f"{name}.geojson").read_text()
    )["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert zone.geometry.is_valid and zone.geometry.area > 0
    assert zone.properties["source"] and zone.properties["title"]


@pytest.mark.parametrize(
    ("name", "lon", "lat"),
    [
        ("indian_ocean_hra_2019", 47.0, 12.5),  # Gulf of Aden
        ("indian_ocean_hra_2019", 52.0, 3.0),  # Somali Basin
        ("jwla_032_indian_ocean", 47.0, 12.5),
        ("jwla_032_indian_ocean", 41.0, 16.5),  # southern Red Sea, north of the HRA limit
        ("malacca_singapore_straits", 103.8, 1.2),  # Singapore Strait
        ("malacca_singapore_straits", 100.0, 4.0),  # Malacca Strait off Perak
        ("strait_of_hormuz", 56.5, 26.5),
        ("bab_el_mandeb", 43.4, 12.6),
    ],
)
def test_known_point_inside(name: str, lon: float, lat: float) -> None:
    (zone,) = reference_zones([name])
    assert shapely.contains_xy(zone.geometry, lon, lat)


@pytest.mark.parametrize(
    ("name", "lon", "lat"),
    [
        ("indian_ocean_hra_2019", 41.0, 16.5),  # Red Sea north of 15N
        ("indian_ocean_hra_2019", 66.0, 15.0),  # Arabian Sea east of 60E
        ("jwla_032_indian_ocean", 38.0, 21.0),  # Red Sea north of 18N
        ("malacca_singapore_straits", 103.8, 1.45),  # Johor Strait
        ("strait_of_hormuz", 58.5, 24.5),  # Gulf of Oman
        ("bab_el_mandeb", 45.0, 12.5),  # off Aden
    ],
)
def test_known_point_outside(name: str, lon: float, lat: float) -> None:
    (zone,) = reference_zones([name])
    assert not shapely.contains_xy(zone.geometry, lon, lat)


def test_entry_and_exit_with_interpolated_times() -> None:
    events = user_only().detect(
        Tracks.from_positions(track([(69.5, 10.5), (70.5, 10.5), (71.5, 10.5)]))
    )
    entry, exit_ = sorted(events, key=lambda e: e.start)
    assert entry.event_type is EventType.ZONE_ENTRY and exit_.event_type is EventType.ZONE_EXIT
    assert entry.start == T0 + timedelta(minutes=150)  # boundary halfway along the step
    assert exit_.start == T0 + timedelta(minutes=450)
    assert entry.lon == pytest.approx(70.0) and exit_.lon == pytest.approx(71.0)
    assert entry.key == "box" and entry.details["zone"] == "box"
    assert entry.event_id != exit_.event_id


def test_track_starting_inside_does_not_enter() -> None:
    events = user_only().detect(
        Tracks.from_positions(track([(70.5, 10.5), (70.6, 10.5), (71.5, 10.5)]))
    )
    assert [e.event_type for e in events] == [EventType.ZONE_EXIT]


def test_boundary_point_counts_as_outside() -> None:
    events = user_only().detect(Tracks.from_positions(track([(70.0, 10.5), (70.1, 10.5)])))
    assert [e.event_type for e in events] == [EventType.ZONE_ENTRY]


def test_user_zones_from_file_and_reference_zones_together(tmp_path: Path) -> None:
    path = tmp_path / "aoi.geojson"
    path.write_text(json.dumps(SQUARE))
    detector = ZoneDetector(zones=path)
    assert {z.name for z in detector.zones} == {*REFERENCE_ZONES, "box"}
    # through Bab-el-Mandeb northward: leaves the HRA at 15N after leaving the strait
    events = detector.detect(
        Tracks.from_positions(track([(43.4, 12.0 + 0.05 * i) for i in range(70)], step_min=15))
    )
    keys = [(e.event_type.value, e.key) for e in sorted(events, key=lambda e: e.start)]
    assert ("zone_exit", "indian_ocean_hra_2019") in keys
    assert ("zone_exit", "bab_el_mandeb") in keys
    assert ("zone_entry", "bab_el_mandeb") in keys


def test_bad_zone_inputs_are_refused(tmp_path: Path) -> None:
    nameless = {"type": "Feature", "properties": {}, "geometry": SQUARE["features"][0]["geometry"]}
    with pytest.raises(ValidationError, match=r"properties\.name"):
        zones_from_geojson(nameless)
    bowtie = {
        "type": "Feature",
        "properties": {"name": "bowtie"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
    }
    with pytest.raises(ValidationError, match="not a valid polygon"):
        zones_from_geojson(bowtie)
    with pytest.raises(InputError):
        zones_from_geojson(tmp_path / "missing.geojson")
    with pytest.raises(ValidationError, match="unique"):
        ZoneDetector(ZoneConfig(reference=()), zones=[*zones_from_geojson(SQUARE)] * 2)
    with pytest.raises(ValidationError, match="unknown reference zone"):
        ZoneConfig(reference=("atlantis",))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(69.0, 72.0), st.floats(9.0, 12.0)), min_size=2, max_size=30))
def test_entries_and_exits_alternate(points: list[tuple[float, float]]) -> None:
    events = sorted(
        user_only().detect(Tracks.from_positions(track(points, step_min=30))), key=lambda e: e.start
    )
    by_segment: dict[str, list[EventType]] = {}
    for event in events:
        by_segment.setdefault(event.details["segment_id"], []).append(event.event_type)
    for kinds in by_segment.values():
        assert all(a != b for a, b in itertools.pairwise(kinds))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.floats(70.01, 70.99), st.floats(10.01, 10.99)), min_size=1, max_size=20)
)
def test_track_never_leaving_gives_no_events(points: list[tuple[float, float]]) -> None:
    assert user_only().detect(Tracks.from_positions(track(points, step_min=30))) == []
