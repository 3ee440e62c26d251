"""Every real recording: no crash, every record accounted for, same results at any chunk size."""

from __future__ import annotations

from pathlib import Path

import pytest

from setu.errors import SourceError
from setu.ingest import DirectorySource, MemorySink, ingest, sources_for

pytestmark = pytest.mark.realdata


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_every_file_is_accounted_for(ais_data: Path) -> None:
    checked = 0
    for path in _files(ais_data):
        try:
            sources = sources_for(paths=[str(path)])
        except SourceError as exc:
            assert path.suffix == ".csv" and "unknown CSV layout" in str(exc)
            continue
        sink = MemorySink()
        summary = ingest(sources, sink, require_time=False)
        assert summary.balanced, path
        assert summary.lines <= summary.records, path
        assert sum(summary.rejected.values()) == sink.rejects().num_rows, path
        rows = sum(sink.table(f).num_rows for f in ("positions", "statics", "base_stations"))
        assert rows + sink.table("other").num_rows == sum(summary.accepted.values()), path
        checked += 1
    assert checked >= 40


def test_gfw_malformed_samples_never_crash(ais_data: Path) -> None:
    for path in _files(ais_data / "gfw-ais-tools" / "sample"):
        summary = ingest(sources_for(paths=[str(path)]), MemorySink(), require_time=False)
        assert summary.balanced, path


def test_small_chunks_equal_one_chunk_on_the_dma_feed(ais_data: Path) -> None:
    path = ais_data / "dma" / "AisAbnormal" / "ais-sample.txt"
    results = []
    for chunk_bytes in (4 * 1024 * 1024, 7_919):
        sink = MemorySink()
        summary = ingest(sources_for(paths=[str(path)]), sink, chunk_bytes=chunk_bytes)
        results.append((summary, sink))
    (big, big_sink), (small, small_sink) = results
    assert small.lines == big.lines == 80_246
    assert (small.messages, dict(small.rejected)) == (big.messages, dict(big.rejected))
    assert small_sink.table("positions").equals(big_sink.table("positions"))
    assert small_sink.table("statics").equals(big_sink.table("statics"))
    assert big.rejected.get("no_receive_time", 0) == 0  # every sentence has $PGHP or s:/c:


def test_whole_data_directory(ais_data: Path) -> None:
    source = DirectorySource(ais_data)
    summary = ingest([source], MemorySink(), require_time=False)
    assert summary.balanced
    skipped = dict(summary.skipped)
    assert "unknown CSV layout" in skipped[str(ais_data / "aisdb" / "test_data_20210701.csv")]
    assert str(ais_data / "libais" / "LICENSE") in skipped
    assert summary.files_read == len(source.files) >= 40


def test_assume_time_does_not_split_pghp_timed_groups_on_the_dma_sample(ais_data: Path) -> None:
    """Regression: with --assume-time the DMA sample (with $PGHP times) gave 61 statics instead of
    130, the rest lost as group_expired and orphan_fragment rejects."""
    from datetime import UTC, datetime

    path = ais_data / "dma" / "AisAbnormal" / "ais-sample.txt"
    plain = ingest(sources_for(paths=[str(path)]), MemorySink())
    assumed = ingest(
        sources_for(paths=[str(path)]), MemorySink(), assume_time=datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert plain.accepted["statics"] == assumed.accepted["statics"] == 130
    assert dict(assumed.rejected) == dict(plain.rejected) == {"not_ais": 973}
