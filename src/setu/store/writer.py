"""The store writer: buffered, deduplicated, atomic, and safe beside other writers.

Guarantees (each has a test in ``tests/store/test_writer.py`` or ``tests/faults/``):

- **Bounded loss.** Rows are written on size (``flush_rows``), on age (``flush_interval_s``,
  checked at every :meth:`StoreWriter.write`) and when the ``with`` block ends, also through an
  exception (which then propagates). A crash loses at most the rows of the last interval.
- **No half files.** Each (table, day) is written to a hidden temp file and renamed. A temp file
  left by a killed writer is removed when the next writer starts (only where no live writer
  holds the day's lock). A write that fails (disk full) removes its temp file.
- **Labelled.** Every row gets the writer's ``label_id`` (rows that bring their own keep it);
  the dedupe key leaves the label out, so a row stored under one label is not stored again
  under another (first stored wins).
- **Exactly once across writers.** A flush into one day holds that day's lock, reads the keys of
  the files other writers added since this writer last looked, drops rows already stored, then
  writes. Two concurrent ingests of overlapping input store each row once, and a long live
  ingest and a file ingest share one data directory without a global lock.
"""

from __future__ import annotations

import contextlib
import errno
import math
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from setu.errors import ConfigError, StoreError
from setu.settings import DEFAULT_FLUSH_INTERVAL_S
from setu.store.dataset import WriteStats, day_labels, dedupe_keys, read_keys
from setu.store.layout import (
    NO_DICTIONARY_COLUMNS,
    day_lock,
    parquet_files,
    remove_stale_temp_files,
    temp_files,
    temp_name,
)
from setu.store.schemas import with_label

if TYPE_CHECKING:
    from setu.store.dataset import MaritimeStore

#: Rows buffered before a flush on size.
FLUSH_ROWS = 1_000_000

#: A monotonic clock in seconds (``time.monotonic``); injectable so tests can move time.
MonotonicClock = Callable[[], float]

Slot = tuple[str, str]  # (table, day)


class StoreWriter:
    """Buffers rows per (table, day), drops duplicates, writes Parquet files atomically.

    Buffered rows are written on size (``flush_rows``), on age (``flush_interval_s`` of the
    monotonic ``clock``, checked at every :meth:`write`) and on exit from the ``with`` block,
    whether or not an exception passes through (the exception is re-raised after the flush).
    ``stats`` counts what the session added and skipped as already stored.
    """

    def __init__(
        self,
        store: MaritimeStore,
        *,
        flush_rows: int = FLUSH_ROWS,
        flush_interval_s: float | None = DEFAULT_FLUSH_INTERVAL_S,
        clock: MonotonicClock = time.monotonic,
        label_id: str | None = None,
    ) -> None:
        if flush_interval_s is not None and not (0.0 < flush_interval_s < math.inf):
            raise ConfigError(
                f"flush interval {flush_interval_s!r} s is not a positive number of seconds; "
                "set SETU_FLUSH_INTERVAL_S to e.g. 2"
            )
        if flush_rows < 1:
            raise ConfigError(f"flush_rows must be at least 1 (got {flush_rows})")
        self.store = store
        #: Stamped on every row that comes without a ``label_id`` (None: the open-AIS default).
        self.label_id = label_id
        self.flush_rows = flush_rows
        self.flush_interval_s = flush_interval_s
        self._clock = clock
        self._oldest_at: float | None = None
        self._buffers: dict[Slot, list[pa.Table]] = {}
        self._buffer_keys: dict[Slot, list[np.ndarray]] = {}
        self._buffered_rows = 0
        self._keys: dict[Slot, np.ndarray] = {}
        self._pending_keys: dict[Slot, list[np.ndarray]] = {}
        self._known_files: dict[Slot, set[str]] = {}
        self.stats = WriteStats()
        #: Temp files of killed writers removed when this writer started.
        self.removed_temp_files: tuple[Path, ...] = tuple(remove_stale_temp_files(store.root))

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
        table = with_label(table, self.label_id)
        days = day_labels(table)
        keys = dedupe_keys(name, table)
        added = dups = 0
        for day in pc.unique(days).to_pylist():
            mask = pc.equal(days, day).to_numpy(zero_copy_only=False)
            part_keys = keys[mask]
            fresh = self._fresh((name, day), part_keys)
            sel = np.flatnonzero(mask)[fresh]
            dups += int(mask.sum()) - len(sel)
            if len(sel):
                slot = (name, day)
                self._buffers.setdefault(slot, []).append(table.take(pa.array(sel)))
                self._buffer_keys.setdefault(slot, []).append(part_keys[fresh])
                self._pending_keys.setdefault(slot, []).append(part_keys[fresh])
                self._buffered_rows += len(sel)
                added += len(sel)
        return WriteStats({name: added}, {name: dups})

    def _fresh(self, slot: Slot, keys: np.ndarray) -> np.ndarray:
        """Mask of keys neither stored nor seen earlier in this batch or session."""
        if slot not in self._keys:
            self._keys[slot] = self._new_stored_keys(slot)
        pending = self._pending_keys.get(slot)
        if pending:
            self._keys[slot] = np.sort(np.concatenate([self._keys[slot], *pending]))
            self._pending_keys[slot] = []
        known = self._keys[slot]
        idx = np.searchsorted(known, keys)
        idx[idx >= len(known)] = 0
        seen = (known[idx] == keys) if len(known) else np.zeros(len(keys), bool)
        _, first = np.unique(keys, return_index=True)
        first_mask = np.zeros(len(keys), bool)
        first_mask[first] = True
        return ~seen & first_mask

    def _new_stored_keys(self, slot: Slot) -> np.ndarray:
        """Sorted keys of the slot's files this writer has not read yet (then marked read)."""
        name = slot[0]
        known = self._known_files.setdefault(slot, set())
        parts = []
        for path in parquet_files(self._day_dir(slot)):
            if path.name in known:
                continue
            with contextlib.suppress(FileNotFoundError):  # quarantined meanwhile
                parts.append(read_keys(name, path))
                known.add(path.name)
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)

    def _day_dir(self, slot: Slot) -> Path:
        name, day = slot
        return self.store.table_dir(name) / f"day={day}"

    def flush(self) -> None:
        """Write every buffered (table, day) as one new Parquet file."""
        for slot in sorted(self._buffers):
            self._flush_slot(slot)
        self._oldest_at = None

    def _flush_slot(self, slot: Slot) -> None:
        name, _ = slot
        table = pa.concat_tables(self._buffers[slot], promote_options="permissive")
        keys = np.concatenate(self._buffer_keys[slot])
        directory = self._day_dir(slot)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(directory, exc) from exc
        with day_lock(directory):
            for path in temp_files(directory):  # we hold the lock: nobody else is writing
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            others = self._new_stored_keys(slot)  # written by other writers since we looked
            if len(others):
                self._keys[slot] = np.sort(np.concatenate([self._keys[slot], others]))
                keep = ~np.isin(keys, others)
                dropped = int(len(keep) - keep.sum())
                if dropped:
                    table = table.filter(pa.array(keep))
                    self.stats = self.stats + WriteStats({name: -dropped}, {name: dropped})
            if table.num_rows:
                final = write_part(directory, name, table)
                self._known_files[slot].add(final.name)
        rows = sum(t.num_rows for t in self._buffers.pop(slot))
        del self._buffer_keys[slot]  # written: a later retry must not write it twice
        self._buffered_rows -= rows


def write_part(directory: Path, name: str, table: pa.Table) -> Path:
    """Write ``table`` as a new committed file of ``directory``: hidden temp file, then rename
    (the caller holds the day lock)."""
    if name != "rejects" and "mmsi" in table.column_names:
        table = table.sort_by([("mmsi", "ascending"), ("received_at", "ascending")])
    n = len(parquet_files(directory))
    final = directory / f"part-{n:05d}-{uuid.uuid4().hex[:12]}.parquet"
    tmp = temp_name(final)
    try:
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            row_group_size=256_000,
            use_dictionary=[c for c in table.column_names if c not in NO_DICTIONARY_COLUMNS],
            write_page_checksum=True,
            memory_pool=pa.system_memory_pool(),
        )
        tmp.replace(final)
    except (OSError, pa.ArrowException) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise write_error(directory, exc) from exc
    return final


def write_error(directory: Path, exc: BaseException) -> StoreError:
    """A StoreError for a failed write, saying what is kept and what to do."""
    no_space = getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)
    if no_space:
        return StoreError(
            f"no space left on device while writing to {directory}; free space, then run the "
            "same ingest again: what was flushed before is kept, and rows already stored are "
            "skipped"
        )
    return StoreError(
        f"cannot write to {directory}: {exc}; check space and permissions (what was flushed "
        "before is kept)"
    )
