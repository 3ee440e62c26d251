"""The ingest pipeline: sources in, decoded family tables and rejects out, chunk by chunk.

For NMEA streams each chunk goes through framing (:func:`setu.ais.sentences.frame_chunk`, with
the frame carry handed from chunk to chunk), multi-part reassembly (one
:class:`~setu.ais.reassembly.Reassembler` per stream, flushed at its end), the receive-time rule
and decoding (:func:`setu.ais.decode.decode_batch`); CSV streams go through
:func:`setu.ingest.csvformats.parse_csv`. Memory is bounded by the chunk size and the
reassembler's limits, whatever the input size.

Receive time: the line's own (tag block, ``$PGHP``, CSV column) first; else the live feed's
clock stamp of the chunk; else ``assume_time``. The stamp or the assumed time applies to a
message whose first sentence has no time of its own (so it never splits a multi-part message
whose first part carries a time). With ``require_time`` (the default of :func:`ingest`, which
feeds the store) messages left without a time are rejected as ``no_receive_time``;
:func:`iter_decoded` keeps them with a null time unless asked otherwise.

Plausible times (:class:`ReceiveTimeWindow`, settings ``SETU_TIME_MIN`` and
``SETU_TIME_MAX_AHEAD_S``): a time of the input's own before the earliest (1990-01-01 by
default) or more than the allowance ahead of the clock (a day by default) rejects its message as
``implausible_time``, raw line kept; an ``assume_time`` outside the window is a
:class:`~setu.errors.ConfigError`.

An input that ends in a read fault (a truncated gzip file) keeps every line read before the
fault and is reported among ``skipped`` with the reason; the run goes on with the next input.
``strict`` turns the first reject into an :class:`~setu.errors.NmeaError` (and makes framing
reject bad checksums), and a read fault into a :class:`~setu.errors.SourceError` once what was
read before it has been handed on.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np
import pyarrow as pa

from setu.ais.batch import NO_TIME, REJECT_SCHEMA, PayloadBatch, with_default_time
from setu.ais.decode import decode_batch
from setu.ais.reasons import Reason
from setu.ais.reassembly import Reassembler
from setu.ais.sentences import ANY_TIME, frame_chunk
from setu.clock import Clock, utc_now
from setu.errors import ConfigError, NmeaError, SourceError
from setu.ingest.csvformats import parse_csv
from setu.ingest.sources import DEFAULT_CHUNK_BYTES, ReadContext, Source, Stream
from setu.ingest.summary import IngestSummary, Progress, Tally

__all__ = [
    "INGEST_REJECT_SCHEMA",
    "ChunkResult",
    "MemorySink",
    "ReceiveTimeWindow",
    "Sink",
    "ingest",
    "iter_decoded",
]

#: Rejects as the pipeline hands them on: the AIS reject schema plus ``origin``.
INGEST_REJECT_SCHEMA = REJECT_SCHEMA.append(pa.field("origin", pa.string(), nullable=False))
_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class ReceiveTimeWindow:
    """The receive times setu accepts: from ``earliest`` to ``max_ahead_s`` past the clock.

    AIS came into service in the late 1990s (ITU-R M.1371-0, 1998), so an earlier time is a
    broken clock or a misread field (``c:0`` is 1970); a time well ahead of the clock is one too.
    A day of allowance covers receivers whose clock runs ahead. Both ends are settings
    (``SETU_TIME_MIN``, ``SETU_TIME_MAX_AHEAD_S``; :meth:`from_env`).
    """

    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    max_ahead_s: float = 86_400.0

    def __post_init__(self) -> None:
        if self.earliest.tzinfo is None:
            raise ConfigError("the earliest receive time must be timezone-aware (UTC)")
        if not (math.isfinite(self.max_ahead_s) and self.max_ahead_s >= 0):
            raise ConfigError(
                f"max_ahead_s must be a number of seconds >= 0 (got {self.max_ahead_s}); "
                "set SETU_TIME_MAX_AHEAD_S to e.g. 86400"
            )

    def bounds_us(self, now: datetime) -> tuple[int, int]:
        """(earliest, latest) plausible receive time in µs when the clock reads ``now``."""
        latest = _epoch_us(now) + int(self.max_ahead_s * _US)
        return max(_epoch_us(self.earliest), ANY_TIME[0]), min(latest, ANY_TIME[1])

    def check(self, moment: datetime, what: str, now: datetime) -> int:
        """``moment`` in µs; a :class:`ConfigError` naming ``what`` when it is not plausible."""
        lo, hi = self.bounds_us(now)
        value = _epoch_us(moment)
        if not lo <= value <= hi:
            latest = now + timedelta(seconds=self.max_ahead_s)
            raise ConfigError(
                f"{what} {moment.isoformat()} is not a plausible receive time (accepted: "
                f"{self.earliest.isoformat()} to {latest.isoformat(timespec='seconds')}); give "
                "a time inside that window, or widen it with SETU_TIME_MIN or "
                "SETU_TIME_MAX_AHEAD_S"
            )
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReceiveTimeWindow:
        """The window of ``SETU_TIME_MIN`` and ``SETU_TIME_MAX_AHEAD_S`` (defaults when unset)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if raw_min := env.get("SETU_TIME_MIN", "").strip():
            try:
                earliest = datetime.fromisoformat(raw_min.replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(
                    f"SETU_TIME_MIN={raw_min!r} is not an ISO-8601 date or time; use e.g. "
                    "1990-01-01 or 2020-06-01T00:00:00Z"
                ) from None
            values["earliest"] = earliest.replace(tzinfo=earliest.tzinfo or UTC)
        if raw_ahead := env.get("SETU_TIME_MAX_AHEAD_S", "").strip():
            try:
                values["max_ahead_s"] = float(raw_ahead)
            except ValueError:
                raise ConfigError(
                    f"SETU_TIME_MAX_AHEAD_S={raw_ahead!r} is not a number of seconds; use e.g. "
                    "86400"
                ) from None
        return cls(**values)  # type: ignore[arg-type]


class Sink(Protocol):
    """Where decoded tables and rejects go (the maritime store implements it)."""

    def write(self, tables: Mapping[str, pa.Table], rejects: pa.Table) -> object: ...


@dataclass
class MemorySink:
    """A sink that keeps everything in memory (tests, ``setu decode``)."""

    parts: dict[str, list[pa.Table]] = field(default_factory=dict)
    reject_parts: list[pa.Table] = field(default_factory=list)
    writes: int = 0

    def write(self, tables: Mapping[str, pa.Table], rejects: pa.Table) -> None:
        self.writes += 1
        for name, table in tables.items():
            if table.num_rows:
                self.parts.setdefault(name, []).append(table)
        if rejects.num_rows:
            self.reject_parts.append(rejects)

    def table(self, name: str) -> pa.Table:
        """All rows written for family ``name`` (an empty table when none)."""
        from setu.ais.schema import FAMILY_SCHEMAS

        parts = self.parts.get(name, [])
        return pa.concat_tables(parts) if parts else FAMILY_SCHEMAS[name].empty_table()

    def rejects(self) -> pa.Table:
        if not self.reject_parts:
            return INGEST_REJECT_SCHEMA.empty_table()
        return pa.concat_tables(self.reject_parts)


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk of one stream became, with the counters that account for its records."""

    origin: str
    tables: dict[str, pa.Table]
    rejects: pa.Table
    lines: int = 0
    records: int = 0
    accepted_sentences: int = 0
    messages: int = 0
    rejected_records: int = 0
    ignored: int = 0
    metadata_lines: int = 0
    bytes_read: int = 0
    position: int = 0
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Options:
    strict: bool
    assume_us: int
    require_time: bool
    max_line_bytes: int
    window: ReceiveTimeWindow
    clock: Clock

    def bounds_us(self) -> tuple[int, int]:
        return self.window.bounds_us(self.clock())


def _assume_us(assume_time: datetime | None, window: ReceiveTimeWindow, clock: Clock) -> int:
    if assume_time is None:
        return NO_TIME
    if assume_time.tzinfo is None:
        raise ConfigError("assume_time must be timezone-aware (UTC), e.g. 2024-01-01T00:00:00Z")
    return window.check(assume_time, "--assume-time", clock())


def _with_origin(rejects: pa.Table, origin: str) -> pa.Table:
    column = pa.array([origin] * rejects.num_rows, pa.string())
    return pa.Table.from_arrays([*rejects.columns, column], schema=INGEST_REJECT_SCHEMA)


def _merge_rejects(parts: list[pa.Table], origin: str) -> pa.Table:
    parts = [p for p in parts if p.num_rows]
    if not parts:
        return INGEST_REJECT_SCHEMA.empty_table()
    table = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
    if len(parts) > 1:
        table = table.sort_by([("line_no", "ascending")])
    return _with_origin(table, origin)


def take_batch(batch: PayloadBatch, idx: np.ndarray) -> PayloadBatch:
    """A new batch of the rows ``idx`` of ``batch`` (payload bytes gathered)."""
    offsets = np.asarray(batch.offsets, np.int64)
    starts, ends = offsets[idx], offsets[idx + 1]
    lengths = ends - starts
    new_offsets = np.zeros(len(idx) + 1, np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    gather = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    rows = pa.array(idx)
    return PayloadBatch(
        payload=np.asarray(batch.payload)[gather],
        offsets=new_offsets,
        fill_bits=np.asarray(batch.fill_bits)[idx],
        received_at_us=np.asarray(batch.received_at_us)[idx],
        line_no=np.asarray(batch.line_no)[idx],
        checksum_ok=np.asarray(batch.checksum_ok)[idx],
        sentence_count=np.asarray(batch.sentence_count)[idx],
        channel=batch.channel.take(rows),
        talker=batch.talker.take(rows),
        station=batch.station.take(rows),
    )


def _no_time_rejects(batch: PayloadBatch, idx: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "line_no": pa.array(np.asarray(batch.line_no, np.int64)[idx]),
            "reason": pa.array([Reason.NO_RECEIVE_TIME.value] * len(idx), pa.string()),
            "raw": pa.array([batch.payload_text(i) for i in idx.tolist()], pa.string()),
            "received_at": pa.nulls(len(idx), pa.timestamp("us", tz="UTC")),
        },
        schema=REJECT_SCHEMA,
    )


def _sentence_weights(batch: PayloadBatch, line_nos: list[int]) -> int:
    """Sentences behind the messages rejected at ``line_nos`` (one message per listed line)."""
    wanted = Counter(line_nos)
    lines = np.asarray(batch.line_no)
    counts = np.asarray(batch.sentence_count)
    total = 0
    for line, k in wanted.items():
        total += int(counts[np.flatnonzero(lines == line)[:k]].sum())
    return total


@dataclass(frozen=True)
class _Decoded:
    tables: dict[str, pa.Table]
    rejects: list[pa.Table]
    accepted_sentences: int
    messages: int
    rejected_sentences: int


def _decode(batch: PayloadBatch, opts: _Options) -> _Decoded:
    rejects: list[pa.Table] = []
    rejected = 0
    if opts.require_time and len(batch):
        no_time = np.asarray(batch.received_at_us) == NO_TIME
        if no_time.any():
            rejects.append(_no_time_rejects(batch, np.flatnonzero(no_time)))
            rejected += int(np.asarray(batch.sentence_count)[no_time].sum())
            batch = take_batch(batch, np.flatnonzero(~no_time))
    result = decode_batch(batch)
    decode_rejects = result.rejects
    weights = 0
    if decode_rejects.num_rows:
        rejects.append(decode_rejects)
        weights = _sentence_weights(batch, decode_rejects["line_no"].to_pylist())
    total = int(np.asarray(batch.sentence_count, np.int64).sum())
    return _Decoded(
        tables=result.tables,
        rejects=rejects,
        accepted_sentences=total - weights,
        messages=len(batch) - decode_rejects.num_rows,
        rejected_sentences=rejected + weights,
    )


def _check_strict(rejects: pa.Table, opts: _Options) -> None:
    if not opts.strict or not rejects.num_rows:
        return
    row = rejects.slice(0, 1).to_pylist()[0]
    raw = row["raw"] if len(row["raw"]) <= 80 else row["raw"][:77] + "..."
    raise NmeaError(
        f"{row['origin']} line {row['line_no']}: {row['reason']} ({raw!r}); run without "
        "--strict to store rejects and keep going",
        reason=row["reason"],
        line_no=row["line_no"],
    )


def _nmea_results(stream: Stream, opts: _Options) -> Iterator[ChunkResult]:
    carry = None
    reassembler = Reassembler()
    for chunk in stream.chunks:
        default_us = chunk.received_at_us if chunk.received_at_us != NO_TIME else opts.assume_us
        framed = frame_chunk(
            chunk.data,
            first_line_no=chunk.first_line_no,
            strict=opts.strict,
            max_line_bytes=opts.max_line_bytes,
            carry=carry,
            time_window=opts.bounds_us(),
        )
        carry = framed.carry
        batch, reassembly_rejects = reassembler.push(framed, default_us)
        decoded = _decode(batch, opts)
        framing_rejects = with_default_time(framed.rejects, default_us)
        rejects = _merge_rejects(
            [framing_rejects, reassembly_rejects, *decoded.rejects], stream.origin
        )
        _check_strict(rejects, opts)
        yield ChunkResult(
            origin=stream.origin,
            tables=decoded.tables,
            rejects=rejects,
            lines=framed.lines,
            records=framed.records,
            accepted_sentences=decoded.accepted_sentences,
            messages=decoded.messages,
            rejected_records=framed.rejected
            + reassembly_rejects.num_rows
            + decoded.rejected_sentences,
            ignored=framed.blank_or_comment,
            metadata_lines=framed.metadata_lines,
            bytes_read=len(chunk.data),
            position=chunk.position,
        )
    flushed = _merge_rejects([reassembler.flush()], stream.origin)
    _check_strict(flushed, opts)
    if flushed.num_rows:
        yield ChunkResult(stream.origin, {}, flushed, rejected_records=flushed.num_rows)


def _csv_results(stream: Stream, opts: _Options) -> Iterator[ChunkResult]:
    assert stream.csv is not None
    layout, columns = stream.csv
    empty = INGEST_REJECT_SCHEMA.empty_table()
    header = stream.header_lines
    yield ChunkResult(stream.origin, {}, empty, header, header, metadata_lines=header)
    for chunk in stream.chunks:
        parsed = parse_csv(
            layout,
            columns,
            chunk.data,
            first_line_no=chunk.first_line_no,
            max_line_bytes=opts.max_line_bytes,
            time_window=opts.bounds_us(),
        )
        rejects = _merge_rejects([parsed.rejects], stream.origin)
        _check_strict(rejects, opts)
        yield ChunkResult(
            origin=stream.origin,
            tables=parsed.tables,
            rejects=rejects,
            lines=parsed.lines,
            records=parsed.lines,
            accepted_sentences=parsed.accepted_rows,
            messages=parsed.accepted_rows,
            rejected_records=parsed.rejected_rows,
            ignored=parsed.blank,
            bytes_read=len(chunk.data),
            position=chunk.position,
        )


def _stream_results(stream: Stream, opts: _Options) -> Iterator[ChunkResult]:
    """The results of one stream; then its read faults (a :class:`SourceError` when strict,
    raised only after everything read before the fault was handed on)."""
    results = _csv_results(stream, opts) if stream.csv is not None else _nmea_results(stream, opts)
    position = 0
    try:
        for result in results:
            position = result.position or position
            yield result
    except NmeaError as exc:  # strict: the cut-off last line is not the input's real problem
        if not stream.faults:
            raise
        raise SourceError(f"{stream.origin}: {stream.faults[0]}") from exc
    if stream.faults:
        empty = INGEST_REJECT_SCHEMA.empty_table()
        yield ChunkResult(stream.origin, {}, empty, position=position, faults=tuple(stream.faults))
        if opts.strict:
            raise SourceError(
                f"{stream.origin}: {stream.faults[0]}; run without --strict to keep going with "
                "the other inputs"
            )


def _results(
    sources: Sequence[Source], ctx: ReadContext, opts: _Options, on_stream: Callable[[Stream], None]
) -> Iterator[ChunkResult]:
    for source in sources:
        for stream in source.streams(ctx):
            on_stream(stream)
            yield from _stream_results(stream, opts)
            if ctx.stop.is_set():
                return
        if ctx.stop.is_set():
            return


def _options(
    strict: bool,
    assume_time: datetime | None,
    require_time: bool,
    max_line_bytes: int,
    window: ReceiveTimeWindow | None,
    clock: Clock,
) -> _Options:
    if max_line_bytes < 1:
        raise ConfigError(f"max_line_bytes must be at least 1 (got {max_line_bytes})")
    window = window if window is not None else ReceiveTimeWindow.from_env()
    assume_us = _assume_us(assume_time, window, clock)
    return _Options(strict, assume_us, require_time, max_line_bytes, window, clock)


def iter_decoded(
    sources: Sequence[Source],
    *,
    strict: bool = False,
    assume_time: datetime | None = None,
    require_time: bool = False,
    clock: Clock = utc_now,
    stop: threading.Event | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    max_line_bytes: int = 4096,
    time_window: ReceiveTimeWindow | None = None,
) -> Iterator[ChunkResult]:
    """Decode ``sources`` chunk by chunk, yielding tables and rejects as they come (no sink).

    Messages without a receive time keep a null ``received_at`` unless ``require_time``. An
    input that ended in a read fault yields a last result with its ``faults``.
    ``time_window``: :meth:`ReceiveTimeWindow.from_env` when None.
    """
    opts = _options(strict, assume_time, require_time, max_line_bytes, time_window, clock)
    ctx = ReadContext(stop or threading.Event(), clock, chunk_bytes, max_line_bytes)
    return _results(sources, ctx, opts, lambda stream: None)


def ingest(
    sources: Sequence[Source],
    sink: Sink,
    *,
    strict: bool = False,
    assume_time: datetime | None = None,
    progress: Callable[[Progress], None] | None = None,
    clock: Clock = utc_now,
    stop: threading.Event | None = None,
    require_time: bool = True,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    max_line_bytes: int = 4096,
    time_window: ReceiveTimeWindow | None = None,
) -> IngestSummary:
    """Read every source into ``sink``; returns the counts (see :class:`IngestSummary`).

    ``progress`` is called after every chunk; ``stop`` ends live feeds (and files) early;
    ``clock`` stamps live-feed chunks and is the "now" of ``time_window`` (by default
    :meth:`ReceiveTimeWindow.from_env`). Inputs that ended in a read fault are listed in the
    summary's ``skipped`` with the fault.
    """
    opts = _options(strict, assume_time, require_time, max_line_bytes, time_window, clock)
    ctx = ReadContext(stop or threading.Event(), clock, chunk_bytes, max_line_bytes)
    tally = Tally()
    started = time.monotonic()
    total = total_bytes(sources)
    done_before = 0
    current: list[Stream] = []
    faults: list[tuple[str, str]] = []

    def on_stream(stream: Stream) -> None:
        nonlocal done_before
        if current and current[-1].size_bytes is not None:
            done_before += current[-1].size_bytes
        current[:] = [stream]
        tally.origins.append(stream.origin)
        tally.files_read += int(stream.is_file)

    for result in _results(sources, ctx, opts, on_stream):
        sink.write(result.tables, result.rejects)
        _add(tally, result)
        faults.extend((result.origin, fault) for fault in result.faults)
        if progress is not None:
            progress(
                Progress(
                    origin=result.origin,
                    bytes_read=done_before + result.position,
                    total_bytes=total,
                    messages=tally.messages,
                    rejected=tally.rejected_records,
                )
            )
    return tally.freeze(
        reconnects=sum(int(getattr(s, "reconnects", 0)) for s in sources),
        duration_s=time.monotonic() - started,
        skipped=tuple((k.path, k.reason) for s in sources for k in getattr(s, "skipped", ()))
        + tuple(faults),
        feeds=tuple(s.feed_stats() for s in sources if hasattr(s, "feed_stats")),
        complete=not ctx.stop.is_set(),
    )


def _add(tally: Tally, result: ChunkResult) -> None:
    tally.lines += result.lines
    tally.records += result.records
    tally.accepted_sentences += result.accepted_sentences
    tally.messages += result.messages
    tally.rejected_records += result.rejected_records
    tally.ignored += result.ignored
    tally.metadata_lines += result.metadata_lines
    tally.bytes_read += result.bytes_read
    tally.add_tables(result.tables)
    tally.add_rejects(result.rejects)


def total_bytes(sources: Sequence[Source]) -> int | None:
    """Total size of the sources when every one knows it (files), else None (feeds, stdin)."""
    total = 0
    for source in sources:
        size = getattr(source, "total_bytes", None)
        if size is None:
            return None
        total += size() if callable(size) else int(size)
    return total
