"""Event store: idempotent writes, queries, GeoJSON; the `setu events` listing command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from setu.cli import app
from setu.errors import ValidationError
from setu.events import Event, EventType
from setu.events.store import EventQuery, EventStore, to_geojson
from setu.settings import load_settings

T0 = datetime(2024, 10, 1, tzinfo=UTC)


def sample() -> list[Event]:
    return [
        Event(
            EventType.GAP,
            (111,),
            T0,
            T0 + timedelta(hours=13),
            64.0,
            14.0,
            "silent 13.0 h",
            {"open": False, "silent_s": 46800.0},
            {"min_gap_s": 43200.0},
        ),
        Event(
            EventType.ENCOUNTER,
            (222, 111),
            T0 + timedelta(days=1),
            T0 + timedelta(days=1, hours=3),
            65.0,
            12.0,
            "close",
            {"median_speed_knots": {"111": 0.5, "222": 0.4}},
        ),
        Event(
            EventType.PORT_VISIT,
            (333,),
            T0 + timedelta(days=2),
            None,
            72.8,
            18.9,
            "in port",
            key="INBOM",
        ),
    ]


pytestmark = pytest.mark.unit


def test_write_is_idempotent_and_round_trips(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events")
    assert store.query() == []
    assert store.write(sample()) == 3
    assert store.write(sample()) == 0
    assert store.write(sample()[:1] + sample()[:1]) == 0
    assert len(store.files()) == 1
    stored = store.query()
    assert [e.event_id for e in stored] == [e.event_id for e in sample()]
    assert stored[1].mmsis == (111, 222)
    assert stored[1].details == {"median_speed_knots": {"111": 0.5, "222": 0.4}}
    assert stored[2].end is None and stored[2].key == "INBOM"
    assert stored[0] == sample()[0]


def test_an_open_event_that_later_closes_is_stored_as_a_new_version(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events")
    visit = sample()[2]
    store.write([visit])
    closed = Event(
        visit.event_type,
        visit.mmsis,
        visit.start,
        visit.start + timedelta(hours=30),
        72.8,
        18.9,
        "left",
        key="INBOM",
    )
    assert closed.event_id == visit.event_id
    assert store.write([closed]) == 1
    assert store.write([closed]) == 0
    (only,) = store.query()
    assert only.end == closed.end and only.evidence == "left"
    assert len(store.files()) == 2


def test_queries_filter_by_type_vessel_time_and_area(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events")
    store.write(sample())

    def kinds(**filters: object) -> list[str]:
        return [e.event_type.value for e in store.query(EventQuery(**filters))]  # type: ignore[arg-type]

    assert kinds(event_types=(EventType.GAP, EventType.PORT_VISIT)) == ["gap", "port_visit"]
    assert kinds(mmsis=(111,)) == ["gap", "encounter"]
    assert kinds(since=T0 + timedelta(hours=14)) == ["encounter", "port_visit"]
    assert kinds(since=T0 + timedelta(days=30)) == ["port_visit"]  # still open
    assert kinds(until=T0 + timedelta(hours=1)) == ["gap"]
    assert kinds(bbox=(60.0, 10.0, 66.0, 15.0)) == ["gap", "encounter"]
    with pytest.raises(ValidationError):
        EventQuery(since=datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError):
        EventQuery(bbox=(10.0, 0.0, 5.0, 1.0))


def test_geojson_has_one_point_per_event() -> None:
    collection = to_geojson(sample())
    assert collection["type"] == "FeatureCollection"
    first = collection["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [64.0, 14.0]}
    assert first["properties"]["event_type"] == "gap" and first["id"] == sample()[0].event_id
    json.dumps(collection)


def test_cli_lists_filters_and_exports(data_dir: Path, tmp_path: Path) -> None:
    EventStore.open(load_settings(data_dir=data_dir)).write(sample())
    runner = CliRunner()
    base = ["--data-dir", str(data_dir), "events"]
    listed = runner.invoke(app, [*base, "--json", "--type", "gap"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["event_type"] for r in rows] == ["gap"]
    table = runner.invoke(app, [*base, "--mmsi", "333"])
    assert table.exit_code == 0 and "port_visit" in table.stdout
    out = tmp_path / "events.geojson"
    exported = runner.invoke(app, [*base, "--geojson", str(out), "--since", "2024-10-02T00:00:00Z"])
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(out.read_text())["features"]) == 2
    bad = runner.invoke(app, [*base, "--type", "nonsense"])
    assert bad.exit_code != 0
