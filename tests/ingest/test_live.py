"""Live feeds in one process: backoff schedule, TCP client and UDP listener on 127.0.0.1."""

from __future__ import annotations

import random
import socket
import threading
import time
from datetime import UTC, datetime

import pytest

from setu.clock import fixed_clock
from setu.errors import ConfigError, SourceError
from setu.ingest import Backoff, MemorySink, TcpSource, UdpSource, ingest
from setu.ingest.feeder import position_sentence

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
    with pytest.raises(SourceError, match="no connection after 6 attempts"):
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
