"""The distributed run returns exactly the single-process events (ids and every field)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from distributed import Client

from setu.cli import main
from setu.errors import ConfigError
from setu.events import Event
from setu.events.run import make_detectors, run_detectors
from setu.scale import detect_distributed, open_client, split_by_bucket
from setu.scale.plan import bucket_expr
from setu.settings import Settings
from setu.store import open_store

from .conftest import as_store_table


def records(events: list[Event]) -> list[dict]:
    return [e.to_dict() for e in events]


@pytest.fixture(scope="module")
def single(scenario: pl.DataFrame, shore_cache: Path) -> list[Event]:
    return run_detectors(scenario, make_detectors())


@pytest.fixture(scope="module")
def threads() -> Iterator[Client]:
    with open_client("local", n_workers=2, processes=False) as client:
        yield client


@pytest.mark.unit
def test_scenario_holds_what_the_partitioning_could_break(
    scenario: pl.DataFrame, single: list[Event]
) -> None:
    kinds = Counter(e.event_type.value for e in single)
    assert {"gap", "coverage_hole", "encounter", "port_visit", "loitering"} <= set(kinds)
    straddling = [
        e
        for e in single
        if e.event_type.value == "encounter" and e.mmsis == (419_000_101, 636_000_202)
    ]
    assert len(straddling) == 1
    enc = straddling[0]
    assert enc.start.day == 1 and enc.end is not None and enc.end.day == 2
    buckets = (
        pl.DataFrame({"mmsi": list(enc.mmsis)}, schema={"mmsi": pl.UInt32})
        .select(bucket_expr(pl.col("mmsi"), 3))
        .to_series()
        .to_list()
    )
    assert buckets[0] != buckets[1]
    hole = next(e for e in single if e.event_type.value == "coverage_hole")
    assert len(hole.mmsis) == 4


@pytest.mark.slow
@pytest.mark.parametrize("partitions", [1, 3, 5])
def test_threads_cluster_finds_exactly_the_single_process_events(
    scenario: pl.DataFrame,
    single: list[Event],
    threads: Client,
    shore_cache: Path,
    partitions: int,
) -> None:
    found = detect_distributed(
        scenario, make_detectors(), client=threads, partitions=partitions, cache_dir=shore_cache
    )
    assert records(found) == records(single)


@pytest.mark.slow
def test_store_read_by_day_with_a_range_equals_the_single_run(
    scenario: pl.DataFrame, threads: Client, shore_cache: Path, data_dir: Path
) -> None:
    from datetime import UTC, datetime

    store = open_store(Settings(data_dir=data_dir))
    store.write({"positions": as_store_table(scenario)})
    assert len(store.days("positions")) >= 3
    start, end = datetime(2024, 9, 1, 12, tzinfo=UTC), datetime(2024, 9, 3, 6, tzinfo=UTC)
    expected = run_detectors(store.positions(start=start, end=end), make_detectors())
    found = detect_distributed(
        store, make_detectors(), client=threads, start=start, end=end, cache_dir=shore_cache
    )
    assert records(found) == records(expected)
    assert found


@pytest.mark.unit
def test_buckets_keep_each_vessel_whole_and_rows_in_order(scenario: pl.DataFrame) -> None:
    parts = split_by_bucket(scenario, 4)
    assert sum(p.height for p in parts) == scenario.height
    seen: set[int] = set()
    for part in parts:
        mmsis = set(part["mmsi"].to_list())
        assert not mmsis & seen
        seen |= mmsis
        original = scenario.filter(pl.col("mmsi").is_in(sorted(mmsis)))
        assert part.equals(original)


@pytest.mark.unit
def test_unknown_cluster_names_say_what_to_give() -> None:
    with pytest.raises(ConfigError, match="'local' or a scheduler address"), open_client("yarn"):
        pass


@pytest.mark.e2e
@pytest.mark.slow
def test_worker_processes_on_loopback_find_the_single_process_events(
    scenario: pl.DataFrame, single: list[Event], shore_cache: Path
) -> None:
    with open_client("local", n_workers=2, processes=True) as client:
        addresses = list(client.scheduler_info()["workers"])
        assert len(addresses) == 2 and all(a.startswith("tcp://127.0.0.1:") for a in addresses)
        found = detect_distributed(scenario, make_detectors(), client=client, cache_dir=shore_cache)
    assert records(found) == records(single)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


@pytest.mark.e2e
@pytest.mark.slow
def test_cli_detect_on_a_local_cluster_stores_the_single_process_events(
    capsys: pytest.CaptureFixture[str],
    scenario: pl.DataFrame,
    shore_cache: Path,
    data_dir: Path,
) -> None:
    import shutil

    shutil.copytree(shore_cache, data_dir / "cache")
    store = open_store(Settings(data_dir=data_dir))
    store.write({"positions": as_store_table(scenario)})
    expected = run_detectors(
        store.positions(start=None, end=None), make_detectors(statics=store.statics())
    )
    base = ("--data-dir", str(data_dir), "events", "detect", "--from", "2024-09-01")
    code, out = run_cli(capsys, *base, "--to", "2024-09-04", "--cluster", "local", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["positions"] == scenario.height
    assert summary["events"] == len(expected) == summary["added"]
    code, out = run_cli(capsys, "--data-dir", str(data_dir), "events", "--json", "--limit", "0")
    stored = [json.loads(line) for line in out.splitlines()]
    assert sorted(e["event_id"] for e in stored) == sorted(e.event_id for e in expected)
    # the same range in this process adds nothing: the events are the same
    code, out = run_cli(capsys, *base, "--to", "2024-09-04", "--json")
    assert code == 0 and json.loads(out)["added"] == 0


@pytest.mark.unit
def test_cli_refuses_both_range_styles(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, _ = run_cli(
        capsys,
        "--data-dir",
        str(data_dir),
        "events",
        "detect",
        "--from",
        "2024-09-01",
        "--since",
        "2024-09-01T00:00:00Z",
    )
    assert code == ConfigError.exit_code


@pytest.mark.unit
def test_used_detectors_are_refused_with_a_fix_rather_than_stalling_the_cluster(
    scenario: pl.DataFrame, threads: Client, shore_cache: Path
) -> None:
    # Regression: a worker forwarding detectors it had used (they hold locks and loaded grids)
    # failed to pickle them and the run stalled. Detectors now travel as bytes pickled up front.
    from setu.events.shore import load_shore

    used = make_detectors(["gap"])
    used[0]._shore = load_shore(shore_cache)  # type: ignore[attr-defined]
    try:
        import pickle

        pickle.dumps(used)
    except TypeError:
        with pytest.raises(ConfigError, match="have not run yet"):
            detect_distributed(scenario.head(100), used, client=threads)
    fresh = detect_distributed(scenario, make_detectors(["gap"]), client=threads)
    assert records(fresh) == records(run_detectors(scenario, make_detectors(["gap"])))
