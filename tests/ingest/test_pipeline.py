"""The ingest pipeline on hand-built input: accounting, receive times, strict mode, chunking."""

from __future__ import annotations

import gzip
import io
import threading
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.errors import ConfigError, NmeaError, SourceError
from setu.ingest import (
    DirectorySource,
    FileSource,
    MemorySink,
    Progress,
    StdinSource,
    ingest,
    iter_decoded,
    sources_for,
)
from setu.ingest.feeder import position_sentence

pytestmark = pytest.mark.unit

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
# A type 5 in two parts (ITU-R M.1371 static and voyage data), from the pyais test suite.
PART1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
PART2 = "!AIVDM,2,2,1,A,88888888880,2*25"
TAGGED = "\\s:r003669945,c:1709294400*7E\\" + position_sentence(7)


def _lines() -> bytes:
    rows = [
        "# a comment",
        position_sentence(1),
        "",
        PART1,
        PART2,
        "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
        "garbage line",
        TAGGED,
        "$PGHP,1,2024,3,1,12,0,5,0,,,,1*5E",
        position_sentence(2),
        PART2,
    ]
    return ("\r\n".join(rows) + "\r\n").encode()


def _ingest(data: bytes, **kw):
    sink = MemorySink()
    summary = ingest([StdinSource(io.BytesIO(data))], sink, **kw)
    return summary, sink


def test_every_line_is_accounted_for() -> None:
    summary, sink = _ingest(_lines(), assume_time=T0)
    assert summary.lines == summary.records == 11
    assert summary.balanced
    assert summary.ignored == 2
    assert summary.metadata_lines == 1
    assert summary.accepted_sentences == 5  # 2 plain + 2 parts + 1 tagged
    assert summary.messages == 4
    assert summary.accepted == {"positions": 3, "statics": 1}
    assert summary.rejected == {"not_ais": 1, "not_nmea": 1, "orphan_fragment": 1}
    assert summary.rejected_records == 3
    assert sum(summary.rejected.values()) == sink.rejects().num_rows
    assert set(sink.rejects()["origin"].to_pylist()) == {"stdin"}
    assert summary.vessels == 4
    assert summary.origins == ("stdin",)


def test_receive_times_tag_block_pghp_then_assumed() -> None:
    _, sink = _ingest(_lines(), assume_time=T0)
    pos = sink.table("positions")
    times = dict(zip(pos["line_no"].to_pylist(), pos["received_at"].to_pylist(), strict=True))
    assert times[2] == T0
    assert times[8] == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # c:1709294400
    assert times[10] == datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)  # $PGHP


def test_no_receive_time_is_rejected_for_storage_but_kept_when_streaming() -> None:
    summary, _ = _ingest(_lines())
    # line 2 and the two-part message on lines 4-5 have no time; 8 and 10 carry their own
    assert summary.rejected["no_receive_time"] == 2
    assert summary.rejected_records == 3 + 3  # two parts count twice, plus 3 other rejects
    assert summary.accepted == {"positions": 2}
    assert summary.balanced
    kept = [r for r in iter_decoded([StdinSource(io.BytesIO(_lines()))])]
    positions = [t for r in kept for name, t in r.tables.items() if name == "positions"]
    nulls = sum(t["received_at"].null_count for t in positions)
    assert nulls == 1


def test_strict_mode_raises_on_first_reject() -> None:
    with pytest.raises(NmeaError) as info:
        _ingest(_lines(), assume_time=T0, strict=True)
    assert info.value.line_no == 6
    assert info.value.reason == "not_ais"


def test_naive_assume_time_is_refused() -> None:
    with pytest.raises(ConfigError):
        _ingest(_lines(), assume_time=datetime(2024, 1, 1))  # noqa: DTZ001


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=600))
def test_random_chunk_sizes_give_identical_results(chunk_bytes: int) -> None:
    data = _lines() * 3
    whole_summary, whole = _ingest(data, assume_time=T0)
    summary, sink = _ingest(data, assume_time=T0, chunk_bytes=chunk_bytes)
    for name in ("positions", "statics"):
        assert sink.table(name).equals(whole.table(name))
    assert sink.rejects().equals(whole.rejects())
    fields = ("lines", "records", "accepted_sentences", "rejected_records", "ignored")
    assert [getattr(summary, f) for f in fields] == [getattr(whole_summary, f) for f in fields]


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path: Path) -> None:
    plain = tmp_path / "feed.gz"
    plain.write_bytes(_lines())  # named .gz but plain text
    packed = tmp_path / "feed.txt"
    packed.write_bytes(gzip.compress(_lines()))  # gzip without the suffix
    results = []
    for path in (plain, packed):
        sink = MemorySink()
        summary = ingest([FileSource(path)], sink, assume_time=T0)
        results.append((summary.messages, summary.rejected, summary.files_read))
    assert results[0] == results[1] == (4, results[0][1], 1)


def test_gzip_on_stdin() -> None:
    summary, _ = _ingest(gzip.compress(_lines()), assume_time=T0)
    assert summary.messages == 4


def test_truncated_gzip_keeps_what_was_read_and_says_so(tmp_path: Path) -> None:
    """Regression: a .gz cut short raised SourceError and lost every line read before the cut."""
    path = tmp_path / "cut.gz"
    whole = gzip.compress(_lines() * 2000, compresslevel=1)
    path.write_bytes(whole[: int(len(whole) * 0.8)])
    summary = ingest([FileSource(path)], MemorySink(), assume_time=T0)
    assert summary.balanced
    assert 0.7 * 11 * 2000 < summary.lines < 11 * 2000
    ((where, reason),) = summary.skipped
    assert where == str(path)
    assert reason.startswith("truncated or corrupt gzip") and f"{summary.lines:,} lines" in reason


def test_directory_reads_sorted_and_says_what_it_skipped(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.nmea").write_bytes(_lines())
    (tmp_path / "a.log.gz").write_bytes(gzip.compress(_lines()))
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    (tmp_path / "empty.nmea").write_bytes(b"")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01!AIVDM,")
    (tmp_path / "other.csv").write_text("alpha,beta,gamma,delta\n1,2,3,4\n")
    source = DirectorySource(tmp_path)
    summary = ingest([source], MemorySink(), assume_time=T0)
    assert summary.origins == (str(tmp_path / "a.log.gz"), str(tmp_path / "b" / "two.nmea"))
    assert summary.files_read == 2
    reasons = dict(summary.skipped)
    assert reasons[str(tmp_path / "notes.txt")].startswith("no AIS sentence")
    assert reasons[str(tmp_path / "empty.nmea")] == "empty file"
    assert reasons[str(tmp_path / "blob.bin")] == "binary file"
    assert reasons[str(tmp_path / "other.csv")].startswith("unknown CSV layout")
    assert summary.messages == 8


def test_progress_reports_bytes_against_the_total(tmp_path: Path) -> None:
    path = tmp_path / "feed.nmea"
    path.write_bytes(_lines() * 50)
    seen: list[Progress] = []
    ingest([FileSource(path)], MemorySink(), assume_time=T0, progress=seen.append, chunk_bytes=512)
    assert len(seen) > 5
    assert all(p.total_bytes == path.stat().st_size for p in seen)
    done = [p.bytes_read for p in seen]
    assert done == sorted(done) and done[-1] == path.stat().st_size
    assert seen[-1].messages == 200


def test_stop_event_ends_early(tmp_path: Path) -> None:
    path = tmp_path / "feed.nmea"
    path.write_bytes(_lines() * 50)
    stop = threading.Event()
    stop.set()
    summary = ingest([FileSource(path)], MemorySink(), assume_time=T0, stop=stop, chunk_bytes=64)
    assert summary.lines < 550


def test_sources_for_refuses_unknown_csv_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "decoded.csv"
    path.write_text("sourcemmsi,speedoverground,lon,lat,t\n1,2,3,4,5\n")
    with pytest.raises(SourceError, match="unknown CSV layout"):
        sources_for(paths=[str(path)])
    with pytest.raises(ConfigError):
        sources_for(paths=[str(tmp_path / "missing.nmea")])


def test_summary_to_dict_is_plain(tmp_path: Path) -> None:
    summary, _ = _ingest(_lines(), assume_time=T0)
    out = summary.to_dict()
    assert out["first_received_at"] == T0.isoformat()
    assert out["accepted"] == {"positions": 3, "statics": 1}
    assert isinstance(out["skipped"], list)


def test_line_numbers_of_rejects_match_input_lines() -> None:
    _, sink = _ingest(_lines(), assume_time=T0, chunk_bytes=50)
    rejects = sink.rejects()
    assert rejects["line_no"].to_pylist() == [6, 7, 11]
    raws = rejects["raw"].to_pylist()
    assert raws[1] == "garbage line"
    assert pc.all(pc.equal(rejects["origin"], "stdin")).as_py()
