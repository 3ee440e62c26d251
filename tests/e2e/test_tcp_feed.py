"""Live feeds end to end: a real feeder process serving NMEA on 127.0.0.1, ingested in-process.

Checks that nothing is lost at 50,000 sentences per second over TCP, across a dropped and
re-opened connection, and over UDP; and that every message gets the feed clock's receive time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest

from setu.ingest import Backoff, IngestSummary, MemorySink, TcpSource, UdpSource, ingest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

_WAIT_S = 90.0


class _CountingSink(MemorySink):
    """Keeps only positions' receive-time bounds and counts (bounded memory for big feeds)."""

    def __init__(self) -> None:
        super().__init__()
        self.positions = 0
        self.null_times = 0
        self.times: list[datetime] = []
        self.lock = threading.Lock()

    def write(self, tables, rejects) -> None:  # type: ignore[override]
        table = tables.get("positions")
        if table is not None and table.num_rows:
            column = table["received_at"]
            with self.lock:
                self.positions += table.num_rows
                self.null_times += column.null_count
                self.times.extend(t for t in (column[0].as_py(), column[-1].as_py()) if t)
        if rejects.num_rows:
            self.reject_parts.append(rejects)


def _feeder(*args: str) -> tuple[subprocess.Popen[str], int | None]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "setu.ingest.feeder", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    if args[0] != "tcp":
        return proc, None
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("READY "), line
    return proc, int(line.split()[1])


def _report(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = proc.communicate(timeout=_WAIT_S)
    return json.loads(out.strip().splitlines()[-1])


def _run_until(source, sink: _CountingSink, expected: int) -> IngestSummary:
    stop = threading.Event()
    results: list[IngestSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(ingest([source], sink, stop=stop))
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    deadline = time.monotonic() + _WAIT_S
    while time.monotonic() < deadline and sink.positions < expected and not errors:
        time.sleep(0.05)
    time.sleep(0.3)  # anything beyond the expected count would show up now
    stop.set()
    runner.join(_WAIT_S)
    if errors:
        raise errors[0]
    return results[0]


def test_tcp_feed_at_50k_per_second_loses_nothing() -> None:
    count = 150_000  # 3 s at 50k/s
    started = datetime.now(UTC)
    proc, port = _feeder("tcp", "--port", "0", "--rate", "50000", "--count", str(count))
    sink = _CountingSink()
    summary = _run_until(TcpSource("127.0.0.1", port or 0), sink, count)
    report = _report(proc)
    ended = datetime.now(UTC)
    assert report["sent"] == count
    assert sink.positions == summary.messages == count
    assert summary.rejected == {}
    assert sink.null_times == 0
    assert all(started <= t <= ended for t in sink.times)
    assert summary.first_received_at is not None and summary.last_received_at is not None
    assert summary.last_received_at >= summary.first_received_at


def test_tcp_feed_reconnects_after_a_drop_and_loses_nothing() -> None:
    count = 60_000
    proc, port = _feeder(
        "tcp", "--port", "0", "--rate", "50000", "--count", str(count),
        "--drop-after", "25000", "--down-s", "0.5",
    )  # fmt: skip
    source = TcpSource("127.0.0.1", port or 0, backoff=Backoff(initial_s=0.05, max_s=0.5))
    sink = _CountingSink()
    summary = _run_until(source, sink, count)
    report = _report(proc)
    assert report["sent"] == count
    assert sink.positions == count
    assert summary.reconnects >= 1
    assert source.failed_attempts >= 1  # the feeder was down for a while
    assert sink.null_times == 0


def test_udp_feed_loses_nothing_at_a_moderate_rate() -> None:
    count = 20_000
    source = UdpSource(0)
    _, port = source.bind()
    sink = _CountingSink()
    proc, _ = _feeder("udp", "--port", str(port), "--rate", "10000", "--count", str(count))
    summary = _run_until(source, sink, count)
    report = _report(proc)
    assert report["sent"] == count
    assert sink.positions == summary.messages == count
    assert sink.null_times == 0
