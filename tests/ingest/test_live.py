"""Live feeds in one process: backoff schedule, TCP client and UDP listener on 127.0.0.1, the
heartbeat that lets the store flush on time, failed attempts, idle timeout and UDP loss."""

from __future__ import annotations

import contextlib
import random
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from setu.ais.batch import NO_TIME
from setu.clock import fixed_clock
from setu.errors import ConfigError, SourceError
from setu.ingest import Backoff, Chunk, MemorySink, TcpSource, UdpSource, ingest
from setu.ingest.feeder import position_sentence
from setu.ingest.live import Batcher
from setu.store import MaritimeStore

pytestmark = pytest.mark.unit

T0 = datetime(2025, 5, 1, 6, 30, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    backoff = Backoff(initial_s=0.5, max_s=8.0, factor=2.0, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff.delay_s(n, rng) for n in range(8)]
    bases = [0.5, 1, 2, 4, 8, 8, 8, 8]
    for delay, base in zip(delays, bases, strict=True):
        assert base * 0.5 <= delay <= base
    assert len(set(delays)) == len(delays)  # jittered: no two the same
    assert Backoff(jitter=0).delay_s(3, rng) == 4.0


def test_backoff_rejects_bad_settings() -> None:
    with pytest.raises(ConfigError):
        Backoff(initial_s=0)
    with pytest.raises(ConfigError):
        Backoff(max_attempts=0)


def test_tcp_retries_on_a_fake_clock_then_gives_up() -> None:
    now = [0.0]
    source = TcpSource(
        "127.0.0.1",
        _free_port(),
        backoff=Backoff(initial_s=1.0, max_s=10.0, jitter=0.25, max_attempts=6),
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        rng=random.Random(1),
    )
    with pytest.raises(SourceError, match="after 6 attempts"):
        ingest([source], MemorySink())
    assert source.failed_attempts == 6 and source.reconnects == 0
    assert len(source.delays_s) == 5
    for delay, base in zip(source.delays_s, [1, 2, 4, 8, 10], strict=True):
        assert 0.75 * base <= delay <= base
    assert now[0] == pytest.approx(sum(source.delays_s))


def _serve(server: socket.socket, payloads: list[bytes]) -> None:
    for payload in payloads:
        conn, _ = server.accept()
        with conn:
            conn.sendall(payload)


def test_tcp_reconnects_and_keeps_everything_received() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    first = b"".join(f"{position_sentence(i)}\r\n".encode() for i in range(300))
    second = b"".join(f"{position_sentence(i)}\r\n".encode() for i in range(300, 500))
    cut = first + b"!AIVDM,1,1,,A,13u?etPv2;0n"  # the connection drops mid-line
    thread = threading.Thread(target=_serve, args=(server, [cut, second]), daemon=True)
    thread.start()
    stop = threading.Event()
    sink = MemorySink()
    source = TcpSource(
        "127.0.0.1",
        port,
        backoff=Backoff(initial_s=0.01, max_s=0.05),
        max_latency_s=0.01,
    )
    runner = threading.Thread(
        target=lambda: results.append(ingest([source], sink, clock=fixed_clock(T0), stop=stop))
    )
    results: list = []
    runner.start()
    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and sum(t.num_rows for t in sink.parts.get("positions", [])) < 500
    ):
        time.sleep(0.02)
    stop.set()
    runner.join(10)
    server.close()
    summary = results[0]
    assert summary.accepted == {"positions": 500}
    assert summary.rejected_records == 1  # the cut line, kept as a reject
    assert sink.rejects()["line_no"].to_pylist() == [301]
    assert summary.reconnects >= 1 and source.connections >= 2
    assert set(sink.table("positions")["received_at"].to_pylist()) == {T0}
    assert sink.table("positions")["line_no"].to_pylist()[-1] == 501
    assert summary.origins == (f"tcp://127.0.0.1:{port}",)


def test_udp_listener_stamps_datagrams_with_the_feed_clock() -> None:
    source = UdpSource(0)
    host, port = source.bind()
    sink = MemorySink()
    stop = threading.Event()
    results: list = []
    runner = threading.Thread(
        target=lambda: results.append(ingest([source], sink, clock=fixed_clock(T0), stop=stop))
    )
    runner.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for i in range(200):
            tx.sendto(position_sentence(i).encode(), (host, port))  # no line break
            if i % 50 == 0:
                time.sleep(0.01)
    deadline = time.monotonic() + 10
    while (
        time.monotonic() < deadline
        and sum(t.num_rows for t in sink.parts.get("positions", [])) < 200
    ):
        time.sleep(0.02)
    stop.set()
    runner.join(10)
    summary = results[0]
    assert summary.accepted == {"positions": 200}
    assert summary.origins == (f"udp://127.0.0.1:{port}",)
    assert set(sink.table("positions")["received_at"].to_pylist()) == {T0}
    assert source.datagrams == 200


# -- heartbeat, time-bound flush, failures, idle timeout, UDP loss ---------------------------


class _FakeClock:
    """A monotonic clock the test moves by hand (and a sleep that moves it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_an_idle_live_source_beats_once_per_heartbeat() -> None:
    clock = _FakeClock()
    batcher = Batcher(1024, 0.25, heartbeat_s=1.0, monotonic=clock)
    assert batcher.poll() is None
    clock.now = 0.99
    assert batcher.poll() is None
    clock.now = 1.0
    beat = batcher.poll()
    assert beat is not None and beat.data == b""
    assert batcher.poll() is None  # the next one is due a heartbeat later
    batcher.add(b"x\n", 1, 5)
    clock.now = 1.5  # latency reached: the data goes, and counts as a beat
    chunk = batcher.poll()
    assert chunk is not None and chunk.data == b"x\n"
    clock.now = 2.25
    assert batcher.poll() is None
    clock.now = 2.5
    assert batcher.poll() == Chunk(b"", 1, NO_TIME, 0)


def _serve_then_hold(server: socket.socket, payload: bytes, release: threading.Event) -> None:
    conn, _ = server.accept()
    with conn:
        conn.sendall(payload)
        release.wait(30)


def test_rows_of_a_silent_feed_reach_the_store_within_the_flush_interval(tmp_path) -> None:
    """Regression: a live ingest kept everything in memory until it ended."""
    server = socket.create_server(("127.0.0.1", 0))
    payload = b"".join(f"{position_sentence(i)}\r\n".encode() for i in range(100))
    release = threading.Event()
    threading.Thread(target=_serve_then_hold, args=(server, payload, release), daemon=True).start()
    store = MaritimeStore(tmp_path / "ais")
    stop = threading.Event()
    source = TcpSource("127.0.0.1", server.getsockname()[1], max_latency_s=0.01)
    with store.writer(flush_interval_s=0.2) as writer:
        runner = threading.Thread(target=lambda: ingest([source], writer, stop=stop))
        runner.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and store.counts()["positions"] < 100:
            time.sleep(0.05)
        stored_while_running = store.counts()["positions"]
        stop.set()
        runner.join(30)
    release.set()
    server.close()
    assert stored_while_running == 100  # written by the heartbeat, not by the end of the run
    assert writer.buffered_rows == 0


def test_failed_attempts_are_counted_and_reported_with_their_reason_at_a_bounded_rate() -> None:
    clock = _FakeClock()
    notices: list[str] = []
    source = TcpSource(
        "127.0.0.1",
        _free_port(),
        backoff=Backoff(initial_s=1.0, max_s=4.0, jitter=0.0, max_attempts=12),
        sleep=clock.sleep,
        monotonic=clock,
        notify=notices.append,
        report_interval_s=10.0,
    )
    with pytest.raises(SourceError, match=r"after 12 attempts \(connection refused\)"):
        ingest([source], MemorySink())
    assert source.failed_attempts == 12 and source.connections == 0
    assert source.last_error == "connection refused"
    assert source.feed_stats().never_connected
    # waits 1, 2, 4, 4, 4, ... s: reported at t=0, then after at least 10 s each time
    assert notices[0].startswith(f"cannot connect to {source.label}: connection refused;")
    assert len(notices) == 4
    assert "(4 failed attempts)" in notices[1]


def test_a_name_that_does_not_resolve_is_said_plainly() -> None:
    source = TcpSource("nosuch.invalid", 10110, backoff=Backoff(max_attempts=1))
    with pytest.raises(SourceError, match=r"nosuch\.invalid") as info:
        ingest([source], MemorySink())
    assert "resolve" in str(info.value)  # "does not resolve", or "cannot resolve" without DNS


def _stall_then_serve(server: socket.socket, first: bytes, second: bytes) -> None:
    conn, _ = server.accept()
    with conn:
        conn.sendall(first)
        conn.settimeout(30)
        assert conn.recv(1) == b""  # silent until the client gives up on us
    conn, _ = server.accept()
    with conn:
        conn.sendall(second)
        conn.settimeout(30)
        with contextlib.suppress(OSError):
            conn.recv(1)


def test_a_stalled_feed_is_closed_after_the_idle_timeout_and_reconnected() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    first = b"".join(f"{position_sentence(i)}\r\n".encode() for i in range(100))
    second = b"".join(f"{position_sentence(i)}\r\n".encode() for i in range(100, 250))
    thread = threading.Thread(target=_stall_then_serve, args=(server, first, second), daemon=True)
    thread.start()
    notices: list[str] = []
    source = TcpSource(
        "127.0.0.1",
        server.getsockname()[1],
        idle_timeout_s=0.3,
        backoff=Backoff(initial_s=0.01, max_s=0.05),
        max_latency_s=0.01,
        notify=notices.append,
    )
    sink = MemorySink()
    stop = threading.Event()
    results: list = []
    runner = threading.Thread(target=lambda: results.append(ingest([source], sink, stop=stop)))
    runner.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sink.table("positions").num_rows < 250:
        time.sleep(0.02)
    stop.set()
    runner.join(30)
    server.close()
    summary = results[0]
    assert summary.accepted == {"positions": 250} and summary.rejected == {}
    feed = summary.feeds[0]
    assert feed.idle_timeouts >= 1 and feed.reconnects >= 1
    assert f"{source.label}: no data for 0.3 s; reconnecting" in notices


def _udp_rx_queue_bytes(port: int) -> int | None:
    """Bytes waiting in the receive queue of the UDP socket on ``port`` (Linux), else None."""
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            return int(fields[4].split(":")[1], 16)
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_RXQ_OVFL is Linux only")
def test_udp_datagrams_dropped_by_the_kernel_are_counted() -> None:
    """Regression: a UDP flood lost datagrams without a trace."""
    source = UdpSource(0, receive_buffer_bytes=4096)  # the kernel keeps its minimum: a few
    host, port = source.bind()
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for i in range(2000):  # nobody reads yet: all but the first few are dropped
            tx.sendto(position_sentence(i).encode(), (host, port))
            sent += 1
        sink = MemorySink()
        stop = threading.Event()
        results: list = []
        runner = threading.Thread(target=lambda: results.append(ingest([source], sink, stop=stop)))
        runner.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _udp_rx_queue_bytes(port):
            time.sleep(0.02)
        before = source.datagrams
        tx.sendto(position_sentence(5000).encode(), (host, port))  # carries the drop count
        sent += 1
        while time.monotonic() < deadline and source.datagrams == before:
            time.sleep(0.02)
    stop.set()
    runner.join(30)
    feed = results[0].feeds[0]
    assert feed.datagrams_dropped is not None and feed.datagrams_dropped > 0
    assert feed.datagrams + feed.datagrams_dropped == sent
    assert results[0].messages == feed.datagrams
    assert feed.receive_buffer_bytes > 0


def test_udp_listens_on_the_address_it_is_given() -> None:
    source = UdpSource(0, "0.0.0.0")
    _, port = source.bind()
    try:
        assert source.label == f"udp://0.0.0.0:{port}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            tx.sendto(b"x\n", ("127.0.0.1", port))
        assert _udp_rx_queue_bytes(port) != 0
    finally:
        source.close()
    with pytest.raises(SourceError, match=r"cannot listen on udp://192\.0\.2\.1"):
        UdpSource(0, "192.0.2.1").bind()  # TEST-NET-1: not an address of this host
