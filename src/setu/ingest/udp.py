"""The UDP listener: AIS receivers (AIS-catcher, rtl-ais, OpenCPN, most network receivers) send
NMEA as datagrams, usually to port 10110.

**Bind address.** The default is 127.0.0.1: a receiver on the same host (an SDR decoder) feeds
setu without exposing it. UDP carries no authentication, so anyone who can reach an open port can
inject sentences into the picture; listening for a receiver on the LAN is a decision to take
explicitly, with ``--udp 0.0.0.0:10110`` (or the one interface's address) behind a firewall.

**Loss is counted.** UDP drops datagrams silently when the socket's receive buffer is full. On
Linux the kernel counts them per socket and reports the count with each datagram received after
the drop (``SO_RXQ_OVFL``); :attr:`UdpSource.datagrams_dropped` holds the latest count, so
``datagrams + datagrams_dropped`` is every datagram that reached the socket (drops after the last
datagram received are reported with the next one). Elsewhere the count is None: unknown.

**Receive buffer.** ``receive_buffer_bytes`` (``SETU_UDP_RECEIVE_BUFFER_BYTES``, default 8 MiB)
is asked for with ``SO_RCVBUF`` and, when the kernel caps it (``net.core.rmem_max``), with
``SO_RCVBUFFORCE`` where permitted; :attr:`UdpSource.receive_buffer_bytes_granted` is what the
kernel gave. The kernel charges every small datagram about 1 KiB of buffer, so 8 MiB holds some
8,000 datagrams: several seconds of the busiest aggregated feeds while setu writes a file.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator

from setu.errors import ConfigError, SourceError
from setu.ingest.chunking import LineChunker
from setu.ingest.live import HEARTBEAT_S, LIVE_CHUNK_BYTES, Batcher, now_us
from setu.ingest.sources import Chunk, ReadContext, Stream
from setu.ingest.summary import FeedStats
from setu.settings import DEFAULT_UDP_RECEIVE_BUFFER_BYTES

__all__ = ["DEFAULT_UDP_HOST", "DEFAULT_UDP_RECEIVE_BUFFER_BYTES", "UdpSource"]

#: Default bind address: loopback only (see the module docstring for why).
DEFAULT_UDP_HOST = "127.0.0.1"
_MAX_DATAGRAM = 65536
_LINUX = sys.platform.startswith("linux")
#: Linux socket options (asm-generic/socket.h); the socket module does not name them.
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
_SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)
_U32 = struct.Struct("=I")


class UdpSource:
    """A UDP listener on ``host:port`` (127.0.0.1 by default; port 0 picks a free one).

    Each datagram holds whole lines (a missing final line break is added). The socket is bound
    by :meth:`bind` (called by :meth:`streams` if not before), so a test can learn the port
    first. ``datagrams`` counts what was received, ``datagrams_dropped`` what the kernel dropped
    for want of buffer (None where the OS does not say), ``datagrams_truncated`` datagrams longer
    than 64 KiB (cut; the framing rejects the cut line).
    """

    def __init__(
        self,
        port: int,
        host: str = DEFAULT_UDP_HOST,
        *,
        poll_s: float = 0.1,
        max_latency_s: float = 0.25,
        heartbeat_s: float = HEARTBEAT_S,
        chunk_bytes: int = LIVE_CHUNK_BYTES,
        receive_buffer_bytes: int = DEFAULT_UDP_RECEIVE_BUFFER_BYTES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= port < 65536:
            raise ConfigError(f"UDP port must be 0..65535, got {port}")
        if receive_buffer_bytes < 1:
            raise ConfigError(f"UDP receive buffer must be positive, got {receive_buffer_bytes}")
        self.host, self.port = host, port
        self.poll_s = poll_s
        self.max_latency_s = max_latency_s
        self.heartbeat_s = heartbeat_s
        self.chunk_bytes = chunk_bytes
        self.receive_buffer_bytes = receive_buffer_bytes
        self.receive_buffer_bytes_granted = 0
        self._monotonic = monotonic
        self.datagrams = 0
        self.datagrams_dropped: int | None = None
        self.datagrams_truncated = 0
        self.reconnects = 0
        self._sock: socket.socket | None = None

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"udp://{host}:{self.port}"

    def feed_stats(self) -> FeedStats:
        """What this listener did so far (for the ingest summary)."""
        return FeedStats(
            origin=self.label,
            datagrams=self.datagrams,
            datagrams_dropped=self.datagrams_dropped,
            datagrams_truncated=self.datagrams_truncated,
            receive_buffer_bytes=self.receive_buffer_bytes_granted,
        )

    def bind(self) -> tuple[str, int]:
        """Bind the socket now (idempotent); returns the bound (host, port)."""
        if self._sock is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                self._size_buffer(sock)
                self._count_drops(sock)
                sock.bind((self.host, self.port))
            except OSError as exc:
                sock.close()
                raise SourceError(
                    f"cannot listen on {self.label}: {exc.strerror}; choose a free port and an "
                    "address of this host (127.0.0.1, 0.0.0.0 for every interface)"
                ) from exc
            sock.settimeout(self.poll_s)
            self._sock = sock
            self.port = sock.getsockname()[1]
        return self.host, self.port

    def _size_buffer(self, sock: socket.socket) -> None:
        def granted() -> int:  # Linux reports twice the size set (the rest is bookkeeping)
            size = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            return size // 2 if _LINUX else size

        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer_bytes)
        if _LINUX and granted() < self.receive_buffer_bytes:
            with contextlib.suppress(OSError):  # not permitted: keep what rmem_max allows
                sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, self.receive_buffer_bytes)
        self.receive_buffer_bytes_granted = granted()

    def _count_drops(self, sock: socket.socket) -> None:
        if not _LINUX:
            return
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RXQ_OVFL, 1)
        except OSError:
            return
        self.datagrams_dropped = 0

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        self.bind()
        yield Stream(self.label, self._chunks(ctx))

    def _receive(self, sock: socket.socket) -> bytes | None:
        """One datagram (None when none came within ``poll_s``), noting drops."""
        try:
            data, ancillary, flags, _ = sock.recvmsg(_MAX_DATAGRAM, socket.CMSG_SPACE(4))
        except (TimeoutError, BlockingIOError):
            return None
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_RXQ_OVFL and len(value) >= 4:
                self.datagrams_dropped = _U32.unpack_from(value)[0]
        if flags & socket.MSG_TRUNC:
            self.datagrams_truncated += 1
        return data

    def _take_in(
        self, data: bytes, chunker: LineChunker, batcher: Batcher, ctx: ReadContext
    ) -> None:
        self.datagrams += 1
        batcher.position += len(data)
        if not data.endswith((b"\n", b"\r")):
            data += b"\n"
        batcher.add(*chunker.feed(data), now_us(ctx))
        batcher.next_line_no = chunker.next_line_no

    def _chunks(self, ctx: ReadContext) -> Iterator[Chunk]:
        sock = self._sock
        if sock is None:  # pragma: no cover - bound by streams()
            raise SourceError(f"{self.label}: socket is not bound")
        chunker = LineChunker(ctx.max_line_bytes)
        batcher = Batcher(
            min(self.chunk_bytes, ctx.chunk_bytes),
            self.max_latency_s,
            self.heartbeat_s,
            self._monotonic,
        )
        try:
            while not ctx.stop.is_set():
                data = self._receive(sock)
                if data is not None:
                    self._take_in(data, chunker, batcher, ctx)
                chunk = batcher.poll()
                if chunk is not None:
                    yield chunk
            self._drain(sock, chunker, batcher, ctx)
            batcher.add(*chunker.finish(), now_us(ctx))
            last = batcher.take()
            if last is not None:
                yield last
        finally:
            self.close()

    def _drain(
        self, sock: socket.socket, chunker: LineChunker, batcher: Batcher, ctx: ReadContext
    ) -> None:
        """On stop: take in the datagrams already queued (no more than the buffer holds)."""
        sock.setblocking(False)
        budget = max(self.receive_buffer_bytes_granted, _MAX_DATAGRAM)
        while budget > 0:
            data = self._receive(sock)
            if data is None:
                return
            budget -= len(data) + 1
            self._take_in(data, chunker, batcher, ctx)
