"""Input sources: files (plain or gzip), directories, stdin — each a series of line chunks.

A :class:`Source` yields one :class:`Stream` per input it reads (a directory yields one per file;
a live feed one for its whole life). A stream carries its origin label (the file path, "stdin",
"tcp://host:port", "udp://host:port"), its CSV layout when the header line is a known CSV header
(:mod:`setu.ingest.csvformats`), and an iterator of :class:`Chunk` — whole lines only, cut by
:class:`~setu.ingest.chunking.LineChunker` so memory stays bounded whatever the line lengths.

Gzip is detected by its magic bytes, not by the file name. Directories are walked recursively in
sorted order, following symbolic links to directories (each directory is walked once, so a link
loop ends); files that are neither NMEA-like nor a known CSV layout, binary files, special files
and unreadable files or directories are skipped, each with its reason (see
:attr:`DirectorySource.skipped`). A file named on the command line is read whatever its content,
unless it is binary (:func:`~setu.ingest.chunking.looks_binary`, the same rule as in a
directory walk) or a CSV of an unknown layout.

A read that fails part-way (a gzip file cut short, a disk error) does not lose what was read:
the stream ends with every line read so far (the partial last line included, as a line) and
records the fault in :attr:`Stream.faults` ("truncated or corrupt gzip (...) after 12,345
lines"); the pipeline reports it among the skipped inputs and goes on with the next input.
"""

from __future__ import annotations

import gzip
import os
import stat
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from setu.ais.batch import NO_TIME
from setu.clock import Clock, utc_now
from setu.errors import ConfigError, SourceError
from setu.ingest.chunking import LineChunker, first_line, looks_binary
from setu.ingest.csvformats import MAX_HEADER_BYTES, CsvLayout, detect_layout, looks_like_csv

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
# A directory walk judges a file by its first 64 KiB, reading on up to 1 MiB for an AIS sentence
# when there is none yet (after a long line of junk, say).
_SNIFF_BYTES = 64 * 1024
_SNIFF_MAX_BYTES = 1024 * 1024
_READ_ERRORS = (OSError, EOFError, zlib.error)
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
    """One input read from start to end; ``csv`` is set for a known CSV layout.

    ``faults`` is filled while ``chunks`` is read: why the input ended early, if it did.
    """

    origin: str
    chunks: Iterator[Chunk]
    csv: tuple[CsvLayout, tuple[str, ...]] | None = None
    size_bytes: int | None = None
    header_lines: int = 0
    is_file: bool = False
    faults: list[str] = field(default_factory=list)


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
    try:
        magic = raw.read(2)
        raw.seek(0)
    except OSError as exc:
        raw.close()
        raise SourceError(f"cannot read {path}: {exc.strerror}; check the disk") from exc
    if magic == GZIP_MAGIC:
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw, raw


def _fault_text(exc: BaseException, reader: BinaryIO) -> str:
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if isinstance(reader, gzip.GzipFile) or isinstance(exc, EOFError | zlib.error):
        return f"truncated or corrupt gzip ({detail})"
    return f"read error ({detail})"


def _read_block(reader: BinaryIO, size: int) -> tuple[bytes, str | None]:
    """Up to ``size`` bytes, and the fault that ended the read early (None when there was none).

    Reads piecewise (``read1``) where it can, so the bytes decoded before a fault are kept.
    """
    read1: Callable[[int], bytes] | None = getattr(reader, "read1", None)
    parts: list[bytes] = []
    got = 0
    try:
        if read1 is None:
            return reader.read(size), None
        while got < size:
            part = read1(size - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
    except _READ_ERRORS as exc:
        return b"".join(parts), _fault_text(exc, reader)
    return b"".join(parts), None


def _line_chunks(
    reader: BinaryIO,
    first: tuple[bytes, str | None],
    ctx: ReadContext,
    faults: list[str],
    *,
    first_line_no: int = 1,
    tell: BinaryIO | None = None,
) -> Iterator[Chunk]:
    """Chunks of whole lines from ``first`` (a block and its fault) and then ``reader``.

    A read fault ends the stream after every line read before it, and is added to ``faults``.
    """
    chunker = LineChunker(ctx.max_line_bytes, first_line_no=first_line_no)
    block, fault = first
    while True:  # ``first`` may be empty (a CSV header that filled the first block exactly)
        data, line_no = chunker.feed(block)
        if data:
            yield Chunk(data, line_no, position=_tell(tell))
        if ctx.stop.is_set() or fault is not None:
            break
        block, fault = _read_block(reader, ctx.chunk_bytes)
        if not block and fault is None:
            break
    if ctx.stop.is_set() and block and fault is None and tell is not None:
        return  # stopped mid-file: the partial last line is left for a rerun, not rejected
    data, line_no = chunker.finish()
    if fault is not None:  # known before the partial last line is handed on
        lines = chunker.next_line_no - 1
        faults.append(f"{fault} after {lines:,} lines; the lines before it were read")
    if data:
        yield Chunk(data, line_no, position=_tell(tell))


def _tell(fh: BinaryIO | None) -> int:
    if fh is None:
        return 0
    try:
        return fh.tell()
    except (OSError, ValueError):
        return 0


def _split_header(first: bytes, *, whole: bool = False) -> tuple[bytes, bytes] | None:
    """(first line, rest) when ``first`` starts with a line short enough to be a CSV header.

    ``whole``: ``first`` is the entire input, so a last line without a break counts.
    """
    parts = first_line(first)
    if parts is None and whole:
        parts = (first.rstrip(b"\r"), b"")
    if parts is None or len(parts[0]) > MAX_HEADER_BYTES:
        return None
    return parts


def _csv_of(first: bytes, *, whole: bool) -> tuple[CsvLayout, tuple[str, ...]] | None:
    parts = _split_header(first, whole=whole)
    return detect_layout(parts[0]) if parts else None


def _unknown_csv_message(origin: str, header: bytes) -> str:
    text = header.decode("utf-8", "replace").strip()
    shown = text if len(text) <= 120 else text[:117] + "..."
    return (
        f"{origin}: unknown CSV layout (header: {shown!r}); setu reads NOAA MarineCadastre "
        "(MMSI, BaseDateTime, LAT, LON, ...) and DMA aisdk (# Timestamp, Type of mobile, MMSI, "
        "...) CSV, or NMEA text"
    )


def _has_marks(head: bytes) -> bool:
    return any(mark in head for mark in _NMEA_MARKS)


def _unknown_csv_header(head: bytes, *, whole: bool) -> bytes | None:
    """The header line when ``head`` starts like a CSV of an unknown layout (and is not NMEA)."""
    parts = _split_header(head, whole=whole)
    if parts is None or detect_layout(parts[0]) is not None or _has_marks(head):
        return None
    return parts[0] if looks_like_csv(parts[0]) else None


def open_stream(
    reader: BinaryIO, origin: str, ctx: ReadContext, *, raw: BinaryIO | None, size: int | None
) -> Stream:
    """Read the first block of ``reader`` and make the stream (CSV when the header says so).

    Raises :class:`SourceError` when the input starts with a CSV header of an unknown layout.
    """
    want = max(ctx.chunk_bytes, MAX_HEADER_BYTES + 2)  # room for a whole CSV header line
    first, fault = _read_block(reader, want)
    if first.endswith(b"\r") and fault is None and len(first) == want:
        more, fault = _read_block(reader, 1)  # a "\r\n" cut between the blocks stays whole
        first += more
    whole = fault is not None or len(first) < want
    csv = _csv_of(first, whole=whole)
    faults: list[str] = []
    if csv is None:
        unknown = _unknown_csv_header(first, whole=whole)
        if unknown is not None:
            raise SourceError(_unknown_csv_message(origin, unknown))
        chunks = _line_chunks(reader, (first, fault), ctx, faults, tell=raw)
        return Stream(origin, chunks, None, size, 0, raw is not None, faults)
    _, rest = _split_header(first, whole=whole) or (b"", first)
    chunks = _line_chunks(reader, (rest, fault), ctx, faults, first_line_no=2, tell=raw)
    return Stream(origin, chunks, csv, size, 1, raw is not None, faults)


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
        """Raise :class:`SourceError` now if the file is unreadable, binary or a CSV of an
        unknown layout (a directory walk skips the same files)."""
        if not self.path.is_file():
            raise SourceError(f"{self.path}: not a readable file; check the path")
        verdict = sniff_file(self.path)
        if verdict is not None and verdict.startswith(_REFUSED):
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

    def read1(self, size: int = -1) -> bytes:
        """At most one read of the underlying reader (the prefix first), as ``read1`` does."""
        if self._prefix:
            cut = len(self._prefix) if size is None or size < 0 else size
            head, self._prefix = self._prefix[:cut], self._prefix[cut:]
            return head
        read1 = getattr(self._reader, "read1", None)
        return read1(size) if read1 is not None else self._reader.read(size)


#: Verdicts of :func:`sniff_file` that refuse a file named on the command line too.
_REFUSED = ("unknown CSV layout", "unreadable", "binary file")


def _sniff_head(path: Path) -> tuple[bytes, bool, str | None]:
    """(start of the content, whether it is all of it, why it could not be opened or read)."""
    try:
        raw, reader = _open_binary(path)
    except SourceError as exc:
        cause = exc.__cause__
        return b"", True, getattr(cause, "strerror", None) or str(cause or exc)
    with raw, reader:
        head, fault = _read_block(reader, _SNIFF_BYTES)
        wanted = _SNIFF_BYTES
        if fault is None and len(head) == wanted and not _has_marks(head):
            more, fault = _read_block(reader, _SNIFF_MAX_BYTES - _SNIFF_BYTES)
            head, wanted = head + more, _SNIFF_MAX_BYTES
    whole = fault is not None or len(head) < wanted
    return head, whole, (fault if not head else None)


def sniff_file(path: Path) -> str | None:
    """None when ``path`` looks readable as AIS input, else the reason to skip it."""
    if path.name.startswith("."):
        return "hidden file"
    head, whole, fault = _sniff_head(path)
    if fault is not None:
        return f"unreadable ({fault})"
    if not head:
        return "empty file"
    if looks_binary(head[:_SNIFF_BYTES]):
        return "binary file"
    unknown = _unknown_csv_header(head, whole=whole)
    if unknown is not None:
        return _unknown_csv_message(str(path), unknown).split(": ", 1)[1]
    if _csv_of(head, whole=whole) is not None or _has_marks(head):
        return None
    return f"no AIS sentence or known CSV header in the first {len(head) // 1024:,} KiB"


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
            for file in _walk(self.path, self.skipped):
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
            try:
                yield from FileSource(file).streams(ctx)
            except SourceError as exc:  # gone or unreadable since the walk
                self.skipped.append(Skipped(str(file), str(exc)))


def _walk(root: Path, skipped: list[Skipped]) -> list[Path]:
    """Regular files under ``root``, sorted by path; links to directories are followed, each
    directory is walked once, and what cannot be walked is added to ``skipped``."""

    def unreadable(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else root
        skipped.append(Skipped(str(where), f"unreadable directory ({exc.strerror or exc})"))

    walked: set[tuple[int, int]] = set()
    seen: dict[tuple[int, int], str] = {}
    files: list[Path] = []
    for top, dirs, names in os.walk(root, onerror=unreadable, followlinks=True):
        dirs.sort()
        try:
            info = os.stat(top)
        except OSError as exc:
            unreadable(exc)
            dirs.clear()
            continue
        if (info.st_dev, info.st_ino) in walked:
            skipped.append(Skipped(top, "directory already walked (a symbolic link loop)"))
            dirs.clear()
            continue
        walked.add((info.st_dev, info.st_ino))
        for name in sorted(names):
            path = Path(top) / name
            reason, key = _regular(path)
            if key is not None and key in seen:
                reason = f"same file as {seen[key]}"
            if reason is not None:
                skipped.append(Skipped(str(path), reason))
                continue
            assert key is not None
            seen[key] = str(path)
            files.append(path)
    return sorted(files)


def _regular(path: Path) -> tuple[str | None, tuple[int, int] | None]:
    """(why ``path`` is not a readable regular file or None, its device and inode)."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})", None
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a device, pipe or socket)", None
    return None, (info.st_dev, info.st_ino)


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
