"""The ingest pipeline: sources in, decoded family tables and rejects out, chunk by chunk.

For NMEA streams each chunk goes through framing (:func:`setu.ais.sentences.frame_chunk`, with
the frame carry handed from chunk to chunk), multi-part reassembly (one
:class:`~setu.ais.reassembly.Reassembler` per stream, flushed at its end), the receive-time rule
and decoding (:func:`setu.ais.decode.decode_batch`); CSV streams go through
:func:`setu.ingest.csvformats.parse_csv`. Memory is bounded by the chunk size and the
reassembler's limits, whatever the input size.

Receive time: the line's own (tag block, ``$PGHP``, CSV column) first; else the live feed's
clock stamp of the chunk; else ``assume_time``. With ``require_time`` (the default of
:func:`ingest`, which feeds the store) messages left without a time are rejected as
``no_receive_time``; :func:`iter_decoded` keeps them with a null time unless asked otherwise.

``strict`` turns the first reject into an :class:`~setu.errors.NmeaError` (and makes framing
reject bad checksums).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import pyarrow as pa

from setu.ais.batch import NO_TIME, REJECT_SCHEMA, PayloadBatch
from setu.ais.decode import decode_batch
from setu.ais.reasons import Reason
from setu.ais.reassembly import Reassembler
from setu.ais.sentences import frame_chunk
from setu.clock import Clock, utc_now
from setu.errors import ConfigError, NmeaError
from setu.ingest.csvformats import parse_csv
from setu.ingest.sources import DEFAULT_CHUNK_BYTES, ReadContext, Source, Stream
from setu.ingest.summary import IngestSummary, Progress, Tally

__all__ = [
    "INGEST_REJECT_SCHEMA",
    "ChunkResult",
    "MemorySink",
    "Sink",
    "ingest",
    "iter_decoded",
]

#: Rejects as the pipeline hands them on: the AIS reject schema plus ``origin``.
INGEST_REJECT_SCHEMA = REJECT_SCHEMA.append(pa.field("origin", pa.string(), nullable=False))
_US = 1_000_000


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


@dataclass(frozen=True)
class _Options:
    strict: bool
    assume_us: int
    require_time: bool
    max_line_bytes: int


def _assume_us(assume_time: datetime | None) -> int:
    if assume_time is None:
        return NO_TIME
    if assume_time.tzinfo is None:
        raise ConfigError("assume_time must be timezone-aware (UTC), e.g. 2024-01-01T00:00:00Z")
    return int(assume_time.timestamp()) * _US + assume_time.microsecond


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
            default_time_us=default_us,
            strict=opts.strict,
            max_line_bytes=opts.max_line_bytes,
            carry=carry,
        )
        carry = framed.carry
        batch, reassembly_rejects = reassembler.push(framed)
        decoded = _decode(batch, opts)
        rejects = _merge_rejects(
            [framed.rejects, reassembly_rejects, *decoded.rejects], stream.origin
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
    if stream.csv is not None:
        return _csv_results(stream, opts)
    return _nmea_results(stream, opts)


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
    strict: bool, assume_time: datetime | None, require_time: bool, max_line_bytes: int
) -> _Options:
    if max_line_bytes < 1:
        raise ConfigError(f"max_line_bytes must be at least 1 (got {max_line_bytes})")
    return _Options(strict, _assume_us(assume_time), require_time, max_line_bytes)


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
) -> Iterator[ChunkResult]:
    """Decode ``sources`` chunk by chunk, yielding tables and rejects as they come (no sink).

    Messages without a receive time keep a null ``received_at`` unless ``require_time``.
    """
    opts = _options(strict, assume_time, require_time, max_line_bytes)
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
) -> IngestSummary:
    """Read every source into ``sink``; returns the counts (see :class:`IngestSummary`).

    ``progress`` is called after every chunk; ``stop`` ends live feeds (and files) early;
    ``clock`` stamps live-feed chunks.
    """
    opts = _options(strict, assume_time, require_time, max_line_bytes)
    ctx = ReadContext(stop or threading.Event(), clock, chunk_bytes, max_line_bytes)
    tally = Tally()
    started = time.monotonic()
    total = total_bytes(sources)
    done_before = 0
    current: list[Stream] = []

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
        skipped=tuple((k.path, k.reason) for s in sources for k in getattr(s, "skipped", ())),
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
