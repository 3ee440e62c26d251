"""Detection by day and batch of vessels in one process: exactly the single-process events."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from setu.cli import main
from setu.errors import ConfigError, StoreError
from setu.events import Event
from setu.events.run import make_detectors, run_detectors
from setu.scale.partitioned import _batches, detect_partitioned
from setu.settings import Settings
from setu.store import MaritimeStore, open_store

from .conftest import as_store_table


def records(events: list[Event]) -> list[dict]:
    return [e.to_dict() for e in events]


@pytest.fixture(scope="module")
def stored(scenario: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> MaritimeStore:
    data_dir = tmp_path_factory.mktemp("setu-data")
    store = open_store(Settings(data_dir=data_dir))
    store.write({"positions": as_store_table(scenario)})
    return store


@pytest.fixture(scope="module")
def single(stored: MaritimeStore, shore_cache: Path) -> list[Event]:
    return run_detectors(stored.positions(), make_detectors())


@pytest.mark.unit
def test_the_store_spans_days_and_the_events_cross_them(
    stored: MaritimeStore, single: list[Event]
) -> None:
    assert len(stored.days("positions")) >= 3
    crossing = [e for e in single if e.end is not None and e.end.date() > e.start.date()]
    assert {"encounter", "gap"} <= {e.event_type.value for e in crossing}


@pytest.mark.slow
@pytest.mark.parametrize(("positions_per_batch", "buckets"), [(10**9, 1), (5_000, 7), (1, 64)])
def test_by_day_and_batch_finds_exactly_the_single_process_events(
    stored: MaritimeStore, single: list[Event], positions_per_batch: int, buckets: int
) -> None:
    run = detect_partitioned(
        stored, make_detectors(), positions_per_batch=positions_per_batch, buckets=buckets
    )
    assert records(run.events) == records(single)
    assert run.positions == stored.positions().num_rows
    assert run.days == len(stored.days("positions"))
    assert run.batches >= min(buckets, 2) if positions_per_batch < 10**9 else run.batches == 1


@pytest.mark.slow
def test_a_range_by_day_equals_the_single_run_over_that_range(
    stored: MaritimeStore, shore_cache: Path
) -> None:
    start, end = datetime(2024, 9, 1, 12, tzinfo=UTC), datetime(2024, 9, 3, 6, tzinfo=UTC)
    expected = run_detectors(stored.positions(start=start, end=end), make_detectors())
    run = detect_partitioned(stored, make_detectors(), start=start, end=end, buckets=5)
    assert records(run.events) == records(expected)
    assert run.events


@pytest.mark.unit
def test_an_empty_store_finds_nothing(data_dir: Path) -> None:
    run = detect_partitioned(open_store(Settings(data_dir=data_dir)), make_detectors())
    assert (run.events, run.positions, run.days, run.batches) == ([], 0, 0, 0)


@pytest.mark.unit
def test_an_unusable_scratch_directory_says_what_to_do(
    stored: MaritimeStore, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match="TMPDIR"):
        detect_partitioned(stored, make_detectors(["loitering"]), scratch_dir=tmp_path / "absent")


@pytest.mark.unit
def test_scratch_files_are_removed_afterwards(stored: MaritimeStore, tmp_path: Path) -> None:
    detect_partitioned(stored, make_detectors(["loitering"]), scratch_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.unit
def test_detectors_that_need_every_position_are_refused() -> None:
    class Whole:
        name = "whole_sea"

        def detect(self, tracks: object) -> list[Event]:
            return []

    with pytest.raises(ConfigError, match="whole_sea"):
        detect_partitioned(None, [Whole()])  # type: ignore[arg-type]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("sizes", "limit", "expected"),
    [
        ([3, 0, 4, 2, 9, 1], 6, [[0], [2, 3], [4], [5]]),
        ([0, 0], 5, []),
        ([1, 1, 1], 10, [[0, 1, 2]]),
    ],
)
def test_batches_group_consecutive_buckets_up_to_the_limit(
    sizes: list[int], limit: int, expected: list[list[int]]
) -> None:
    assert _batches(sizes, limit) == expected


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


@pytest.mark.slow
def test_cli_detect_by_day_stores_the_single_process_events(
    capsys: pytest.CaptureFixture[str],
    scenario: pl.DataFrame,
    shore_cache: Path,
    data_dir: Path,
) -> None:
    shutil.copytree(shore_cache, data_dir / "cache")
    store = open_store(Settings(data_dir=data_dir))
    store.write({"positions": as_store_table(scenario)})
    expected = run_detectors(store.positions(), make_detectors(statics=store.statics()))
    base = ("--data-dir", str(data_dir), "events", "detect")
    code, out = run_cli(capsys, *base, "--batch-positions", "3000", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["positions"] == scenario.height
    assert summary["events"] == len(expected) == summary["added"]
    code, out = run_cli(capsys, *base, "--all-at-once", "--json")
    assert code == 0 and json.loads(out)["added"] == 0


@pytest.mark.unit
def test_cli_refuses_a_batch_size_below_one(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    base = ("--data-dir", str(data_dir), "events", "detect")
    code, _ = run_cli(capsys, *base, "--batch-positions", "0")
    assert code == 2  # a usage error


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory, shore_cache: Path) -> MaritimeStore:
    """The simulator's demo scenario (identity changes, drift with vessel lengths: detectors
    that read statics) in a store, positions and statics."""
    from setu.ingest import MemorySink, ingest, sources_for
    from setu.sim import simulate

    folder = tmp_path_factory.mktemp("demo")
    nmea, _truth = simulate("demo", seed=1).write(folder / "demo.nmea")
    sink = MemorySink()
    ingest(sources_for(paths=[str(nmea)]), sink)
    store = open_store(Settings(data_dir=folder / "setu-data"))
    store.write({"positions": sink.table("positions"), "statics": sink.table("statics")})
    return store


@pytest.mark.slow
def test_statics_read_by_batch_give_the_events_of_all_statics_at_once(
    demo_store: MaritimeStore,
) -> None:
    expected = run_detectors(demo_store.positions(), make_detectors(statics=demo_store.statics()))
    assert {"identity_change", "drift"} <= {e.event_type.value for e in expected}
    run = detect_partitioned(demo_store, make_detectors(), buckets=9, positions_per_batch=2_000)
    assert run.batches > 1
    assert records(run.events) == records(expected)


@pytest.mark.slow
def test_gap_and_encounter_events_carry_their_vessels_labels_as_in_one_process(
    scenario: pl.DataFrame, tmp_path: Path, shore_cache: Path
) -> None:
    # Regression: the events of the shared steps (gaps, encounters) were built from thinned
    # fixes and grids, which carry no labels, and came out unlabelled.
    import pyarrow as pa

    from setu.scale import detect_distributed, open_client

    table = as_store_table(scenario)
    labelled = {419_000_101: "L-navy", 563_000_401: "L-coast"}  # an encounter, a gap
    label = [labelled.get(m) for m in table["mmsi"].to_pylist()]
    table = table.append_column("label_id", pa.array(label, pa.string()))
    store = open_store(Settings(data_dir=tmp_path / "setu-data"))
    store.write({"positions": table})
    expected = run_detectors(store.positions(), make_detectors())
    tagged = {e.event_type.value for e in expected if e.label_id}
    assert {"encounter", "gap"} <= tagged
    # one bucket per batch: the open vessel of the encounter is in a batch without labels
    run = detect_partitioned(store, make_detectors(), buckets=16, positions_per_batch=1)
    assert records(run.events) == records(expected)
    with open_client("local", n_workers=2, processes=False) as client:
        found = detect_distributed(store, make_detectors(), client=client, cache_dir=shore_cache)
    assert records(found) == records(expected)


@pytest.mark.slow
def test_cli_detect_by_day_reads_statics_by_batch_and_stores_the_same_events(
    capsys: pytest.CaptureFixture[str], demo_store: MaritimeStore, shore_cache: Path
) -> None:
    data_dir = demo_store.root.parent
    shutil.copytree(shore_cache, data_dir / "cache", dirs_exist_ok=True)
    expected = run_detectors(demo_store.positions(), make_detectors(statics=demo_store.statics()))
    base = ("--data-dir", str(data_dir), "events", "detect")
    code, out = run_cli(capsys, *base, "--batch-positions", "2000", "--json")
    assert code == 0 and json.loads(out)["added"] == len(expected)
    code, out = run_cli(capsys, *base, "--all-at-once", "--json")
    assert code == 0 and json.loads(out)["added"] == 0
