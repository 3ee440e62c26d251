"""Integrity of the stored files: :func:`check_store` finds damage, :func:`repair_store` removes
it from the store without losing what can still be read.

A file is damaged when its footer cannot be read (a truncated or overwritten file), when its
schema does not fit its table (a key column missing, a column of another type), or when a row
group does not read back (a page checksum fails, a page does not decompress; ``deep`` checks
only). A temp file in a day directory whose lock is free is left by a killed writer and is
reported too.

Repair, per damaged file, under the day's lock (so writers wait and then see the result):

1. the row groups that read back intact are written again as a new file of the same day
   (AIS tables; events are not salvaged but detected again);
2. the file moves to ``<ais>/quarantine/<table>/day=…/`` beside ``<name>.reason.json``
   (table, day, problem, rows declared, rows salvaged, rows lost, when);
3. stale temp files are deleted (they never were part of the store).

The report says how many rows were lost per table and day: exact when the footer could be read,
"unknown" when it could not. Event files (``<data_dir>/events``) are checked and quarantined the
same way (under ``quarantine/events/``); events can be detected again from the positions.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from setu.clock import Clock, utc_now
from setu.store.dataset import MaritimeStore
from setu.store.layout import (
    QUARANTINE,
    TABLES,
    day_dirs,
    day_lock,
    parquet_files,
    stale_temp_files,
)
from setu.store.schemas import table_schema

#: Problems a stored file can have.
UNREADABLE_FOOTER = "unreadable_footer"
SCHEMA = "schema"
ROW_GROUPS = "row_groups"
STALE_TEMP = "stale_temp"
EVENTS = "events"
_KEY_COLUMNS = {"rejects": ("origin", "line_no", "raw"), EVENTS: ("event_id",)}
_MESSAGE_KEYS = ("msg_hash", "received_at")


@dataclass(frozen=True)
class FileDamage:
    """One damaged (or stale temp) file: where, what is wrong, and how many rows it holds."""

    table: str
    day: str
    path: Path
    problem: str
    detail: str
    rows: int | None = None  # rows the footer declares (None: footer unreadable)
    readable_rows: int = 0  # rows in row groups that read back intact

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "day": self.day,
            "path": str(self.path),
            "problem": self.problem,
            "detail": self.detail,
            "rows": self.rows,
            "readable_rows": self.readable_rows,
        }


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_store` looked at and what it found."""

    files: int
    rows: int
    deep: bool
    damage: tuple[FileDamage, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.damage

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "rows": self.rows,
            "deep": self.deep,
            "damage": [d.to_dict() for d in self.damage],
        }


@dataclass(frozen=True)
class RepairedFile:
    """One file taken out of the store by :func:`repair_store`."""

    damage: FileDamage
    quarantined_as: Path | None  # None: a stale temp file, deleted
    salvaged_rows: int = 0

    @property
    def lost_rows(self) -> int | None:
        if self.damage.problem == STALE_TEMP:
            return 0
        if self.damage.rows is None:
            return None
        return self.damage.rows - self.salvaged_rows

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.damage.to_dict(),
            "quarantined_as": None if self.quarantined_as is None else str(self.quarantined_as),
            "salvaged_rows": self.salvaged_rows,
            "lost_rows": self.lost_rows,
        }


@dataclass(frozen=True)
class RepairReport:
    """What :func:`repair_store` did; ``lost`` gives rows lost per (table, day), None when a
    file's footer was unreadable so its row count cannot be known."""

    repaired: tuple[RepairedFile, ...] = ()
    after: CheckReport | None = None
    lost: dict[tuple[str, str], int | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "repaired": [r.to_dict() for r in self.repaired],
            "lost": [
                {"table": table, "day": day, "rows": rows}
                for (table, day), rows in sorted(self.lost.items())
            ],
            "ok_after": None if self.after is None else self.after.ok,
        }


def check_file(table: str, path: Path, *, deep: bool = True) -> FileDamage | None:
    """The damage of one stored file, or None when it reads back whole."""
    day = path.parent.name.removeprefix("day=") if table != EVENTS else "-"
    try:
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as exc:
        return FileDamage(table, day, path, UNREADABLE_FOOTER, _short(exc))
    with parquet:
        rows = parquet.metadata.num_rows
        problem = _schema_problem(table, parquet)
        if problem:
            return FileDamage(table, day, path, SCHEMA, problem, rows, 0)
        if not deep:
            return None
        readable, bad = _readable_row_groups(parquet)
    if bad:
        detail = f"{len(bad)} of {parquet.num_row_groups} row group(s) unreadable: {bad[0]}"
        return FileDamage(table, day, path, ROW_GROUPS, detail, rows, readable)
    if readable != rows:
        detail = f"footer declares {rows} rows, {readable} read back"
        return FileDamage(table, day, path, ROW_GROUPS, detail, rows, readable)
    return None


def _schema_problem(table: str, parquet: pq.ParquetFile) -> str:
    try:
        schema = parquet.schema_arrow
    except (OSError, pa.ArrowException) as exc:
        return f"schema unreadable: {_short(exc)}"
    keys = _KEY_COLUMNS.get(table, _MESSAGE_KEYS)
    missing = [k for k in keys if k not in schema.names]
    if missing:
        return f"key column(s) missing: {', '.join(missing)}"
    if table == EVENTS:
        return ""
    expected = table_schema(table)
    wrong = [
        f"{f.name} is {f.type}, expected {expected.field(f.name).type}"
        for f in schema
        if f.name in expected.names and not f.type.equals(expected.field(f.name).type)
    ]
    return "; ".join(wrong)


def _readable_row_groups(parquet: pq.ParquetFile) -> tuple[int, list[str]]:
    readable, bad = 0, []
    for i in range(parquet.num_row_groups):
        try:
            readable += parquet.read_row_group(i).num_rows
        except (OSError, pa.ArrowException) as exc:
            bad.append(f"row group {i}: {_short(exc)}")
    return readable, bad


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stored_files(store: MaritimeStore) -> Iterator[tuple[str, Path]]:
    for table in TABLES:
        for directory in day_dirs(store.table_dir(table)):
            for path in parquet_files(directory):
                yield table, path
    for path in parquet_files(events_dir(store)):
        yield EVENTS, path


def events_dir(store: MaritimeStore) -> Path:
    """Where the event store of the same data directory keeps its files."""
    return store.root.parent / "events"


def check_store(
    store: MaritimeStore,
    *,
    deep: bool = True,
    progress: Callable[[Path], None] | None = None,
) -> CheckReport:
    """Check every stored file (footer and schema; every row group when ``deep``) and list
    stale temp files. Reads one row group at a time, so memory stays bounded."""
    damage: list[FileDamage] = []
    files = rows = 0
    for table, path in _stored_files(store):
        if progress is not None:
            progress(path)
        try:
            found = check_file(table, path, deep=deep)
        except FileNotFoundError:  # quarantined by a concurrent repair
            continue
        files += 1
        if found is None:
            rows += pq.ParquetFile(path).metadata.num_rows
        else:
            damage.append(found)
    for table in TABLES:
        for directory in day_dirs(store.table_dir(table)):
            for path in stale_temp_files(directory):
                size = path.stat().st_size if path.exists() else 0
                detail = f"temp file of an interrupted write ({size:,} bytes); never read"
                day = directory.name.removeprefix("day=")
                damage.append(FileDamage(table, day, path, STALE_TEMP, detail, 0, 0))
    return CheckReport(files=files, rows=rows, deep=deep, damage=tuple(damage))


def repair_store(store: MaritimeStore, *, clock: Clock = utc_now) -> RepairReport:
    """Quarantine every damaged file (salvaging its readable row groups) and delete stale temp
    files; returns what was done and what was lost, checked again afterwards."""
    found = check_store(store, deep=True)
    repaired: list[RepairedFile] = []
    for damage in found.damage:
        done = _repair_one(store, damage, clock)
        if done is not None:
            repaired.append(done)
    lost: dict[tuple[str, str], int | None] = {}
    for item in repaired:
        if item.damage.problem == STALE_TEMP:
            continue
        slot = (item.damage.table, item.damage.day)
        before = lost.get(slot, 0)
        n = item.lost_rows
        lost[slot] = None if before is None or n is None else before + n
    return RepairReport(tuple(repaired), check_store(store, deep=False), lost)


def _repair_one(store: MaritimeStore, damage: FileDamage, clock: Clock) -> RepairedFile | None:
    directory = damage.path.parent
    if damage.problem == STALE_TEMP:
        with day_lock(directory, wait=False) as free:
            if not free or not damage.path.exists():
                return None
            damage.path.unlink()
        return RepairedFile(damage, None)
    with day_lock(directory):
        if not damage.path.exists():
            return None  # repaired meanwhile by another process
        salvage = damage.problem == ROW_GROUPS and damage.table != EVENTS  # events: detect again
        salvaged = _salvage(damage) if salvage else 0
        target = _quarantine_path(store, damage)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(damage.path, target)
        result = RepairedFile(damage, target, salvaged)
        reason = {**result.to_dict(), "quarantined_at": clock().isoformat()}
        reason_path = target.with_name(target.name + ".reason.json")
        reason_path.write_text(json.dumps(reason, indent=2) + "\n", encoding="utf-8")
    return result


def _quarantine_path(store: MaritimeStore, damage: FileDamage) -> Path:
    base = store.root / QUARANTINE / damage.table
    if damage.table != EVENTS:
        base = base / f"day={damage.day}"
    target = base / damage.path.name
    n = 1
    while target.exists():
        target = base / f"{damage.path.stem}.{n}{damage.path.suffix}"
        n += 1
    return target


def _salvage(damage: FileDamage) -> int:
    """Write the intact row groups of a damaged file as a new file of its day; rows written."""
    from setu.store.writer import write_part

    if damage.readable_rows == 0:
        return 0
    parts = []
    with pq.ParquetFile(damage.path, page_checksum_verification=True) as parquet:
        for i in range(parquet.num_row_groups):
            with contextlib.suppress(OSError, pa.ArrowException):
                parts.append(parquet.read_row_group(i))
    if not parts:
        return 0
    table = pa.concat_tables(parts, promote_options="permissive")
    write_part(damage.path.parent, damage.table, table)
    return table.num_rows
