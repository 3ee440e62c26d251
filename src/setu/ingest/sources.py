"""Input sources: files (plain or gzip), directories, stdin — each a series of line chunks.

A :class:`Source` yields one :class:`Stream` per input it reads (a directory yields one per file;
a live feed one for its whole life). A stream carries its origin label (the file path, "stdin",
"tcp://host:port", "udp://host:port"), its CSV layout when the header line is a known CSV header
(:mod:`setu.ingest.csvformats`), and an iterator of :class:`Chunk` — whole lines only, cut by
:class:`~setu.ingest.chunking.LineChunker` so memory stays bounded whatever the line lengths.

Gzip is detected by its magic bytes, not by the file name. Directories are walked recursively in
sorted order; files that are neither NMEA-like nor a known CSV layout are skipped, each with its
reason (see :attr:`DirectorySource.skipped`).
"""

from __future__ import annotations

import gzip
import os
import sys
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from setu.ais.batch import NO_TIME
from setu.clock import Clock, utc_now
from setu.errors import ConfigError, SourceError
from setu.ingest.chunking import LineChunker
from setu.ingest.csvformats import CsvLayout, detect_layout, looks_like_csv

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "Chunk",
    "DirectorySource",
    "FileSource",
    "ReadContext",
    "Skipped",
    "Source",
    "StdinSource",
    "Stream",
]

#: Default size of a file read (and so of a chunk): large enough to amortise per-chunk costs.
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 64 * 1024
_NMEA_MARKS = (b"VDM,", b"VDO,", b"$PGHP", b"\\s:", b"\\c:", b"\\g:")


@dataclass(frozen=True)
class ReadContext:
    """What the pipeline hands every source: stop signal, clock and size limits."""

    stop: threading.Event = field(default_factory=threading.Event)
    clock: Clock = utc_now
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    max_line_bytes: int = 4096


@dataclass(frozen=True)
class Chunk:
    """Whole lines of one stream; ``received_at_us`` is the feed clock's time (live feeds only)
    and ``position`` the bytes consumed from the source so far (for progress)."""

    data: bytes
    first_line_no: int
    received_at_us: int = NO_TIME
    position: int = 0


@dataclass(frozen=True)
class Stream:
    """One input read from start to end; ``csv`` is set for a known CSV layout."""

    origin: str
    chunks: Iterator[Chunk]
    csv: tuple[CsvLayout, tuple[str, ...]] | None = None
    size_bytes: int | None = None
    header_lines: int = 0
    is_file: bool = False


@dataclass(frozen=True)
class Skipped:
    """A file a directory walk did not read, and why."""

    path: str
    reason: str


@runtime_checkable
class Source(Protocol):
    """Anything that yields streams of line chunks."""

    @property
    def label(self) -> str: ...

    def streams(self, ctx: ReadContext) -> Iterator[Stream]: ...


def _open_binary(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """(raw file, reader): the reader decompresses when the file starts with the gzip magic."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror}; check the path") from exc
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw, raw


def _read(reader: BinaryIO, size: int, origin: str) -> bytes:
    try:
        return reader.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(
            f"{origin}: read failed ({exc}); the file may be truncated or not really gzip"
        ) from exc


def _line_chunks(
    reader: BinaryIO,
    first: bytes,
    ctx: ReadContext,
    origin: str,
    *,
    first_line_no: int = 1,
    tell: BinaryIO | None = None,
) -> Iterator[Chunk]:
    """Chunks of whole lines from ``first`` and then ``reader`` until end of input."""
    chunker = LineChunker(ctx.max_line_bytes, first_line_no=first_line_no)
    block = first
    while block:
        data, line_no = chunker.feed(block)
        if data:
            yield Chunk(data, line_no, position=_tell(tell))
        if ctx.stop.is_set():
            return
        block = _read(reader, ctx.chunk_bytes, origin)
    data, line_no = chunker.finish()
    if data:
        yield Chunk(data, line_no, position=_tell(tell))


def _tell(fh: BinaryIO | None) -> int:
    if fh is None:
        return 0
    try:
        return fh.tell()
    except (OSError, ValueError):
        return 0


def _split_header(first: bytes) -> tuple[bytes, bytes] | None:
    """(header line with its break, rest) when ``first`` holds a whole first line."""
    cut = first.find(b"\n")
    if cut < 0:
        return None
    return first[: cut + 1], first[cut + 1 :]


def _csv_of(first: bytes) -> tuple[CsvLayout, tuple[str, ...]] | None:
    parts = _split_header(first)
    return detect_layout(parts[0]) if parts else None


def _unknown_csv_message(origin: str, header: bytes) -> str:
    text = header.decode("utf-8", "replace").strip()
    shown = text if len(text) <= 120 else text[:117] + "..."
    return (
        f"{origin}: unknown CSV layout (header: {shown!r}); setu reads NOAA MarineCadastre "
        "(MMSI, BaseDateTime, LAT, LON, ...) and DMA aisdk (# Timestamp, Type of mobile, MMSI, "
        "...) CSV, or NMEA text"
    )


def _unknown_csv_header(head: bytes) -> bytes | None:
    """The header line when ``head`` starts like a CSV of an unknown layout (and is not NMEA)."""
    parts = _split_header(head) or (head, b"")
    if detect_layout(parts[0]) is not None or any(mark in head for mark in _NMEA_MARKS):
        return None
    return parts[0] if looks_like_csv(parts[0]) else None


def open_stream(
    reader: BinaryIO, origin: str, ctx: ReadContext, *, raw: BinaryIO | None, size: int | None
) -> Stream:
    """Read the first block of ``reader`` and make the stream (CSV when the header says so).

    Raises :class:`SourceError` when the input starts with a CSV header of an unknown layout.
    """
    first = _read(reader, max(ctx.chunk_bytes, 1), origin)
    csv = _csv_of(first)
    if csv is None:
        unknown = _unknown_csv_header(first)
        if unknown is not None:
            raise SourceError(_unknown_csv_message(origin, unknown))
        chunks = _line_chunks(reader, first, ctx, origin, tell=raw)
        return Stream(origin, chunks, None, size, 0, raw is not None)
    _, rest = _split_header(first) or (b"", first)
    chunks = _line_chunks(reader, rest, ctx, origin, first_line_no=2, tell=raw)
    return Stream(origin, chunks, csv, size, 1, raw is not None)


@dataclass(frozen=True)
class FileSource:
    """One file, plain or gzip (by magic bytes), NMEA text or a known CSV layout."""

    path: Path

    @property
    def label(self) -> str:
        return str(self.path)

    def total_bytes(self) -> int:
        return _size(self.path)

    def check(self) -> None:
        """Raise :class:`SourceError` now if the file is unreadable or an unknown CSV layout."""
        if not self.path.is_file():
            raise SourceError(f"{self.path}: not a readable file; check the path")
        verdict = sniff_file(self.path)
        if verdict is not None and verdict.startswith(("unknown CSV layout", "unreadable")):
            raise SourceError(f"{self.path}: {verdict}")

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        raw, reader = _open_binary(self.path)
        try:
            size = os.fstat(raw.fileno()).st_size
            yield open_stream(reader, str(self.path), ctx, raw=raw, size=size)
        finally:
            reader.close()
            raw.close()


@dataclass(frozen=True)
class StdinSource:
    """Standard input (``-``); ``stream`` replaces ``sys.stdin.buffer`` in tests."""

    stream: BinaryIO | None = None

    @property
    def label(self) -> str:
        return "stdin"

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        source = self.stream if self.stream is not None else sys.stdin.buffer
        magic = source.read(2)
        reader: BinaryIO = _Prefixed(magic, source)  # type: ignore[assignment]
        if magic == GZIP_MAGIC:
            reader = gzip.GzipFile(fileobj=reader, mode="rb")  # type: ignore[assignment]
        yield open_stream(reader, "stdin", ctx, raw=None, size=None)


class _Prefixed:
    """A binary reader that returns ``prefix`` before reading on from ``reader``."""

    def __init__(self, prefix: bytes, reader: BinaryIO) -> None:
        self._prefix = prefix
        self._reader = reader

    def read(self, size: int = -1) -> bytes:
        if not self._prefix:
            return self._reader.read(size)
        head, self._prefix = self._prefix, b""
        if size is None or size < 0:
            return head + self._reader.read()
        return head + self._reader.read(max(size - len(head), 0))


def sniff_file(path: Path) -> str | None:
    """None when ``path`` looks readable as AIS input, else the reason to skip it."""
    if path.name.startswith("."):
        return "hidden file"
    try:
        raw, reader = _open_binary(path)
        with raw, reader:
            head = reader.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error, SourceError) as exc:
        return f"unreadable ({exc})"
    if not head:
        return "empty file"
    if b"\x00" in head:
        return "binary file"
    unknown = _unknown_csv_header(head)
    if unknown is not None:
        return _unknown_csv_message(str(path), unknown).split(": ", 1)[1]
    parts = _split_header(head) or (head, b"")
    if detect_layout(parts[0]) is not None or any(mark in head for mark in _NMEA_MARKS):
        return None
    return f"no AIS sentence or known CSV header in the first {_SNIFF_BYTES // 1024} KiB"


@dataclass
class DirectorySource:
    """Every NMEA-like or known-CSV file under ``path`` (recursive, sorted by path).

    :meth:`plan` walks the directory once (sniffing the first 64 KiB of each file); afterwards
    :attr:`files` lists the files to read and :attr:`skipped` the others, each with its reason.
    """

    path: Path
    skipped: list[Skipped] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    _planned: bool = False

    @property
    def label(self) -> str:
        return str(self.path)

    def plan(self) -> list[Path]:
        """The files to read (walks and sniffs on the first call only)."""
        if not self._planned:
            for file in sorted(p for p in self.path.rglob("*") if p.is_file()):
                reason = sniff_file(file)
                if reason is None:
                    self.files.append(file)
                else:
                    self.skipped.append(Skipped(str(file), reason))
            self._planned = True
        return self.files

    def total_bytes(self) -> int:
        return sum(_size(p) for p in self.plan())

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        for file in self.plan():
            if ctx.stop.is_set():
                return
            yield from FileSource(file).streams(ctx)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def path_source(text: str) -> FileSource | DirectorySource | StdinSource:
    """The source for one command-line path (``-`` is stdin)."""
    if text == "-":
        return StdinSource()
    path = Path(text)
    if path.is_dir():
        return DirectorySource(path)
    if not path.exists():
        raise ConfigError(f"{text}: no such file or directory")
    source = FileSource(path)
    source.check()
    return source
