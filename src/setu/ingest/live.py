"""Live feeds: a TCP client with reconnect and backoff, and a UDP listener.

Both yield one :class:`~setu.ingest.sources.Stream` for their whole life (line numbers run on
across reconnects). Received bytes are cut into whole lines by
:class:`~setu.ingest.chunking.LineChunker` and grouped into chunks of at most ``chunk_bytes`` or
``max_latency_s`` of waiting, whichever comes first; each chunk is stamped with the feed clock's
time (``ReadContext.clock``) when its first bytes arrived — the receive time of every sentence in
it that carries none of its own.

The TCP client reconnects after a dropped connection or a failed attempt, waiting
:meth:`Backoff.delay_s` between attempts (exponential, with jitter, bounded by ``max_s``); a
partial line left by a dropped connection is handed on as a line of its own (the framing rejects
it with its reason) so nothing received is lost silently. Sleep and random source are injectable.
"""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from setu.errors import ConfigError, SourceError
from setu.ingest.chunking import LineChunker
from setu.ingest.sources import Chunk, ReadContext, Stream

__all__ = ["Backoff", "TcpSource", "UdpSource"]

_US = 1_000_000
_RECV_BYTES = 256 * 1024
#: Live chunks are smaller than file chunks so that decoded rows reach the sink promptly.
LIVE_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter between connection attempts.

    Attempt ``n`` (0-based) waits ``min(max_s, initial_s * factor**n)`` scaled down by a random
    fraction of up to ``jitter`` ("equal jitter" when 0.5), so clients of one feed do not retry in
    step. ``max_attempts`` consecutive failures end the feed with a :class:`SourceError` (None:
    retry until stopped).
    """

    initial_s: float = 0.5
    max_s: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if not (0 < self.initial_s <= self.max_s and self.factor >= 1 and 0 <= self.jitter <= 1):
            raise ConfigError(
                "backoff needs 0 < initial_s <= max_s, factor >= 1 and 0 <= jitter <= 1 "
                "(defaults 0.5 s, 30 s, 2, 0.5)"
            )
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ConfigError("backoff max_attempts must be at least 1, or None for no limit")

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        base = min(self.max_s, self.initial_s * self.factor ** min(attempt, 64))
        return base * (1.0 - self.jitter * rng.random())


class _Batcher:
    """Groups line runs into chunks by size and latency, stamping each with its first time."""

    def __init__(self, chunk_bytes: int, max_latency_s: float) -> None:
        self.chunk_bytes = chunk_bytes
        self.max_latency_s = max_latency_s
        self._parts: list[bytes] = []
        self._size = 0
        self._first_line = 0
        self._time_us = 0
        self._since = 0.0
        self.position = 0

    def add(self, data: bytes, first_line_no: int, time_us: int) -> None:
        if not data:
            return
        if not self._parts:
            self._first_line, self._time_us, self._since = first_line_no, time_us, time.monotonic()
        self._parts.append(data)
        self._size += len(data)

    def due(self) -> bool:
        if not self._parts:
            return False
        waited = time.monotonic() - self._since
        return self._size >= self.chunk_bytes or waited >= self.max_latency_s

    def take(self) -> Chunk | None:
        if not self._parts:
            return None
        data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._parts, self._size = [], 0
        return Chunk(data, self._first_line, self._time_us, self.position)


def _now_us(ctx: ReadContext) -> int:
    return int(ctx.clock().timestamp() * _US)


class TcpSource:
    """A TCP client reading NMEA from ``host:port``, reconnecting with :class:`Backoff`.

    ``reconnects`` counts connections made after the first; ``failed_attempts`` the attempts
    that did not connect. ``reconnect=False`` ends the feed at the first disconnect. ``sleep``
    (default: wait on the stop event) and ``rng`` are injectable for tests.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        backoff: Backoff | None = None,
        reconnect: bool = True,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        connect_timeout_s: float = 5.0,
        poll_s: float = 0.1,
        max_latency_s: float = 0.25,
        chunk_bytes: int = LIVE_CHUNK_BYTES,
    ) -> None:
        if not 0 < port < 65536:
            raise ConfigError(f"TCP port must be 1..65535, got {port}")
        self.host, self.port = host, port
        self.backoff = backoff or Backoff()
        self.reconnect = reconnect
        self._sleep = sleep
        self.rng = rng or random.Random()
        self.connect_timeout_s = connect_timeout_s
        self.poll_s = poll_s
        self.max_latency_s = max_latency_s
        self.chunk_bytes = chunk_bytes
        self.connections = 0
        self.reconnects = 0
        self.failed_attempts = 0
        self.delays_s: list[float] = []

    @property
    def label(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        yield Stream(self.label, self._chunks(ctx))

    def _wait(self, ctx: ReadContext, attempt: int) -> None:
        delay = self.backoff.delay_s(attempt, self.rng)
        self.delays_s.append(delay)
        if self._sleep is not None:
            self._sleep(delay)
        else:
            ctx.stop.wait(delay)

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        except OSError:
            self.failed_attempts += 1
            return None
        sock.settimeout(self.poll_s)
        if self.connections:
            self.reconnects += 1
        self.connections += 1
        return sock

    def _chunks(self, ctx: ReadContext) -> Iterator[Chunk]:
        chunker = LineChunker(ctx.max_line_bytes)
        batcher = _Batcher(min(self.chunk_bytes, ctx.chunk_bytes), self.max_latency_s)
        failures = 0
        while not ctx.stop.is_set():
            sock = self._connect()
            if sock is None:
                failures += 1
                limit = self.backoff.max_attempts
                if limit is not None and failures >= limit:
                    raise SourceError(
                        f"{self.label}: no connection after {failures} attempts; check that "
                        "the feed is up and the address is right"
                    )
                self._wait(ctx, failures - 1)
                continue
            failures = 0
            with sock:
                yield from self._read(sock, chunker, batcher, ctx)
            batcher.add(*chunker.finish(), _now_us(ctx))
            chunk = batcher.take()
            if chunk is not None:
                yield chunk
            if not self.reconnect or ctx.stop.is_set():
                break
            self._wait(ctx, 0)

    def _read(
        self, sock: socket.socket, chunker: LineChunker, batcher: _Batcher, ctx: ReadContext
    ) -> Iterator[Chunk]:
        while not ctx.stop.is_set():
            try:
                data = sock.recv(_RECV_BYTES)
            except TimeoutError:
                data = None
            except OSError:
                return
            if data == b"":
                return
            if data:
                batcher.position += len(data)
                batcher.add(*chunker.feed(data), _now_us(ctx))
            if batcher.due():
                chunk = batcher.take()
                if chunk is not None:
                    yield chunk


class UdpSource:
    """A UDP listener on ``host:port`` (127.0.0.1 by default; port 0 picks a free one).

    Each datagram holds whole lines (a missing final line break is added). The socket is bound
    by :meth:`bind` (called by :meth:`streams` if not before), so a test can learn the port
    first. ``datagrams`` counts what was received.
    """

    def __init__(
        self,
        port: int,
        host: str = "127.0.0.1",
        *,
        poll_s: float = 0.1,
        max_latency_s: float = 0.25,
        chunk_bytes: int = LIVE_CHUNK_BYTES,
        receive_buffer_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        if not 0 <= port < 65536:
            raise ConfigError(f"UDP port must be 0..65535, got {port}")
        self.host, self.port = host, port
        self.poll_s = poll_s
        self.max_latency_s = max_latency_s
        self.chunk_bytes = chunk_bytes
        self.receive_buffer_bytes = receive_buffer_bytes
        self.datagrams = 0
        self.reconnects = 0
        self._sock: socket.socket | None = None

    @property
    def label(self) -> str:
        return f"udp://{self.host}:{self.port}"

    def bind(self) -> tuple[str, int]:
        """Bind the socket now (idempotent); returns the bound (host, port)."""
        if self._sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer_bytes)
                sock.bind((self.host, self.port))
            except OSError as exc:
                sock.close()
                raise SourceError(
                    f"cannot listen on udp://{self.host}:{self.port}: {exc.strerror}; "
                    "choose a free port"
                ) from exc
            sock.settimeout(self.poll_s)
            self._sock = sock
            self.port = sock.getsockname()[1]
        return self.host, self.port

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        self.bind()
        yield Stream(self.label, self._chunks(ctx))

    def _chunks(self, ctx: ReadContext) -> Iterator[Chunk]:
        sock = self._sock
        if sock is None:  # pragma: no cover - bound by streams()
            raise SourceError(f"{self.label}: socket is not bound")
        chunker = LineChunker(ctx.max_line_bytes)
        batcher = _Batcher(min(self.chunk_bytes, ctx.chunk_bytes), self.max_latency_s)
        try:
            while not ctx.stop.is_set():
                try:
                    data, _ = sock.recvfrom(65536)
                except TimeoutError:
                    data = b""
                if data:
                    self.datagrams += 1
                    batcher.position += len(data)
                    if not data.endswith((b"\n", b"\r")):
                        data += b"\n"
                    batcher.add(*chunker.feed(data), _now_us(ctx))
                if batcher.due():
                    chunk = batcher.take()
                    if chunk is not None:
                        yield chunk
            batcher.add(*chunker.finish(), _now_us(ctx))
            last = batcher.take()
            if last is not None:
                yield last
        finally:
            self.close()
