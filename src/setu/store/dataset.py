"""Writing and reading the day-partitioned Parquet dataset, with idempotent dedupe."""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from setu.errors import ConfigError, StoreError
from setu.settings import DEFAULT_FLUSH_INTERVAL_S, Settings

#: Tables of the store: the decoded AIS families, plus rejects.
FAMILIES: tuple[str, ...] = ("positions", "statics", "base_stations", "other")
TABLES: tuple[str, ...] = (*FAMILIES, "rejects")
UNKNOWN_DAY = "unknown"
_MIX = np.uint64(0x9E3779B97F4A7C15)
_FLUSH_ROWS = 1_000_000

#: A monotonic clock in seconds (``time.monotonic``); injectable so tests can move time.
MonotonicClock = Callable[[], float]


@dataclass(frozen=True)
class WriteStats:
    """What one write (or a whole writer session) added and skipped, per table."""

    added: Mapping[str, int] = field(default_factory=dict)
    duplicates: Mapping[str, int] = field(default_factory=dict)

    def __add__(self, other: WriteStats) -> WriteStats:
        return WriteStats(_sum(self.added, other.added), _sum(self.duplicates, other.duplicates))

    @property
    def total_added(self) -> int:
        return sum(self.added.values())

    @property
    def total_duplicates(self) -> int:
        return sum(self.duplicates.values())


def _sum(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _fnv1a_strings(values: pa.Array) -> np.ndarray:
    """Stable 64-bit FNV-1a hash of every string (Arrow's own hash is not stable across runs)."""
    arr = pc.cast(values, pa.large_string()) if values.type != pa.large_string() else values
    arr = arr.fill_null("")
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    from setu.store._hash import fnv1a_spans

    return fnv1a_spans(data, offsets.astype(np.int64))


def dedupe_keys(table_name: str, table: pa.Table) -> np.ndarray:
    """The uint64 dedupe key of every row.

    Messages: the message hash (FNV-1a of payload and fill bits) mixed with the receive time in
    µs — the same message heard at the same instant (e.g. by two stations) is stored once.
    Rejects: origin, line number and raw text.
    """
    if table_name == "rejects":
        text = pc.binary_join_element_wise(
            table["origin"].combine_chunks(),
            pc.cast(table["line_no"].combine_chunks(), pa.string()),
            table["raw"].combine_chunks(),
            "\x1f",
        )
        return _fnv1a_strings(text)
    hashes = table["msg_hash"].to_numpy(zero_copy_only=False).astype(np.uint64)
    times = pc.cast(table["received_at"], pa.int64()).to_numpy(zero_copy_only=False)
    with np.errstate(over="ignore"):
        return hashes ^ (times.astype(np.int64).view(np.uint64) * _MIX)


def _day_labels(table: pa.Table) -> pa.Array:
    times = table["received_at"].combine_chunks()
    labels = pc.strftime(times, format="%Y-%m-%d") if len(times) else pa.array([], pa.string())
    return pc.fill_null(labels, UNKNOWN_DAY)


class MaritimeStore:
    """The embedded AIS store under ``<data_dir>/ais``.

    Writes go through :meth:`writer` (buffered, deduplicated, atomic file creation); reads go
    through DuckDB (:mod:`setu.store.query`) or :meth:`read_table` for small tables.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- layout ---------------------------------------------------------------------------
    def table_dir(self, table: str) -> Path:
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}; the store has {', '.join(TABLES)}")
        return self.root / table

    def files(self, table: str) -> list[Path]:
        directory = self.table_dir(table)
        if not directory.is_dir():
            return []
        return sorted(directory.glob("day=*/*.parquet"))

    def days(self, table: str = "positions") -> list[str]:
        directory = self.table_dir(table)
        if not directory.is_dir():
            return []
        return sorted(p.name.removeprefix("day=") for p in directory.glob("day=*") if p.is_dir())

    def glob(self, table: str) -> str:
        """The glob DuckDB reads for ``table``."""
        return str(self.table_dir(table) / "day=*" / "*.parquet")

    # -- writing --------------------------------------------------------------------------
    def writer(
        self,
        *,
        flush_rows: int = _FLUSH_ROWS,
        flush_interval_s: float | None = DEFAULT_FLUSH_INTERVAL_S,
        clock: MonotonicClock = time.monotonic,
    ) -> StoreWriter:
        """A buffered, deduplicating writer; use as a context manager (flushes on exit, also
        when an exception passes through).

        It flushes when ``flush_rows`` rows are buffered, and on any :meth:`StoreWriter.write`
        call once the oldest buffered row has waited ``flush_interval_s`` seconds of ``clock``
        (``None``: on size and at exit only). A live source that calls ``write`` at least once
        per second, even with empty tables, so keeps what a crash can lose to that interval.
        """
        return StoreWriter(
            self, flush_rows=flush_rows, flush_interval_s=flush_interval_s, clock=clock
        )

    def write(self, tables: Mapping[str, pa.Table], rejects: pa.Table | None = None) -> WriteStats:
        """Write one batch and flush it at once (convenience for small inputs)."""
        with self.writer() as w:
            w.write(tables, rejects)
        return w.stats

    def existing_keys(self, table: str, day: str) -> np.ndarray:
        """Sorted dedupe keys already stored for one day of one table."""
        directory = self.table_dir(table) / f"day={day}"
        if not directory.is_dir():
            return np.zeros(0, np.uint64)
        columns = (
            ["origin", "line_no", "raw"] if table == "rejects" else ["msg_hash", "received_at"]
        )
        parts = []
        for path in sorted(directory.glob("*.parquet")):
            try:
                parts.append(dedupe_keys(table, pq.read_table(path, columns=columns)))
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(f"cannot read {path}: {exc}; remove or repair the file") from exc
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)

    # -- reading --------------------------------------------------------------------------
    def read_table(self, table: str, columns: Sequence[str] | None = None) -> pa.Table:
        """The whole table (all days) as one Arrow table; for small tables and tests."""
        paths = self.files(table)
        if not paths:
            from setu.store.schemas import table_schema

            schema = table_schema(table)
            return schema.empty_table() if columns is None else schema.empty_table().select(columns)
        try:
            parts = [pq.read_table(p, columns=list(columns) if columns else None) for p in paths]
            return pa.concat_tables(parts, promote_options="permissive")
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"cannot read table {table}: {exc}") from exc

    def positions(
        self,
        *,
        mmsi: Sequence[int] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> pa.Table:
        """Positions filtered by vessel, bounding box (lon_min, lat_min, lon_max, lat_max) and
        time window [start, end), sorted by mmsi and received_at."""
        from setu.store.query import query_positions

        return query_positions(self, mmsi=mmsi, bbox=bbox, start=start, end=end, limit=limit)

    def statics(self) -> pa.Table:
        return self.read_table("statics")

    def vessels(self) -> pa.Table:
        """The vessel registry: latest identity per MMSI (see :mod:`setu.store.registry`)."""
        from setu.store.registry import build_registry

        return build_registry(self)

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run SQL over the store's views (positions, statics, base_stations, other, rejects,
        vessels)."""
        from setu.store.query import run_sql

        return run_sql(self, query, params)

    def counts(self) -> dict[str, int]:
        """Row counts per table, from Parquet metadata (no data read)."""
        out: dict[str, int] = {}
        for table in TABLES:
            total = 0
            for path in self.files(table):
                total += pq.ParquetFile(path).metadata.num_rows
            out[table] = total
        return out


#: Columns with (nearly) a distinct value per row: dictionary encoding only costs time there
#: (measured in benchmarks/decode.py: Parquet stage 0.79 s -> 0.53 s per 1M messages together
#: with the system allocator, which is faster than PyArrow's default for these writes).
NO_DICTIONARY_COLUMNS = frozenset({"received_at", "line_no", "msg_hash", "lon", "lat", "radio"})


class StoreWriter:
    """Buffers rows per (table, day), drops duplicates, writes Parquet files atomically.

    Buffered rows are written on size (``flush_rows``), on age (``flush_interval_s`` of the
    monotonic ``clock``, checked at every :meth:`write`) and on exit from the ``with`` block,
    whether or not an exception passes through (the exception is re-raised after the flush).
    """

    def __init__(
        self,
        store: MaritimeStore,
        *,
        flush_rows: int = _FLUSH_ROWS,
        flush_interval_s: float | None = DEFAULT_FLUSH_INTERVAL_S,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        if flush_interval_s is not None and not (0.0 < flush_interval_s < math.inf):
            raise ConfigError(
                f"flush interval {flush_interval_s!r} s is not a positive number of seconds; "
                "set SETU_FLUSH_INTERVAL_S to e.g. 2"
            )
        if flush_rows < 1:
            raise ConfigError(f"flush_rows must be at least 1 (got {flush_rows})")
        self.store = store
        self.flush_rows = flush_rows
        self.flush_interval_s = flush_interval_s
        self._clock = clock
        self._oldest_at: float | None = None
        self._buffers: dict[tuple[str, str], list[pa.Table]] = {}
        self._buffered_rows = 0
        self._keys: dict[tuple[str, str], np.ndarray] = {}
        self._pending_keys: dict[tuple[str, str], list[np.ndarray]] = {}
        self.stats = WriteStats()

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        # Flush even when an exception passes through: what was read before a truncated file
        # or an interrupt is kept. The exception itself propagates unchanged.
        self.flush()

    @property
    def buffered_rows(self) -> int:
        """Rows held in memory, not yet written."""
        return self._buffered_rows

    def write(self, tables: Mapping[str, pa.Table], rejects: pa.Table | None = None) -> WriteStats:
        """Add one batch; returns what it added and skipped as duplicates.

        Flushes when the buffer is full or its oldest row is older than ``flush_interval_s``;
        call it with empty tables (``write({})``) to let an idle live feed flush on time.
        """
        stats = WriteStats()
        items = [(name, t) for name, t in tables.items() if t is not None and len(t)]
        if rejects is not None and len(rejects):
            items.append(("rejects", rejects))
        for name, table in items:
            stats = stats + self._add(name, table)
        self.stats = self.stats + stats
        if self._buffered_rows and self._oldest_at is None:
            self._oldest_at = self._clock()
        if self._buffered_rows >= self.flush_rows or self._too_old():
            self.flush()
        return stats

    def _too_old(self) -> bool:
        if self.flush_interval_s is None or self._oldest_at is None:
            return False
        return self._clock() - self._oldest_at >= self.flush_interval_s

    def _add(self, name: str, table: pa.Table) -> WriteStats:
        self.store.table_dir(name)  # validates the name
        days = _day_labels(table)
        keys = dedupe_keys(name, table)
        added = dups = 0
        for day in pc.unique(days).to_pylist():
            mask = pc.equal(days, day).to_numpy(zero_copy_only=False)
            part_keys = keys[mask]
            fresh = self._fresh(name, day, part_keys)
            sel = np.flatnonzero(mask)[fresh]
            dups += int(mask.sum()) - len(sel)
            if len(sel):
                self._buffers.setdefault((name, day), []).append(table.take(pa.array(sel)))
                self._pending_keys.setdefault((name, day), []).append(part_keys[fresh])
                self._buffered_rows += len(sel)
                added += len(sel)
        return WriteStats({name: added}, {name: dups})

    def _fresh(self, name: str, day: str, keys: np.ndarray) -> np.ndarray:
        """Mask of keys neither stored nor seen earlier in this batch or session."""
        slot = (name, day)
        if slot not in self._keys:
            self._keys[slot] = self.store.existing_keys(name, day)
        pending = self._pending_keys.get(slot)
        if pending:
            merged = np.sort(np.concatenate([self._keys[slot], *pending]))
            self._keys[slot] = merged
            self._pending_keys[slot] = []
        known = self._keys[slot]
        idx = np.searchsorted(known, keys)
        idx[idx >= len(known)] = 0
        seen = (known[idx] == keys) if len(known) else np.zeros(len(keys), bool)
        _, first = np.unique(keys, return_index=True)
        first_mask = np.zeros(len(keys), bool)
        first_mask[first] = True
        return ~seen & first_mask

    def flush(self) -> None:
        """Write every buffered (table, day) as one new Parquet file."""
        for slot in sorted(self._buffers):
            table = pa.concat_tables(self._buffers[slot], promote_options="permissive")
            self._write_file(*slot, table)
            del self._buffers[slot]  # written: a later retry must not write it twice
            self._buffered_rows -= table.num_rows
        self._oldest_at = None

    def _write_file(self, name: str, day: str, table: pa.Table) -> None:
        if name != "rejects" and "mmsi" in table.column_names:
            table = table.sort_by([("mmsi", "ascending"), ("received_at", "ascending")])
        directory = self.store.table_dir(name) / f"day={day}"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            n = len(list(directory.glob("*.parquet")))
            final = directory / f"part-{n:05d}-{uuid.uuid4().hex[:12]}.parquet"
            tmp = final.with_suffix(".parquet.tmp")
            pq.write_table(
                table,
                tmp,
                compression="zstd",
                row_group_size=256_000,
                use_dictionary=[c for c in table.column_names if c not in NO_DICTIONARY_COLUMNS],
                memory_pool=pa.system_memory_pool(),
            )
            os.replace(tmp, final)
        except OSError as exc:
            raise StoreError(
                f"cannot write to {directory}: {exc}; check space and permissions"
            ) from exc


def open_store(settings: Settings) -> MaritimeStore:
    """The store of a data directory (created lazily on first write)."""
    return MaritimeStore(settings.ais_dir)
