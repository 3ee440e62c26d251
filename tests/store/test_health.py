"""Damaged stored files: reads name them, `store check` finds them, `store repair` removes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from setu.cli import main
from setu.errors import StoreError
from setu.store import MaritimeStore
from setu.store.health import (
    ROW_GROUPS,
    SCHEMA,
    STALE_TEMP,
    UNREADABLE_FOOTER,
    check_store,
    repair_store,
)
from setu.store.schemas import STORE_REJECT_SCHEMA

pytestmark = pytest.mark.unit

FIXED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _reject_table() -> pa.Table:
    cols = {f.name: [None] for f in STORE_REJECT_SCHEMA}
    cols.update(line_no=[4], reason=["not_nmea"], raw=["foo [/x] bar"], origin=["a.nmea"])
    return pa.table(cols, schema=STORE_REJECT_SCHEMA)


@pytest.fixture
def stored(fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]) -> MaritimeStore:
    """Two position files of one day, and one reject."""
    fresh_store.write({"positions": make_positions(0, 10)})
    fresh_store.write({"positions": make_positions(100, 5)}, _reject_table())
    return fresh_store


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _write_multi_row_group_file(store: MaritimeStore, table: pa.Table) -> Path:
    """A positions file of row groups of 10 rows (page checksums on), as the writer stores."""
    directory = store.files("positions")[0].parent
    path = directory / "part-00009-multi.parquet"
    pq.write_table(table, path, row_group_size=10, write_page_checksum=True)
    return path


def _corrupt_row_group(path: Path, index: int) -> None:
    """Overwrite bytes in the middle of the first column chunk of one row group."""
    meta = pq.ParquetFile(path).metadata.row_group(index).column(0)
    start = meta.data_page_offset + meta.total_compressed_size // 2
    data = bytearray(path.read_bytes())
    for i in range(start, start + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_truncated_positions_file_leaves_other_tables_readable_and_names_itself(
    stored: MaritimeStore,
) -> None:
    """Regression: one truncated positions file broke positions, vessels and even rejects."""
    damaged = stored.files("positions")[0]
    _truncate(damaged)
    rejects = stored.sql("SELECT raw FROM rejects")
    assert rejects["raw"].to_pylist() == ["foo [/x] bar"]
    for read in (stored.positions, stored.vessels, stored.counts):
        with pytest.raises(StoreError, match="setu store repair") as caught:
            read()
        assert str(damaged) in str(caught.value)
    with pytest.raises(StoreError, match=damaged.name):
        stored.sql("SELECT count(*) FROM positions")


def test_a_read_that_meets_a_bad_page_points_to_store_check(
    stored: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    path = _write_multi_row_group_file(stored, make_positions(1000, 30))
    meta = pq.ParquetFile(path).metadata.row_group(1)
    data = bytearray(path.read_bytes())
    for c in range(meta.num_columns):
        column = meta.column(c)
        start = column.data_page_offset + column.total_compressed_size // 2
        for i in range(start, start + 16):
            data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="setu store check"):
        stored.sql("SELECT * FROM positions ORDER BY mmsi")


def test_check_names_a_truncated_file(stored: MaritimeStore) -> None:
    damaged = stored.files("positions")[1]
    _truncate(damaged)
    report = check_store(stored)
    assert not report.ok
    [found] = report.damage
    assert (found.table, found.path, found.problem, found.rows) == (
        "positions",
        damaged,
        UNREADABLE_FOOTER,
        None,
    )
    assert report.files == 3 and report.rows == 11  # 10 positions + 1 reject still intact


def test_check_finds_a_bad_page_in_one_row_group_only_when_deep(
    stored: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    path = _write_multi_row_group_file(stored, make_positions(1000, 30))
    _corrupt_row_group(path, 1)
    assert check_store(stored, deep=False).ok
    [found] = check_store(stored).damage
    assert (found.path, found.problem, found.rows, found.readable_rows) == (
        path,
        ROW_GROUPS,
        30,
        20,
    )


def test_check_finds_a_file_whose_schema_does_not_fit_its_table(stored: MaritimeStore) -> None:
    directory = stored.files("positions")[0].parent
    alien = directory / "part-00007-alien.parquet"
    pq.write_table(pa.table({"mmsi": ["not a number"], "msg_hash": [1]}), alien)
    [found] = check_store(stored).damage
    assert found.problem == SCHEMA and "received_at" in found.detail


def test_check_lists_temp_files_left_by_a_killed_writer(stored: MaritimeStore) -> None:
    directory = stored.files("positions")[0].parent
    stale = directory / ".part-00002-killed.parquet.tmp"
    stale.write_bytes(b"PAR1 partial")
    [found] = check_store(stored).damage
    assert (found.path, found.problem) == (stale, STALE_TEMP)


def test_repair_salvages_intact_row_groups_quarantines_the_file_and_reports_the_loss(
    stored: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    path = _write_multi_row_group_file(stored, make_positions(1000, 30))
    _corrupt_row_group(path, 1)
    truncated = stored.files("positions")[0]  # the first writer's file: 10 rows
    _truncate(truncated)
    report = repair_store(stored, clock=lambda: FIXED)
    assert report.after is not None and report.after.ok
    by_path = {r.damage.path: r for r in report.repaired}
    assert by_path[path].salvaged_rows == 20 and by_path[path].lost_rows == 10
    assert by_path[truncated].lost_rows is None  # footer gone: the count cannot be known
    day = truncated.parent.name.removeprefix("day=")
    assert report.lost == {("positions", day): None}
    # the store reads again: 5 rows of the intact file + 20 salvaged
    assert stored.positions().num_rows == 25
    quarantined = by_path[path].quarantined_as
    assert quarantined is not None and quarantined.is_relative_to(stored.root / "quarantine")
    reason = json.loads(quarantined.with_name(quarantined.name + ".reason.json").read_text())
    assert reason["problem"] == ROW_GROUPS and reason["lost_rows"] == 10
    assert reason["quarantined_at"] == FIXED.isoformat()
    assert check_store(stored).ok


def test_rows_lost_per_day_are_exact_when_footers_read(
    stored: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    path = _write_multi_row_group_file(stored, make_positions(1000, 30))
    _corrupt_row_group(path, 0)
    _corrupt_row_group(path, 2)
    report = repair_store(stored)
    day = path.parent.name.removeprefix("day=")
    assert report.lost == {("positions", day): 20}
    assert stored.positions().num_rows == 25


def test_a_damaged_events_file_is_named_checked_and_quarantined(
    stored: MaritimeStore, tmp_path: Path
) -> None:
    from setu.events.model import Event, EventType
    from setu.events.store import EventStore

    events = EventStore(stored.root.parent / "events")
    event = Event(
        event_type=EventType("gap"),
        mmsis=(419000001,),
        start=FIXED,
        end=None,
        lon=72.8,
        lat=18.9,
        evidence="silent",
        details={},
        parameters={},
        key="k",
    )
    events.write([event])
    [path] = events.files()
    _truncate(path)
    with pytest.raises(StoreError, match="setu store repair") as caught:
        events.read()
    assert str(path) in str(caught.value)
    [found] = check_store(stored).damage
    assert found.table == "events"
    repair_store(stored)
    assert events.read().height == 0


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_store_check_exits_6_and_store_repair_makes_every_read_command_work(
    stored: MaritimeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(stored.root.parent)]
    damaged = stored.files("positions")[0]
    _truncate(damaged)
    code, _, err = _run(capsys, *data, "positions")
    assert code == 1 and damaged.name in err and "setu store repair" in err
    assert _run(capsys, *data, "rejects", "--json")[0] == 0
    code, out, _ = _run(capsys, *data, "store", "check", "--json")
    assert code == 6
    assert json.loads(out)["damage"][0]["path"] == str(damaged)
    code, out, _ = _run(capsys, *data, "store", "check")
    assert code == 6 and damaged.name in out
    code, out, _ = _run(capsys, *data, "store", "repair", "--json")
    assert code == 0 and json.loads(out)["ok_after"] is True
    for command in (["positions"], ["vessels"], ["rejects"], ["store", "check"]):
        assert _run(capsys, *data, *command)[0] == 0, command
