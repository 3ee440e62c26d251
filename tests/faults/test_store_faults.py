"""Faults of the store, with real ``setu`` processes and exact counts after each.

- SIGKILL at seeded random points of a file ingest, then a rerun: the store ends exactly as after
  one clean run, with no temp file left.
- Concurrent ingests of overlapping input: exactly the rows of the same ingests run one after
  the other; a file ingest completes while a long-running ingest holds its writer open.
- A corrupted Parquet file: reads name it, `store check` finds it, `store repair` makes every
  read command work again.
- Disk full (a 2 MiB tmpfs): a clear error, no traceback, no half file, earlier flushes kept.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from setu.store import MaritimeStore
from setu.store.health import check_store

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: Flush often, so that kills and concurrent writers meet flushes in progress.
FAST_FLUSH = {"SETU_FLUSH_INTERVAL_S": "0.1"}
JUNK = ["garbage line one", "!AIVDM,1,1,,A,bad*00", "$GPGGA,not,ais*11", "foo [/x] bar"]

Run = Callable[..., Any]


def _counts(data_dir: Path) -> dict[str, int]:
    """Rows per table, and the number of distinct dedupe keys per table (must be equal)."""
    store = MaritimeStore(data_dir / "ais")
    out = dict(store.counts())
    for table in ("positions", "statics", "base_stations", "other"):
        sql = f"SELECT count(DISTINCT (msg_hash, received_at)) AS n FROM {table}"
        out[f"distinct_{table}"] = int(store.sql(sql)["n"][0].as_py())
    sql = "SELECT count(DISTINCT (origin, line_no, raw)) AS n FROM rejects"
    out["distinct_rejects"] = int(store.sql(sql)["n"][0].as_py())
    return out


def _temp_files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory, setu_exe: Path) -> Path:
    """A simulated feed (about 200,000 sentences) with a few junk lines for the rejects."""
    directory = tmp_path_factory.mktemp("feed")
    path = directory / "feed.nmea"
    subprocess.run(
        [str(setu_exe), "simulate", "--scenario", "quiet-arabian-sea", "--out", str(path)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    with path.open("a") as out:
        out.write("\n".join(JUNK) + "\n")
    return path


@pytest.fixture(scope="module")
def halves(feed: Path) -> tuple[Path, Path]:
    """Two files that overlap: lines 0–2/3 and 1/3–end of the feed."""
    lines = feed.read_text().splitlines(keepends=True)
    third = len(lines) // 3
    first, second = feed.with_name("first.nmea"), feed.with_name("second.nmea")
    first.write_text("".join(lines[: 2 * third]))
    second.write_text("".join(lines[third:]))
    return first, second


@pytest.fixture(scope="module")
def reference(
    feed: Path, tmp_path_factory: pytest.TempPathFactory, setu_exe: Path
) -> tuple[dict[str, int], float]:
    """Counts after one clean ingest of the feed, and how long that ingest took."""
    data_dir = tmp_path_factory.mktemp("reference")
    started = time.monotonic()
    subprocess.run(
        [str(setu_exe), "--data-dir", str(data_dir), "ingest", str(feed), "--json"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return _counts(data_dir), time.monotonic() - started


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sigkill_at_a_random_point_then_a_rerun_stores_exactly_one_clean_run(
    seed: int,
    feed: Path,
    reference: tuple[dict[str, int], float],
    data_dir: Path,
    start_setu: Run,
    run_setu: Run,
) -> None:
    expected, clean_s = reference
    delay_s = random.Random(seed).uniform(0.2, 0.95) * clean_s
    proc = start_setu("ingest", feed, "--json", data_dir=data_dir, env=FAST_FLUSH)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    rerun = run_setu("ingest", feed, "--json", data_dir=data_dir, env=FAST_FLUSH)
    assert rerun.rc == 0, rerun
    assert _counts(data_dir) == expected
    assert _temp_files(data_dir) == []
    assert check_store(MaritimeStore(data_dir / "ais")).ok


def test_concurrent_overlapping_ingests_store_what_a_serial_run_stores(
    halves: tuple[Path, Path],
    tmp_path: Path,
    start_setu: Run,
    run_setu: Run,
) -> None:
    """Regression: two concurrent ingests of overlapping input stored every row twice."""
    first, second = halves
    serial = tmp_path / "serial"
    for path in (first, second):
        assert run_setu("ingest", path, "--json", data_dir=serial).rc == 0
    expected = _counts(serial)
    assert expected["positions"] == expected["distinct_positions"] > 0
    for round_no, inputs in enumerate([(first, second), (first, first)]):
        concurrent = tmp_path / f"concurrent-{round_no}"
        procs = [
            start_setu("ingest", path, "--json", data_dir=concurrent, env=FAST_FLUSH)
            for path in inputs
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err.decode()
        counts = _counts(concurrent)
        reference = expected if inputs[1] == second else _single(first, tmp_path, run_setu)
        assert counts == reference, round_no


def _single(path: Path, tmp_path: Path, run_setu: Run) -> dict[str, int]:
    alone = tmp_path / "alone"
    assert run_setu("ingest", path, "--json", data_dir=alone).rc == 0
    return _counts(alone)


def test_a_file_ingest_completes_while_another_ingest_holds_its_writer_open(
    halves: tuple[Path, Path],
    tmp_path: Path,
    start_setu: Run,
    run_setu: Run,
) -> None:
    """No global lock: a long-running ingest (stdin here, like a live feed) and a file ingest
    of overlapping input share one data directory and store each row once."""
    first, second = halves
    serial = tmp_path / "serial"
    for path in (first, second):
        assert run_setu("ingest", path, "--json", data_dir=serial).rc == 0
    shared = tmp_path / "shared"
    live = start_setu("ingest", "-", "--json", data_dir=shared, stdin=subprocess.PIPE)
    assert live.stdin is not None
    lines = first.read_bytes().splitlines(keepends=True)
    live.stdin.write(b"".join(lines[: len(lines) // 2]))
    live.stdin.flush()
    done = run_setu("ingest", second, "--json", data_dir=shared, env=FAST_FLUSH, timeout_s=600)
    assert done.rc == 0, done
    assert live.poll() is None  # the long-running ingest is still open
    live.stdin.write(b"".join(lines[len(lines) // 2 :]))
    live.stdin.close()
    live.wait(timeout=600)
    assert live.returncode == 0
    # stdin rows carry the origin "stdin", so compare the decoded tables (rejects differ by origin)
    got, want = _counts(shared), _counts(serial)
    for table in ("positions", "statics", "base_stations", "other"):
        assert got[table] == want[table] == got[f"distinct_{table}"], table


def test_a_corrupted_parquet_file_is_named_then_checked_and_repaired(
    feed: Path, data_dir: Path, run_setu: Run
) -> None:
    """Regression: one truncated positions file broke positions, vessels, events detect and
    rejects with tracebacks."""
    assert run_setu("ingest", feed, "--json", data_dir=data_dir).rc == 0
    store = MaritimeStore(data_dir / "ais")
    damaged = store.files("positions")[0]
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    for command in (["positions", "--limit", "5"], ["vessels"], ["events", "detect"]):
        result = run_setu(*command, data_dir=data_dir)
        assert result.rc == 1, result
        assert damaged.name in result.stderr and "setu store repair" in result.stderr, result
        assert "Traceback" not in result.stderr, result
    assert run_setu("rejects", "--json", data_dir=data_dir).rc == 0
    checked = run_setu("store", "check", "--json", data_dir=data_dir)
    assert checked.rc == 6, checked
    [found] = checked.json()["damage"]
    assert found["path"] == str(damaged) and found["problem"] == "unreadable_footer"
    repaired = run_setu("store", "repair", "--json", data_dir=data_dir)
    assert repaired.rc == 0, repaired
    assert repaired.json()["ok_after"] is True
    assert (data_dir / "ais" / "quarantine" / "positions").is_dir()
    for command in (["positions", "--limit", "5"], ["vessels"], ["rejects"], ["events", "detect"]):
        result = run_setu(*command, data_dir=data_dir)
        assert result.rc == 0, result
    assert run_setu("store", "check", data_dir=data_dir).rc == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs mounted for the test (skips when mounting is not allowed)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs for the disk-full test: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True)


def test_a_full_disk_stops_the_ingest_with_a_clear_error_and_keeps_what_was_flushed(
    feed: Path,
    reference: tuple[dict[str, int], float],
    small_disk: Path,
    run_setu: Run,
) -> None:
    data_dir = small_disk / "setu"
    head = small_disk.parent / "head.nmea"
    with feed.open() as source:
        head.write_text("".join(line for _, line in zip(range(3000), source, strict=False)))
    assert run_setu("ingest", head, data_dir=data_dir).rc == 0
    before = _counts(data_dir)
    assert before["positions"] > 0
    result = run_setu("ingest", feed, data_dir=data_dir, env=FAST_FLUSH)
    assert result.rc == 1, result
    assert "no space left on device" in result.stderr, result
    assert "Traceback" not in result.stderr, result
    assert _temp_files(data_dir) == []
    store = MaritimeStore(data_dir / "ais")
    assert check_store(store).ok  # every visible file is whole
    assert store.counts()["positions"] >= before["positions"]  # what was stored is kept
    # free space, run the same ingest again: the store ends as after one clean run
    grown = subprocess.run(
        ["mount", "-o", "remount,size=256m", str(small_disk)], capture_output=True, check=False
    )
    assert grown.returncode == 0, grown.stderr
    assert run_setu("ingest", feed, data_dir=data_dir).rc == 0
    expected, _ = reference
    got = _counts(data_dir)
    for table in ("positions", "statics", "base_stations", "other"):
        assert got[table] == expected[table] == got[f"distinct_{table}"], table
