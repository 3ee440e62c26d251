"""AIS ingest: sources (files, directories, stdin, TCP/UDP feeds), CSV layouts and the pipeline.

Owns reading raw input in bounded chunks of whole lines, the receive-time rule, and turning each
chunk into decoded family tables plus rejects (with their origin) for a :class:`Sink` — the
maritime store, or :class:`MemorySink`. May import :mod:`setu.ais` (framing, reassembly,
decoding, schemas), :mod:`setu.clock`, :mod:`setu.errors`, NumPy, PyArrow and Polars; it does
not import the store, the CLI or any web code.

Modules:

- ``chunking``    :class:`LineChunker`: bytes in, runs of whole lines out, bounded memory
- ``sources``     files (plain/gzip), directories, stdin; :class:`Stream` and :class:`Chunk`
- ``live``        TCP client with reconnect/backoff and idle timeout; the heartbeat of feeds
- ``udp``         UDP listener with the kernel's drop count
- ``csvformats``  NOAA MarineCadastre and DMA aisdk CSV → positions/statics tables
- ``pipeline``    :func:`ingest` (into a sink) and :func:`iter_decoded` (streaming)
- ``summary``     :class:`IngestSummary` and :class:`Progress`
- ``feeder``      a small NMEA feeder (TCP server / UDP sender) for tests and benchmarks
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from setu.ingest.live import DEFAULT_IDLE_TIMEOUT_S as DEFAULT_FEED_IDLE_TIMEOUT_S
from setu.ingest.live import Backoff, TcpSource
from setu.ingest.pipeline import (
    INGEST_REJECT_SCHEMA,
    ChunkResult,
    MemorySink,
    Sink,
    ingest,
    iter_decoded,
    total_bytes,
)
from setu.ingest.sources import (
    Chunk,
    DirectorySource,
    FileSource,
    ReadContext,
    Source,
    StdinSource,
    Stream,
    path_source,
)
from setu.ingest.summary import FeedStats, IngestSummary, Progress
from setu.ingest.udp import DEFAULT_UDP_HOST, DEFAULT_UDP_RECEIVE_BUFFER_BYTES, UdpSource

__all__ = [
    "INGEST_REJECT_SCHEMA",
    "Backoff",
    "Chunk",
    "ChunkResult",
    "DirectorySource",
    "FeedStats",
    "FileSource",
    "IngestSummary",
    "MemorySink",
    "Progress",
    "ReadContext",
    "Sink",
    "Source",
    "StdinSource",
    "Stream",
    "TcpSource",
    "UdpSource",
    "ingest",
    "iter_decoded",
    "path_source",
    "sources_for",
    "total_bytes",
]


def sources_for(
    *,
    paths: Sequence[str] = (),
    tcp: tuple[str, int] | None = None,
    udp: int | tuple[str, int] | None = None,
    notify: Callable[[str], None] | None = None,
    idle_timeout_s: float | None = DEFAULT_FEED_IDLE_TIMEOUT_S,
    udp_receive_buffer_bytes: int = DEFAULT_UDP_RECEIVE_BUFFER_BYTES,
) -> list[Source]:
    """Sources for command-line input: paths (``-`` is stdin), a TCP feed or a UDP port.

    ``udp`` is a port (listening on 127.0.0.1) or ``(host, port)``. Explicit files are checked
    now, so an unknown CSV layout fails before anything is read. ``notify`` hears about a TCP
    feed's failed attempts, idle timeouts and reconnections; ``idle_timeout_s`` (0 or None:
    none) and ``udp_receive_buffer_bytes`` are the live-feed settings.
    """
    sources: list[Source] = [path_source(p) for p in paths]
    if tcp is not None:
        sources.append(TcpSource(*tcp, notify=notify, idle_timeout_s=idle_timeout_s))
    if udp is not None:
        host, port = (DEFAULT_UDP_HOST, udp) if isinstance(udp, int) else udp
        sources.append(UdpSource(port, host, receive_buffer_bytes=udp_receive_buffer_bytes))
    return sources
