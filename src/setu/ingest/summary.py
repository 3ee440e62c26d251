"""What an ingest did: the frozen :class:`IngestSummary`, its running tally, and progress.

Accounting rule (tested on every real recording): every input record ends up in exactly one
place, ``records == accepted_sentences + rejected_records + ignored + metadata_lines``, where a
record is a line (a line holding several tag-block + sentence pairs counts each pair) and
``rejected_records`` counts the input records behind the reject rows (a rejected multi-part
message counts each of its sentences). ``rejected`` counts reject rows by reason.

``complete`` says whether the run ended the way it was meant to (every input read to its end, or
a live feed for its whole ``--duration``); ``stopped_by`` names what ended it early (``SIGINT``,
``SIGTERM``, ``SIGHUP``) or ``duration``. ``feeds`` holds one :class:`FeedStats` per live feed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["FeedStats", "IngestSummary", "Progress", "Tally"]


@dataclass(frozen=True)
class Progress:
    """One progress report: bytes read so far (and in total when known) and messages."""

    origin: str
    bytes_read: int
    total_bytes: int | None
    messages: int
    rejected: int


@dataclass(frozen=True)
class FeedStats:
    """What one live feed did: TCP connections, failed attempts (``last_error`` says why) and
    idle timeouts; UDP datagrams received, dropped by the kernel for want of buffer (None: the OS
    does not say) and truncated, and the receive buffer the kernel granted."""

    origin: str
    connections: int = 0
    reconnects: int = 0
    failed_attempts: int = 0
    idle_timeouts: int = 0
    last_error: str = ""
    datagrams: int = 0
    datagrams_dropped: int | None = None
    datagrams_truncated: int = 0
    receive_buffer_bytes: int = 0

    @property
    def is_tcp(self) -> bool:
        return self.origin.startswith("tcp://")

    @property
    def never_connected(self) -> bool:
        """A TCP feed that did not connect once during the run."""
        return self.is_tcp and self.connections == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IngestSummary:
    """Counts of one ingest run (see the module docstring for how they add up)."""

    lines: int
    records: int
    accepted_sentences: int
    messages: int
    accepted: Mapping[str, int]
    rejected: Mapping[str, int]
    rejected_records: int
    ignored: int
    metadata_lines: int
    vessels: int
    first_received_at: datetime | None
    last_received_at: datetime | None
    files_read: int
    bytes_read: int
    reconnects: int
    duration_s: float
    skipped: tuple[tuple[str, str], ...] = ()
    origins: tuple[str, ...] = ()
    feeds: tuple[FeedStats, ...] = ()
    complete: bool = True
    stopped_by: str | None = None

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def balanced(self) -> bool:
        """True when every record is accounted for (see the module docstring)."""
        parts = self.accepted_sentences + self.rejected_records + self.ignored
        return self.records == parts + self.metadata_lines

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (datetimes as ISO-8601 UTC)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["accepted"] = dict(self.accepted)
        out["rejected"] = dict(self.rejected)
        out["skipped"] = [{"path": p, "reason": r} for p, r in self.skipped]
        out["origins"] = list(self.origins)
        out["feeds"] = [feed.to_dict() for feed in self.feeds]
        for key in ("first_received_at", "last_received_at"):
            value = getattr(self, key)
            out[key] = value.isoformat() if value is not None else None
        return out


@dataclass
class Tally:
    """Running totals while an ingest proceeds (mutable, private to one run)."""

    lines: int = 0
    records: int = 0
    accepted_sentences: int = 0
    messages: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rejected_records: int = 0
    ignored: int = 0
    metadata_lines: int = 0
    mmsis: set[int] = field(default_factory=set)
    first_us: int | None = None
    last_us: int | None = None
    files_read: int = 0
    bytes_read: int = 0
    origins: list[str] = field(default_factory=list)

    def add_tables(self, tables: Mapping[str, pa.Table]) -> None:
        for family, table in tables.items():
            if not table.num_rows:
                continue
            self.accepted[family] += table.num_rows
            self.mmsis.update(pc.unique(table["mmsi"]).to_pylist())
            self._times(table["received_at"])

    def add_rejects(self, rejects: pa.Table) -> None:
        if rejects.num_rows:
            for reason, n in zip(*_value_counts(rejects["reason"]), strict=True):
                self.rejected[reason] += n

    def _times(self, column: pa.ChunkedArray) -> None:
        lo_hi = pc.min_max(column)
        lo, hi = lo_hi["min"], lo_hi["max"]
        if not lo.is_valid:
            return
        lo_us = int(pc.cast(lo, pa.int64()).as_py())
        hi_us = int(pc.cast(hi, pa.int64()).as_py())
        self.first_us = lo_us if self.first_us is None else min(self.first_us, lo_us)
        self.last_us = hi_us if self.last_us is None else max(self.last_us, hi_us)

    def freeze(
        self,
        *,
        reconnects: int,
        duration_s: float,
        skipped: tuple[tuple[str, str], ...],
        feeds: tuple[FeedStats, ...] = (),
        complete: bool = True,
    ) -> IngestSummary:
        return IngestSummary(
            lines=self.lines,
            records=self.records,
            accepted_sentences=self.accepted_sentences,
            messages=self.messages,
            accepted=MappingProxyType(dict(self.accepted)),
            rejected=MappingProxyType(dict(self.rejected)),
            rejected_records=self.rejected_records,
            ignored=self.ignored,
            metadata_lines=self.metadata_lines,
            vessels=len(self.mmsis),
            first_received_at=_dt(self.first_us),
            last_received_at=_dt(self.last_us),
            files_read=self.files_read,
            bytes_read=self.bytes_read,
            reconnects=reconnects,
            duration_s=duration_s,
            skipped=skipped,
            origins=tuple(self.origins),
            feeds=feeds,
            complete=complete,
        )


def _value_counts(column: pa.ChunkedArray) -> tuple[list[str], list[int]]:
    counts = pc.value_counts(column.combine_chunks())
    return counts.field("values").to_pylist(), counts.field("counts").to_pylist()


def _dt(us: int | None) -> datetime | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1_000_000, UTC).replace(
        microsecond=int(np.int64(us) % 1_000_000)
    )
