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
