"""Live feeds: a TCP client with reconnect, backoff and an idle timeout (the UDP listener is in
:mod:`setu.ingest.udp`), and what both share.

A live source yields one :class:`~setu.ingest.sources.Stream` for its whole life (line numbers
run on across reconnects). Received bytes are cut into whole lines by
:class:`~setu.ingest.chunking.LineChunker` and grouped into chunks of at most ``chunk_bytes`` or
``max_latency_s`` of waiting, whichever comes first; each chunk is stamped with the feed clock's
time (``ReadContext.clock``) when its first bytes arrived — the receive time of every sentence in
it that carries none of its own.

**Heartbeat.** While nothing arrives (a quiet feed, a backoff wait, a slow connect), the source
still hands the pipeline an empty chunk every ``heartbeat_s`` (1 s), so the store writer gets a
``write`` call at least once a second and can flush rows older than its interval: what a crash
(SIGKILL) can lose stays bounded by ``flush_interval_s + heartbeat_s`` of received data.

**Stop.** When the stop event is set (Ctrl-C, SIGTERM, SIGHUP, ``--duration``), a source reads
what the kernel already holds for it (bounded by one chunk), hands it on, and ends.

The TCP client reconnects after a dropped connection, a failed attempt or ``idle_timeout_s``
without a byte (a stalled feed or a half-open connection, which TCP alone never reports),
waiting :meth:`Backoff.delay_s` between attempts (exponential, with jitter, bounded by
``max_s``). A partial line left by a dropped connection is handed on as a line of its own (the
framing rejects it with its reason) so nothing received is lost silently. Every failed attempt
is counted; ``notify`` (the CLI prints to stderr) hears about failures at most once per
``report_interval_s``, with the reason ("connection refused", "the name … does not resolve").
Sleep, random source and monotonic clock are injectable.
"""

from __future__ import annotations

import errno
import os
import random
import select
import socket
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from setu.ais.batch import NO_TIME
from setu.errors import ConfigError, SourceError
from setu.ingest.chunking import LineChunker
from setu.ingest.sources import Chunk, ReadContext, Stream
from setu.ingest.summary import FeedStats
from setu.settings import DEFAULT_FEED_IDLE_TIMEOUT_S

__all__ = [
    "DEFAULT_IDLE_TIMEOUT_S",
    "HEARTBEAT_S",
    "LIVE_CHUNK_BYTES",
    "Backoff",
    "TcpSource",
]

_US = 1_000_000
_RECV_BYTES = 256 * 1024
#: Live chunks are smaller than file chunks so that decoded rows reach the sink promptly.
LIVE_CHUNK_BYTES = 1024 * 1024
#: A live source hands the pipeline a (possibly empty) chunk at least this often.
HEARTBEAT_S = 1.0
#: Default idle timeout of a TCP feed (setting ``SETU_FEED_IDLE_TIMEOUT_S``): a shore receiver
#: in range of any AIS base station hears its type 4 report every 10 s (ITU-R M.1371-5), and a
#: busy feed brings several sentences a second, so a minute of silence on an open connection
#: means the feed or the connection is stalled. Reconnecting a merely quiet feed costs one
#: reconnect; not reconnecting a dead one loses everything after it.
DEFAULT_IDLE_TIMEOUT_S = DEFAULT_FEED_IDLE_TIMEOUT_S
#: Failed connection attempts are reported at most this often (the first one at once).
REPORT_INTERVAL_S = 30.0


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


class Batcher:
    """Groups line runs into chunks by size and latency, stamping each with its first time, and
    beats (an empty chunk) when nothing was handed on for ``heartbeat_s``."""

    def __init__(
        self,
        chunk_bytes: int,
        max_latency_s: float,
        heartbeat_s: float = HEARTBEAT_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chunk_bytes = chunk_bytes
        self.max_latency_s = max_latency_s
        self.heartbeat_s = heartbeat_s
        self._monotonic = monotonic
        self._parts: list[bytes] = []
        self._size = 0
        self._first_line = 0
        self._time_us = 0
        self._since = 0.0
        self._last_out = monotonic()
        self.next_line_no = 1
        self.position = 0

    def add(self, data: bytes, first_line_no: int, time_us: int) -> None:
        if not data:
            return
        if not self._parts:
            self._first_line, self._time_us, self._since = first_line_no, time_us, self._monotonic()
        self._parts.append(data)
        self._size += len(data)

    def poll(self) -> Chunk | None:
        """The chunk due now (by size or latency), an empty heartbeat chunk, or None."""
        now = self._monotonic()
        if self._parts and (
            self._size >= self.chunk_bytes or now - self._since >= self.max_latency_s
        ):
            return self.take()
        if now - self._last_out >= self.heartbeat_s:
            self._last_out = now
            return Chunk(b"", self.next_line_no, NO_TIME, self.position)
        return None

    def take(self) -> Chunk | None:
        """Whatever is batched, as one chunk (None when nothing is)."""
        if not self._parts:
            return None
        data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._parts, self._size = [], 0
        self._last_out = self._monotonic()
        return Chunk(data, self._first_line, self._time_us, self.position)


def now_us(ctx: ReadContext) -> int:
    """The feed clock's time in µs since the epoch."""
    return int(ctx.clock().timestamp() * _US)


def _resolve_reason(host: str, exc: socket.gaierror) -> str:
    if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
        return f"the name {host} does not resolve ({exc.strerror})"
    return f"cannot resolve {host} ({exc.strerror})"


class _Reporter:
    """Rate-limited notices about failed attempts (the first at once, then one per interval)."""

    def __init__(
        self,
        notify: Callable[[str], None] | None,
        interval_s: float,
        monotonic: Callable[[], float],
    ) -> None:
        self.notify = notify
        self.interval_s = interval_s
        self._monotonic = monotonic
        self._last: float | None = None
        self._unreported = 0

    def failed(self, label: str, reason: str, next_s: float) -> None:
        self._unreported += 1
        now = self._monotonic()
        if self.notify is None or (self._last is not None and now - self._last < self.interval_s):
            return
        times = f" ({self._unreported} failed attempts)" if self._unreported > 1 else ""
        self.notify(f"cannot connect to {label}: {reason}{times}; retrying in {next_s:.1f} s")
        self._last, self._unreported = now, 0

    def say(self, message: str) -> None:
        if self.notify is not None:
            self.notify(message)


class TcpSource:
    """A TCP client reading NMEA from ``host:port``, reconnecting with :class:`Backoff`.

    ``connections`` counts connections made, ``reconnects`` those after the first,
    ``failed_attempts`` the attempts that did not connect (``last_error`` says why) and
    ``idle_timeouts`` the connections closed after ``idle_timeout_s`` without a byte (None or 0:
    never). ``reconnect=False`` ends the feed at the first disconnect. ``sleep`` (default: wait on
    the stop event, beating), ``rng`` and ``monotonic`` are injectable for tests.
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
        idle_timeout_s: float | None = DEFAULT_IDLE_TIMEOUT_S,
        poll_s: float = 0.1,
        max_latency_s: float = 0.25,
        heartbeat_s: float = HEARTBEAT_S,
        chunk_bytes: int = LIVE_CHUNK_BYTES,
        notify: Callable[[str], None] | None = None,
        report_interval_s: float = REPORT_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < port < 65536:
            raise ConfigError(f"TCP port must be 1..65535, got {port}")
        if idle_timeout_s is not None and not idle_timeout_s >= 0:
            raise ConfigError(f"idle timeout must be >= 0 s (0: none), got {idle_timeout_s}")
        self.host, self.port = host, port
        self.backoff = backoff or Backoff()
        self.reconnect = reconnect
        self._sleep = sleep
        self.rng = rng or random.Random()
        self.connect_timeout_s = connect_timeout_s
        self.idle_timeout_s = idle_timeout_s or None
        self.poll_s = poll_s
        self.max_latency_s = max_latency_s
        self.heartbeat_s = heartbeat_s
        self.chunk_bytes = chunk_bytes
        self._monotonic = monotonic
        self._reporter = _Reporter(notify, report_interval_s, monotonic)
        self.connections = 0
        self.reconnects = 0
        self.failed_attempts = 0
        self.idle_timeouts = 0
        self.last_error = ""
        self.delays_s: list[float] = []

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"

    def feed_stats(self) -> FeedStats:
        """What this feed did so far (for the ingest summary)."""
        return FeedStats(
            origin=self.label,
            connections=self.connections,
            reconnects=self.reconnects,
            failed_attempts=self.failed_attempts,
            idle_timeouts=self.idle_timeouts,
            last_error=self.last_error,
        )

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        yield Stream(self.label, self._chunks(ctx))

    # -- connecting -------------------------------------------------------------------------
    def _wait(self, ctx: ReadContext, delay: float, batcher: Batcher) -> Iterator[Chunk]:
        """Wait ``delay`` seconds (or until stopped), beating while waiting."""
        if self._sleep is not None:
            self._sleep(delay)
            return
        end = self._monotonic() + delay
        while not ctx.stop.is_set() and (left := end - self._monotonic()) > 0:
            ctx.stop.wait(min(left, self.poll_s))
            beat = batcher.poll()
            if beat is not None:
                yield beat

    def _delay(self, attempt: int) -> float:
        delay = self.backoff.delay_s(attempt, self.rng)
        self.delays_s.append(delay)
        return delay

    def _failed(self, reason: str, failures: int) -> float:
        """Count a failed attempt; the delay before the next (or SourceError past the limit)."""
        self.failed_attempts += 1
        self.last_error = reason
        limit = self.backoff.max_attempts
        if limit is not None and failures >= limit:
            raise SourceError(
                f"cannot connect to {self.label} after {failures} attempts ({reason}); check "
                "that the feed is up and the address is right"
            )
        delay = self._delay(failures - 1)
        self._reporter.failed(self.label, reason, delay)
        return delay

    def _connect(
        self, ctx: ReadContext, batcher: Batcher
    ) -> Generator[Chunk, None, socket.socket | str | None]:
        """One attempt: the connected socket, the reason it failed, or None when stopped."""
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            return _resolve_reason(self.host, exc)
        reason = "no address to connect to"
        for family, kind, proto, _, address in infos:
            sock = socket.socket(family, kind, proto)
            sock.setblocking(False)
            err = sock.connect_ex(address)
            deadline = self._monotonic() + self.connect_timeout_s
            while err in (errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK):
                if ctx.stop.is_set():
                    sock.close()
                    return None
                left = deadline - self._monotonic()
                if left <= 0:
                    err = errno.ETIMEDOUT
                    break
                _, ready, _ = select.select([], [sock], [], min(left, self.poll_s))
                if ready:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                beat = batcher.poll()
                if beat is not None:
                    yield beat
            if err == 0:
                sock.settimeout(self.poll_s)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                return sock
            sock.close()
            reason = os.strerror(err).lower()
        return reason

    # -- reading ----------------------------------------------------------------------------
    def _chunks(self, ctx: ReadContext) -> Iterator[Chunk]:
        chunker = LineChunker(ctx.max_line_bytes)
        batcher = Batcher(
            min(self.chunk_bytes, ctx.chunk_bytes),
            self.max_latency_s,
            self.heartbeat_s,
            self._monotonic,
        )
        failures = 0
        while not ctx.stop.is_set():
            outcome = yield from self._connect(ctx, batcher)
            if outcome is None:
                break
            if isinstance(outcome, str):
                failures += 1
                yield from self._wait(ctx, self._failed(outcome, failures), batcher)
                continue
            if failures or self.connections:
                self._reporter.say(f"connected to {self.label}")
            failures = 0
            if self.connections:
                self.reconnects += 1
            self.connections += 1
            with outcome:
                yield from self._read(outcome, chunker, batcher, ctx)
            batcher.add(*chunker.finish(), now_us(ctx))
            batcher.next_line_no = chunker.next_line_no
            chunk = batcher.take()
            if chunk is not None:
                yield chunk
            if not self.reconnect or ctx.stop.is_set():
                break
            yield from self._wait(ctx, self._delay(0), batcher)

    def _read(
        self, sock: socket.socket, chunker: LineChunker, batcher: Batcher, ctx: ReadContext
    ) -> Iterator[Chunk]:
        last_data = self._monotonic()
        while not ctx.stop.is_set():
            try:
                data = sock.recv(_RECV_BYTES)
            except TimeoutError:
                data = None
            except OSError as exc:
                self._reporter.say(f"{self.label}: connection lost ({exc.strerror}); reconnecting")
                return
            if data == b"":
                return
            if data:
                last_data = self._monotonic()
                self._take_in(data, chunker, batcher, ctx)
            elif self.idle_timeout_s and self._monotonic() - last_data >= self.idle_timeout_s:
                self.idle_timeouts += 1
                self._reporter.say(
                    f"{self.label}: no data for {self.idle_timeout_s:g} s; reconnecting"
                )
                return
            chunk = batcher.poll()
            if chunk is not None:
                yield chunk
        self._drain(sock, chunker, batcher, ctx)

    def _take_in(
        self, data: bytes, chunker: LineChunker, batcher: Batcher, ctx: ReadContext
    ) -> None:
        batcher.position += len(data)
        batcher.add(*chunker.feed(data), now_us(ctx))
        batcher.next_line_no = chunker.next_line_no

    def _drain(
        self, sock: socket.socket, chunker: LineChunker, batcher: Batcher, ctx: ReadContext
    ) -> None:
        """On stop: take in what the kernel already received (up to one chunk), no waiting."""
        budget = batcher.chunk_bytes
        sock.setblocking(False)
        while budget > 0:
            try:
                data = sock.recv(min(_RECV_BYTES, budget))
            except OSError:  # nothing more waiting (EAGAIN), or the connection is gone
                return
            if not data:
                return
            budget -= len(data)
            self._take_in(data, chunker, batcher, ctx)
