"""The on-disk layout of the store, and the per-day lock that writers, repair and check share.

Each ``<table>/day=YYYY-MM-DD/`` directory holds:

- ``part-<n>-<id>.parquet``: committed files, written once and never modified;
- ``.part-<n>-<id>.parquet.tmp``: a file being written (hidden; renamed when complete);
- ``.lock``: the day's lock file. A writer holds an exclusive ``flock`` on it for the whole of
  one flush into that day (read the keys of files other writers added, write, rename), so a temp
  file in a directory whose lock is free belongs to no live writer: it is what a killed writer
  left behind, and is removed by the next writer (or ``setu store repair``).

Damaged files are moved under ``quarantine/<table>/day=…/`` beside a ``.reason.json``; readers
never look there.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

#: Tables of the store: the decoded AIS families, plus rejects.
FAMILIES: tuple[str, ...] = ("positions", "statics", "base_stations", "other")
TABLES: tuple[str, ...] = (*FAMILIES, "rejects")
UNKNOWN_DAY = "unknown"
LOCK_NAME = ".lock"
TEMP_SUFFIX = ".tmp"
QUARANTINE = "quarantine"

#: Columns with (nearly) a distinct value per row: dictionary encoding only costs time there
#: (measured in benchmarks/decode.py: Parquet stage 0.79 s -> 0.53 s per 1M messages together
#: with the system allocator, which is faster than PyArrow's default for these writes).
NO_DICTIONARY_COLUMNS = frozenset({"received_at", "line_no", "msg_hash", "lon", "lat", "radio"})


def parquet_files(directory: Path) -> list[Path]:
    """Committed Parquet files of one directory, sorted by name (none if it does not exist)."""
    return sorted(p for p in _entries(directory) if _is_committed(p.name))


def temp_files(directory: Path) -> list[Path]:
    """Temp files of one directory (complete or not: never part of the store)."""
    return sorted(p for p in _entries(directory) if p.name.endswith(TEMP_SUFFIX))


def temp_name(final: Path) -> Path:
    """The hidden temp path a file is written under before its rename to ``final``."""
    return final.with_name(f".{final.name}{TEMP_SUFFIX}")


def day_dirs(table_dir: Path) -> list[Path]:
    """The ``day=…`` directories of one table."""
    return sorted(p for p in _entries(table_dir) if p.name.startswith("day=") and p.is_dir())


def _is_committed(name: str) -> bool:
    return name.endswith(".parquet") and not name.startswith(".")


def _entries(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as it:
            return [Path(e.path) for e in it]
    except (FileNotFoundError, NotADirectoryError):
        return []


@contextlib.contextmanager
def day_lock(directory: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the exclusive lock of one day directory; yields whether it was acquired.

    With ``wait`` the call blocks until the lock is free (writers hold it for one flush) and
    always yields True; without, it yields False at once when another process holds it. The
    lock is released when the block ends, and by the kernel when the process dies.
    """
    path = directory / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError:  # a read-only store: nobody can be writing into it
        fd = os.open(path, os.O_RDONLY) if path.exists() else -1
    if fd < 0:
        yield True
        return
    try:
        acquired = True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            acquired = False
        yield acquired
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def stale_temp_files(directory: Path) -> list[Path]:
    """Temp files of one day directory left by a writer that is gone (its lock is free)."""
    temps = temp_files(directory)
    if not temps:
        return []
    with day_lock(directory, wait=False) as free:
        return temps if free else []


def remove_stale_temp_files(root: Path) -> list[Path]:
    """Remove the temp files that killed writers left anywhere under the store ``root``."""
    removed: list[Path] = []
    for table in TABLES:
        for directory in day_dirs(root / table):
            if not temp_files(directory):
                continue
            with day_lock(directory, wait=False) as free:
                if not free:
                    continue  # a live writer is flushing here; its temp file is not stale
                for path in temp_files(directory):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed.append(path)
    return removed
