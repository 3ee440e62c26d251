"""Labels of derived data: events take the derived label of the positions they come from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from setu.ais.schema import FAMILY_SCHEMAS
from setu.clock import fixed_clock
from setu.events import EncounterDetector, EventType
from setu.events.model import Event
from setu.events.ports import PortIndex
from setu.events.run import label_key, run_detectors, with_source_labels
from setu.events.store import EventStore
from setu.security import equivalence as eq
from setu.security.labels import Label
from setu.security.node import NodeIdentity, init_node
from setu.security.source_labels import default_open_ais_label, label_id
from setu.store import MaritimeStore
from setu.store.labels import LabelRegistry
from setu.tracks import Tracks

pytestmark = pytest.mark.unit

T0 = datetime(2024, 6, 1, tzinfo=UTC)
M_PER_DEG = 111_195.0


def node_in(data_dir: Path) -> NodeIdentity:
    return init_node(data_dir, nation="IND", name="mumbai", clock=fixed_clock(T0))


def secret(node: NodeIdentity, rel: frozenset[str] = frozenset({"IND"})) -> Label:
    return Label(
        originator_nation=node.nation,
        originator_node=node.name,
        classification="SECRET",
        releasable_to=rel,
        purposes=frozenset({"MDA"}),
        caveats=frozenset({"ORCON"}),
        created_at=T0 + timedelta(days=1),
    )


def drifting(mmsi: int, minutes: int, lon: float, lat: float, first_hash: int) -> pa.Table:
    """A vessel drifting north at 0.5 kn, one fix a minute, as store position rows."""
    n = minutes + 1
    step_deg = 0.5 * 1852 / 60 / M_PER_DEG
    data = {
        "received_at": [T0 + timedelta(minutes=i) for i in range(n)],
        "mmsi": [mmsi] * n,
        "msg_type": [1] * n,
        "repeat": [0] * n,
        "checksum_ok": [True] * n,
        "msg_hash": list(range(first_hash, first_hash + n)),
        "line_no": list(range(n)),
        "lon": [lon] * n,
        "lat": [lat + i * step_deg for i in range(n)],
        "sog_knots": [0.5] * n,
    }
    schema = FAMILY_SCHEMAS["positions"]
    return pa.table({f.name: data.get(f.name, [None] * n) for f in schema}, schema=schema)


def test_encounter_of_a_secret_track_and_an_open_one_is_secret_with_the_intersection(
    data_dir: Path,
) -> None:
    """A navy's SECRET radar feed and open AIS of the same area, both ingested into one store:
    the encounter between the SECRET-sourced track and the open one is SECRET, releasable only
    where both were (IND), with the union of caveats."""
    node = node_in(data_dir)
    store = MaritimeStore(data_dir / "ais")
    label = secret(node)
    east = 300 / (M_PER_DEG * np.cos(np.radians(12.0)))
    store.labelled(label).write({"positions": drifting(11, 150, 65.0, 12.0, 1_000)})
    store.write({"positions": drifting(22, 150, 65.0 + east, 12.0, 5_000)})
    positions = store.positions()
    assert set(positions["label_id"].to_pylist()) == {label_id(label), None}
    found = run_detectors(positions, [EncounterDetector(ports=PortIndex([]))])
    assert [e.event_type for e in found] == [EventType.ENCOUNTER]
    events = EventStore(data_dir / "events")
    assert events.write(found) == 1
    (stored,) = events.query()
    derived = store.label(stored.label_id or "")
    assert derived.classification == "SECRET"
    assert derived.releasable_to == frozenset({"IND"})
    assert derived.purposes == frozenset({"MDA"}) and derived.caveats == frozenset({"ORCON"})
    assert (derived.originator_nation, derived.originator_node) == ("IND", "mumbai")


def test_events_of_open_positions_only_keep_a_null_label(data_dir: Path) -> None:
    """With every fix open AIS (the common case) the label stays null, and nothing needs a node
    identity (there is none here)."""
    east = 300 / (M_PER_DEG * np.cos(np.radians(12.0)))
    frame = pa.concat_tables(
        [drifting(11, 150, 65.0, 12.0, 1), drifting(22, 150, 65.0 + east, 12.0, 500)]
    )
    found = run_detectors(frame, [EncounterDetector(ports=PortIndex([]))])
    assert found and all(e.label_id is None for e in found)
    events = EventStore(data_dir / "events")
    assert events.write(found) == 1
    assert [e.label_id for e in events.query()] == [None]


def test_event_files_written_before_labels_read_with_a_null_label(tmp_path: Path) -> None:
    """Regression: event files without a label_id column (written before labels existed)."""
    from setu.events.store import EVENT_SCHEMA

    root = tmp_path / "events"
    root.mkdir()
    old = {k: v for k, v in EVENT_SCHEMA.items() if k != "label_id"}
    row = {
        "event_id": "a" * 20,
        "event_type": "gap",
        "mmsis": [1],
        "start": T0,
        "end": None,
        "lon": 0.0,
        "lat": 0.0,
        "evidence": "x",
        "details_json": "{}",
        "parameters_json": "{}",
        "key": "",
    }
    pl.DataFrame([row], schema=old).write_parquet(root / "part-0000000000-old.parquet")
    (event,) = EventStore(root).query()
    assert event.label_id is None and event.event_type == EventType.GAP


def _track(mmsi: int, labels: list[str | None]) -> pl.DataFrame:
    n = len(labels)
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * n,
            "received_at": [T0 + timedelta(minutes=i) for i in range(n)],
            "lon": [65.0] * n,
            "lat": [12.0 + i * 1e-4 for i in range(n)],
            "label_id": labels,
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def test_an_event_takes_the_labels_of_its_span_only() -> None:
    """Fixes outside an event's span do not label it; fixes inside do, open ones as ''."""
    labels: list[str | None] = ["a" * 16] * 5 + [None] * 5 + ["b" * 16] * 5
    tracks = Tracks.from_positions(_track(7, labels))
    event = Event(
        EventType.GAP, (7,), T0 + timedelta(minutes=6), T0 + timedelta(minutes=8), 0, 0, ""
    )
    (inside,) = with_source_labels([event], tracks)
    assert inside.label_id is None
    wide = Event(EventType.GAP, (7,), T0 + timedelta(minutes=3), None, 0, 0, "")
    (labelled,) = with_source_labels([wide], tracks)
    assert labelled.label_id == f"+{'a' * 16}+{'b' * 16}"


def test_label_key_is_none_for_open_inputs_and_the_id_for_one_label() -> None:
    assert label_key([None, None]) is None
    assert label_key(["a" * 16, "a" * 16]) == "a" * 16
    assert label_key(["b" * 16, None, "a" * 16 + "+"]) == f"+{'a' * 16}+{'b' * 16}"


LEVELS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"]
NATIONS = ["IND", "JPN", "USA", "FRA"]


@st.composite
def input_labels(draw: st.DrawFn) -> list[Label | None]:
    """Labels of this node's feeds (None: open AIS), as fixes of one vessel carry them."""
    items: list[Label | None] = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            items.append(None)
            continue
        items.append(
            Label(
                originator_nation="IND",
                originator_node=draw(st.sampled_from(["mumbai", "kochi"])),
                classification=draw(st.sampled_from(LEVELS)),
                releasable_to=frozenset(draw(st.sets(st.sampled_from(NATIONS)))),
                purposes=frozenset(draw(st.sets(st.sampled_from(["MDA", "CT", "HADR"])))),
                caveats=frozenset(draw(st.sets(st.sampled_from(["ORCON", "NOFORN"])))),
                created_at=T0 + timedelta(hours=draw(st.integers(0, 1000))),
            )
        )
    return items


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inputs=input_labels())
def test_derived_event_labels_never_widen(tmp_path_factory: pytest.TempPathFactory, inputs) -> None:
    """Whatever labels the fixes carry, the event's label is at least as high as each and
    releasable, for purposes, only where each is; caveats accumulate."""
    data_dir = tmp_path_factory.mktemp("node")
    node = node_in(data_dir)
    registry = LabelRegistry(data_dir / "ais" / "labels")
    ids = [None if lb is None else registry.register(lb) for lb in inputs]
    tracks = Tracks.from_positions(_track(7, ids))
    event = Event(EventType.GAP, (7,), T0, None, 0, 0, "")
    (labelled,) = with_source_labels([event], tracks)
    resolved = registry.resolve_key(labelled.label_id, lambda: node)
    if all(lb is None for lb in inputs):
        assert resolved is None
        return
    derived = registry.get(resolved or "")
    for lb in (default_open_ais_label(node) if x is None else x for x in inputs):
        assert eq.rank(derived.originator_nation, derived.classification) >= eq.rank(
            lb.originator_nation, lb.classification
        )
        assert derived.releasable_to <= lb.releasable_to
        assert derived.purposes <= lb.purposes
        assert derived.caveats >= lb.caveats


def test_a_point_interpolated_between_two_labels_names_both() -> None:
    """Resampling (the encounter grid) never drops a label: a grid point between fixes of
    labels a and b carries a+b, an exact fix its own, all-open tracks stay null."""
    a, b = "a" * 16, "b" * 16
    tracks = Tracks.from_positions(_track(7, [a, a, b]))
    grid = tracks.resample(30.0).frame.sort("received_at")
    assert grid["label_id"].to_list() == [a, a, a, f"{a}+{b}", b]
    assert label_key(grid["label_id"].to_list()) == f"{a}+{b}"
    open_grid = Tracks.from_positions(_track(7, [None, None])).resample(30.0).frame
    assert open_grid["label_id"].null_count() == open_grid.height
