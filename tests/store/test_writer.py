"""The store writer's flush policy: on size, on age, and on exit even through an exception."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from setu.errors import ConfigError, StoreError
from setu.settings import load_settings
from setu.store import MaritimeStore
from setu.store.layout import day_lock, stale_temp_files

pytestmark = pytest.mark.unit


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def test_rows_older_than_the_flush_interval_are_written_at_the_next_write(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    clock = FakeMonotonic()
    with fresh_store.writer(flush_interval_s=2.0, clock=clock) as writer:
        writer.write({"positions": make_positions(0, 3)})
        clock.now_s += 1.9
        writer.write({"positions": make_positions(10, 2)})
        assert fresh_store.counts()["positions"] == 0 and writer.buffered_rows == 5
        clock.now_s += 0.1  # the oldest row has now waited 2.0 s
        writer.write({"positions": make_positions(20, 1)})
        assert fresh_store.counts()["positions"] == 6 and writer.buffered_rows == 0


def test_an_idle_write_with_only_empty_tables_flushes_on_time(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    """A live feed that goes quiet still gets its last rows into the store within the interval."""
    clock = FakeMonotonic()
    with fresh_store.writer(flush_interval_s=2.0, clock=clock) as writer:
        writer.write({"positions": make_positions(0, 4)})
        clock.now_s += 1.0
        writer.write({})
        assert fresh_store.counts()["positions"] == 0
        clock.now_s += 1.0
        writer.write({"positions": make_positions(0, 0)}, None)
        assert fresh_store.counts()["positions"] == 4


def test_the_age_of_the_buffer_restarts_after_each_flush(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    clock = FakeMonotonic()
    with fresh_store.writer(flush_interval_s=2.0, clock=clock) as writer:
        writer.write({"positions": make_positions(0, 1)})
        clock.now_s += 5.0
        writer.write({})  # flushes the first row
        clock.now_s += 5.0  # long idle with nothing buffered
        writer.write({"positions": make_positions(10, 1)})
        assert writer.buffered_rows == 1  # a fresh row is not "old" because the writer idled
    assert fresh_store.counts()["positions"] == 2


def test_the_writer_flushes_on_size(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    with fresh_store.writer(flush_rows=5, flush_interval_s=None) as writer:
        writer.write({"positions": make_positions(0, 4)})
        assert fresh_store.counts()["positions"] == 0
        writer.write({"positions": make_positions(10, 1)})
        assert fresh_store.counts()["positions"] == 5


def test_rows_read_before_an_exception_are_kept_and_the_exception_propagates(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    """Regression: a truncated .gz after a good file left an empty store (no flush on error)."""
    with (
        pytest.raises(EOFError, match="truncated"),
        fresh_store.writer(flush_interval_s=None) as writer,
    ):
        writer.write({"positions": make_positions(0, 7)})
        raise EOFError("truncated gzip")
    assert fresh_store.counts()["positions"] == 7


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan")])
def test_a_flush_interval_that_is_not_a_positive_number_is_refused(
    fresh_store: MaritimeStore, bad: float
) -> None:
    with pytest.raises(ConfigError, match="SETU_FLUSH_INTERVAL_S"):
        fresh_store.writer(flush_interval_s=bad)


def test_the_flush_interval_setting_is_read_and_validated(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path, environ={}).flush_interval_s == 2.0
    env = {"SETU_FLUSH_INTERVAL_S": "0.5"}
    assert load_settings(data_dir=tmp_path, environ=env).flush_interval_s == 0.5
    for bad in ("0", "-3", "soon", "inf"):
        with pytest.raises(ConfigError, match="SETU_FLUSH_INTERVAL_S"):
            load_settings(data_dir=tmp_path, environ={"SETU_FLUSH_INTERVAL_S": bad})


def test_two_writers_flushing_overlapping_rows_into_one_day_store_each_row_once(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    """Regression: two concurrent ingests of overlapping input stored every row twice."""
    first = fresh_store.writer(flush_interval_s=None)
    second = fresh_store.writer(flush_interval_s=None)
    first.write({"positions": make_positions(0, 60)})
    second.write({"positions": make_positions(40, 60)})  # rows 40..59 overlap
    first.flush()
    second.flush()
    assert fresh_store.counts()["positions"] == 100
    assert first.stats.added == {"positions": 60}
    assert second.stats.added == {"positions": 40}
    assert second.stats.duplicates == {"positions": 20}
    # Each writer now knows the other's rows: writing them again adds nothing.
    first.write({"positions": make_positions(60, 40)})
    first.flush()
    assert fresh_store.counts()["positions"] == 100


def test_temp_files_left_by_a_killed_writer_are_removed_by_the_next_writer(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    """Regression: kill -9 during a flush left a *.parquet.tmp in the store forever."""
    fresh_store.write({"positions": make_positions(0, 3)})
    day_dir = fresh_store.files("positions")[0].parent
    stale = [day_dir / ".part-00001-deadbeef.parquet.tmp", day_dir / "part-00001-old.parquet.tmp"]
    for path in stale:
        path.write_bytes(b"PAR1 half a file")
    assert len(fresh_store.files("positions")) == 1  # readers never list temp files
    assert fresh_store.counts()["positions"] == 3
    writer = fresh_store.writer()
    assert sorted(writer.removed_temp_files) == sorted(stale)
    assert not any(path.exists() for path in stale)


def test_a_temp_file_of_a_writer_holding_the_day_lock_is_left_alone(
    fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]
) -> None:
    fresh_store.write({"positions": make_positions(0, 3)})
    day_dir = fresh_store.files("positions")[0].parent
    in_flight = day_dir / ".part-00001-live.parquet.tmp"
    in_flight.write_bytes(b"being written")
    with day_lock(day_dir) as held:
        assert held
        assert fresh_store.writer().removed_temp_files == ()
        assert stale_temp_files(day_dir) == []
    assert stale_temp_files(day_dir) == [in_flight]


def test_a_full_disk_gives_a_clear_error_keeps_earlier_flushes_and_leaves_no_temp_file(
    fresh_store: MaritimeStore,
    make_positions: Callable[..., pa.Table],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pyarrow.parquet as pq

    real_write = pq.write_table

    def write_half_then_fail(table: pa.Table, where: object, **kwargs: object) -> None:
        Path(str(where)).write_bytes(b"PAR1 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with fresh_store.writer(flush_interval_s=None) as writer:
        writer.write({"positions": make_positions(0, 5)})
        writer.flush()
        monkeypatch.setattr(pq, "write_table", write_half_then_fail)
        writer.write({"positions": make_positions(10, 5)})
        with pytest.raises(StoreError, match=r"no space left on device.*flushed before is kept"):
            writer.flush()
        monkeypatch.setattr(pq, "write_table", real_write)
    # the retry on exit wrote the rows the failed flush still held, once
    assert fresh_store.counts()["positions"] == 10
    assert not list(fresh_store.root.rglob("*.tmp"))
