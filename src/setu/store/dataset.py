"""Writing and reading the day-partitioned Parquet dataset, with idempotent dedupe.

Writing is done by :class:`setu.store.writer.StoreWriter`; the layout, the per-day lock and temp
files are declared in :mod:`setu.store.layout`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from setu.errors import StoreError
from setu.settings import DEFAULT_FLUSH_INTERVAL_S, Settings
from setu.store.layout import (
    FAMILIES,
    NO_DICTIONARY_COLUMNS,
    TABLES,
    UNKNOWN_DAY,
    day_dirs,
    parquet_files,
)

if TYPE_CHECKING:
    from setu.security.labels import Label
    from setu.store.labels import LabelRegistry
    from setu.store.writer import MonotonicClock, StoreWriter

_MIX = np.uint64(0x9E3779B97F4A7C15)
_FLUSH_ROWS = 1_000_000  # rows buffered before a flush on size
_KEY_COLUMNS = {"rejects": ["origin", "line_no", "raw"]}
_MESSAGE_KEY_COLUMNS = ["msg_hash", "received_at"]

__all__ = [
    "FAMILIES",
    "NO_DICTIONARY_COLUMNS",
    "TABLES",
    "UNKNOWN_DAY",
    "MaritimeStore",
    "WriteStats",
    "damaged_file_error",
    "day_labels",
    "dedupe_keys",
    "open_store",
    "read_keys",
]


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


def day_labels(table: pa.Table) -> pa.Array:
    """The day partition (``YYYY-MM-DD`` UTC, or ``unknown``) of every row."""
    times = table["received_at"].combine_chunks()
    labels = pc.strftime(times, format="%Y-%m-%d") if len(times) else pa.array([], pa.string())
    return pc.fill_null(labels, UNKNOWN_DAY)


class MaritimeStore:
    """The embedded AIS store under ``<data_dir>/ais``.

    Writes go through :meth:`writer` (buffered, deduplicated, atomic file creation); reads go
    through DuckDB (:mod:`setu.store.query`) or :meth:`read_table` for small tables.

    Every row carries a ``label_id`` (:mod:`setu.store.schemas`): the store's writers stamp
    ``write_label_id`` (None, the open-AIS default, unless the store came from
    :meth:`labelled`). When a row arrives again under another label, the first stored wins: the
    dedupe key (message hash, receive time) does not include the label.
    """

    def __init__(self, root: Path, *, write_label_id: str | None = None) -> None:
        self.root = root
        self.write_label_id = write_label_id

    # -- labels ---------------------------------------------------------------------------
    @property
    def label_registry(self) -> LabelRegistry:
        """The labels that rows name, under ``<root>/labels`` (:mod:`setu.store.labels`)."""
        from setu.store.labels import LABELS_DIR, LabelRegistry

        return LabelRegistry(self.root / LABELS_DIR)

    def labelled(self, label: Label | None) -> MaritimeStore:
        """This store, with writers that stamp ``label`` on every row (registered now);
        None: the open-AIS default (a null ``label_id``)."""
        ident = None if label is None else self.label_registry.register(label)
        return MaritimeStore(self.root, write_label_id=ident)

    def label(self, label_id: str) -> Label:
        """The label with this id (checked against it); raises LabelNotFoundError."""
        return self.label_registry.get(label_id)

    def labels(self) -> dict[str, Label]:
        """Every label the store's rows can name, by id."""
        return self.label_registry.all()

    # -- layout ---------------------------------------------------------------------------
    def table_dir(self, table: str) -> Path:
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}; the store has {', '.join(TABLES)}")
        return self.root / table

    def files(self, table: str) -> list[Path]:
        """Committed Parquet files of one table (temp files of writers never appear)."""
        return [p for d in day_dirs(self.table_dir(table)) for p in parquet_files(d)]

    def days(self, table: str = "positions") -> list[str]:
        return [p.name.removeprefix("day=") for p in day_dirs(self.table_dir(table))]

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
        from setu.store.writer import StoreWriter

        return StoreWriter(
            self,
            flush_rows=flush_rows,
            flush_interval_s=flush_interval_s,
            clock=clock,
            label_id=self.write_label_id,
        )

    def write(self, tables: Mapping[str, pa.Table], rejects: pa.Table | None = None) -> WriteStats:
        """Write one batch and flush it at once (convenience for small inputs)."""
        with self.writer() as w:
            w.write(tables, rejects)
        return w.stats

    def existing_keys(self, table: str, day: str) -> np.ndarray:
        """Sorted dedupe keys already stored for one day of one table."""
        directory = self.table_dir(table) / f"day={day}"
        parts = [read_keys(table, path) for path in parquet_files(directory)]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)

    # -- reading --------------------------------------------------------------------------
    def read_table(self, table: str, columns: Sequence[str] | None = None) -> pa.Table:
        """The whole table (all days) as one Arrow table; for small tables and tests."""
        paths = self.files(table)
        if not paths:
            from setu.store.schemas import table_schema

            schema = table_schema(table)
            return schema.empty_table() if columns is None else schema.empty_table().select(columns)
        parts = []
        for path in paths:
            try:
                parts.append(pq.read_table(path, columns=list(columns) if columns else None))
            except (OSError, pa.ArrowException) as exc:
                raise damaged_file_error(path, exc) from exc
        return pa.concat_tables(parts, promote_options="permissive")

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
                try:
                    total += pq.ParquetFile(path).metadata.num_rows
                except (OSError, pa.ArrowException) as exc:
                    raise damaged_file_error(path, exc) from exc
            out[table] = total
        return out


def read_keys(table: str, path: Path) -> np.ndarray:
    """Dedupe keys of one stored file (FileNotFoundError passes: the file was moved away)."""
    columns = _KEY_COLUMNS.get(table, _MESSAGE_KEY_COLUMNS)
    try:
        return dedupe_keys(table, pq.read_table(path, columns=columns))
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowException, KeyError) as exc:
        raise damaged_file_error(path, exc) from exc


def damaged_file_error(path: Path, exc: BaseException | str) -> StoreError:
    """The error for a stored file that cannot be read: which file, and what to do."""
    return StoreError(
        f"cannot read stored file {path}: {exc}; run `setu store check` to list damaged "
        "files and `setu store repair` to quarantine them"
    )


def open_store(settings: Settings) -> MaritimeStore:
    """The store of a data directory (created lazily on first write)."""
    return MaritimeStore(settings.ais_dir)
