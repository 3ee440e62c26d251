"""Hostile input, one regression test per reproduction of issue 12 (section 1 and the source side
of section 2): line endings, encodings, over-long lines, implausible receive times, truncated
files, directory walks, and the end of the data as the gap detector sees it."""

from __future__ import annotations

import gzip
import io
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import reduce
from pathlib import Path

import numpy as np
import pytest

from setu.clock import fixed_clock
from setu.errors import ConfigError, SourceError
from setu.ingest import (
    Chunk,
    DirectorySource,
    FileSource,
    MemorySink,
    ReadContext,
    StdinSource,
    Stream,
    TcpSource,
    ingest,
    sources_for,
)
from setu.ingest.chunking import LineChunker
from setu.ingest.feeder import position_sentence
from setu.ingest.pipeline import ReceiveTimeWindow

pytestmark = pytest.mark.unit

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
# A type 5 in two parts (ITU-R M.1371 static and voyage data), from the pyais test suite.
PART1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
PART2 = "!AIVDM,2,2,1,A,88888888880,2*25"
NOAA_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)


def _xor(text: str) -> int:
    return reduce(lambda acc, ch: acc ^ ord(ch), text, 0)


def tagged(c: str | int, i: int = 1) -> str:
    """A position sentence behind a tag block ``c:`` (correct checksum)."""
    body = f"c:{c}"
    return f"\\{body}*{_xor(body):02X}\\" + position_sentence(i)


def pghp(moment: datetime) -> str:
    body = (
        f"PGHP,1,{moment.year},{moment.month},{moment.day},{moment.hour},{moment.minute},"
        f"{moment.second},0,219,,2190067,1,00"
    )
    return f"${body}*{_xor(body):02X}"


def sentences(n: int) -> list[str]:
    return [position_sentence(i) for i in range(1, n + 1)]


def run(data: bytes, **kw: object) -> tuple[object, MemorySink]:
    sink = MemorySink()
    kw.setdefault("clock", fixed_clock(NOW))
    summary = ingest([StdinSource(io.BytesIO(data))], sink, **kw)  # type: ignore[arg-type]
    return summary, sink


# -- line endings and encodings --------------------------------------------------------------


@pytest.mark.parametrize("chunk_bytes", [4 * 1024 * 1024, 1_000, 77])
def test_cr_only_file_is_read_line_by_line(tmp_path: Path, chunk_bytes: int) -> None:
    """Regression: a file with lone CR line ends crashed the sniff with a _csv.Error traceback,
    or was counted as a few lines while the summary still claimed balance."""
    path = tmp_path / "cr.nmea"
    path.write_bytes("\r".join(sentences(3000)).encode() + b"\r")
    sink = MemorySink()
    summary = ingest(sources_for(paths=[str(path)]), sink, assume_time=T0, chunk_bytes=chunk_bytes)
    assert summary.lines == summary.records == 3000
    assert summary.messages == sink.table("positions").num_rows == 3000
    assert summary.rejected == {}
    assert summary.balanced
    assert sink.table("positions")["line_no"].to_pylist() == list(range(1, 3001))


def test_every_line_ending_numbers_lines_alike() -> None:
    rows = sentences(6)
    mixed = rows[0] + "\n" + rows[1] + "\r\n" + rows[2] + "\r" + rows[3] + "\r\r\n" + rows[4]
    summary, sink = run(mixed.encode() + b"\n" + rows[5].encode(), assume_time=T0, chunk_bytes=5)
    assert summary.lines == 7  # the "\r" before "\r\n" ends an empty line
    assert summary.ignored == 1
    assert sink.table("positions")["line_no"].to_pylist() == [1, 2, 3, 4, 6, 7]


def test_cr_only_csv_is_read_row_by_row(tmp_path: Path) -> None:
    rows = [
        f"{366000000 + i},2024-03-01T12:00:{i:02d},10.0,20.0,1,2,3,,,,,,,,,,A" for i in range(40)
    ]
    path = tmp_path / "noaa.csv"
    path.write_bytes((NOAA_HEADER + "\r" + "\r".join(rows) + "\r").encode())
    sink = MemorySink()
    summary = ingest(sources_for(paths=[str(path)]), sink)
    assert summary.lines == 41 and summary.metadata_lines == 1
    assert sink.table("positions").num_rows == 40
    assert summary.balanced


class _ChunkedFeed:
    """A live-feed-like source: bytes arrive in pieces, cut into lines by the LineChunker."""

    label = "tcp://test"

    def __init__(self, data: bytes, piece: int) -> None:
        self.data, self.piece = data, piece

    def streams(self, ctx: ReadContext) -> Iterator[Stream]:
        def chunks() -> Iterator[Chunk]:
            chunker = LineChunker(ctx.max_line_bytes)
            stamp = int(T0.timestamp()) * 1_000_000
            for i in range(0, len(self.data), self.piece):
                data, line_no = chunker.feed(self.data[i : i + self.piece])
                if data:
                    yield Chunk(data, line_no, stamp)
            data, line_no = chunker.finish()
            if data:
                yield Chunk(data, line_no, stamp)

        yield Stream(self.label, chunks())


@pytest.mark.parametrize("piece", [1, 7, 100, 65_536])
def test_feed_ending_sentences_with_cr_gives_every_message(piece: int) -> None:
    """Regression: a TCP feed ending sentences with \\r turned 500 messages into one reject."""
    data = "".join(s + "\r" for s in sentences(500)).encode()
    sink = MemorySink()
    summary = ingest([_ChunkedFeed(data, piece)], sink, clock=fixed_clock(NOW))
    assert summary.messages == 500 and summary.rejected == {}
    assert summary.lines == 500 and summary.balanced


def test_tcp_feed_ending_sentences_with_cr_gives_every_message() -> None:
    """The same over a real socket on 127.0.0.1 with the TCP client."""
    data = "".join(s + "\r" for s in sentences(500)).encode()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            for i in range(0, len(data), 999):
                conn.sendall(data[i : i + 999])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        sink = MemorySink()
        summary = ingest([TcpSource("127.0.0.1", port, reconnect=False)], sink)
    finally:
        thread.join(timeout=10)
        server.close()
    assert summary.messages == 500 and summary.rejected == {}


def test_utf8_bom_does_not_reject_the_first_sentence(tmp_path: Path) -> None:
    """Regression: a UTF-8 byte order mark turned the first sentence into a reject."""
    path = tmp_path / "bom.nmea"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(sentences(10)).encode() + b"\n")
    summary = ingest(sources_for(paths=[str(path)]), MemorySink(), assume_time=T0)
    assert summary.messages == 10 and summary.rejected == {}


def test_bom_before_a_csv_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    row = "366000001,2024-03-01T12:00:00,10.0,20.0,1,2,3,,,,,,,,,,A"
    path.write_bytes(b"\xef\xbb\xbf" + f"{NOAA_HEADER}\n{row}\n".encode())
    summary = ingest(sources_for(paths=[str(path)]), MemorySink())
    assert summary.accepted["positions"] == 1


def test_nul_at_file_start_reads_the_same_in_a_directory_and_directly(tmp_path: Path) -> None:
    """Regression: one NUL byte at the start made a directory ingest skip the whole file as
    "binary" while a direct ingest of the same file decoded every other line."""
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "nul.nmea"
    path.write_bytes(b"\x00" + "\n".join(sentences(200)).encode() + b"\n")
    direct = ingest(sources_for(paths=[str(path)]), MemorySink(), assume_time=T0)
    walked = ingest([DirectorySource(folder)], MemorySink(), assume_time=T0)
    assert walked.skipped == ()
    assert direct.messages == walked.messages == 199
    assert direct.rejected == walked.rejected == {"not_nmea": 1}


def test_binary_file_is_refused_directly_and_skipped_in_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    blob = folder / "image.png"
    blob.write_bytes(bytes(range(256)) * 64 + b"!AIVDM,")
    summary = ingest([DirectorySource(folder)], MemorySink(), assume_time=T0)
    assert summary.skipped == ((str(blob), "binary file"),)
    with pytest.raises(SourceError, match="binary file"):
        sources_for(paths=[str(blob)])


# -- over-long lines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [b"x" * 200_000, b"!AIVDM," + b"A" * 300_000, b"a,b,c,d," * 40_000],
    ids=["junk", "long-sentence", "long-csv-like"],
)
def test_first_line_over_128_kib_is_line_too_long_and_the_rest_is_read(
    tmp_path: Path, first: bytes
) -> None:
    """Regression: a first line over 128 KiB crashed the CSV sniffing ("field larger than field
    limit")."""
    path = tmp_path / "long.nmea"
    path.write_bytes(first + b"\n" + "\n".join(sentences(100)).encode() + b"\n")
    sink = MemorySink()
    summary = ingest(sources_for(paths=[str(path)]), sink, assume_time=T0)
    assert summary.rejected == {"line_too_long": 1}
    assert summary.messages == 100 and summary.lines == 101 and summary.balanced
    (raw,) = sink.rejects()["raw"].to_pylist()
    assert len(raw) == 4096


def test_long_junk_line_before_nmea_is_found_by_a_directory_walk(tmp_path: Path) -> None:
    (tmp_path / "junk-first.nmea").write_bytes(
        b"j" * 200_000 + b"\n" + "\n".join(sentences(5)).encode() + b"\n"
    )
    summary = ingest([DirectorySource(tmp_path)], MemorySink(), assume_time=T0)
    assert summary.skipped == () and summary.messages == 5


# -- receive times -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "c",
    [
        "0",  # 1970
        "4102444800",  # 2100
        "41024448000",  # year 3270 in seconds
        "253402300800",  # year 10000 in seconds, once read as milliseconds (1978)
        "631151999",  # 1989-12-31T23:59:59
        "99999999999999999999999",  # too many digits for any clock
    ],
)
def test_implausible_receive_times_are_rejected_and_kept(c: str) -> None:
    """Regression: c:0 was stored as 1970, c:4102444800 as 2100, c:41024448000 as the year 3270
    and c:253402300800 was silently read as milliseconds (1978)."""
    summary, sink = run(f"{tagged(c)}\n{tagged(1709294400, 2)}\n".encode())
    assert summary.rejected == {"implausible_time": 1}
    assert summary.accepted == {"positions": 1} and summary.balanced
    rejects = sink.rejects()
    assert rejects["raw"].to_pylist() == [tagged(c)]
    assert rejects["received_at"].null_count == 1


def test_plausible_times_in_seconds_and_milliseconds_are_kept() -> None:
    data = f"{tagged('631152000')}\n{tagged('1709294400123', 2)}\n{tagged('1709294400.5', 3)}\n"
    summary, sink = run(data.encode())
    assert summary.rejected == {}
    assert sink.table("positions")["received_at"].to_pylist() == [
        datetime(1990, 1, 1, tzinfo=UTC),
        datetime(2024, 3, 1, 12, 0, 0, 123_000, tzinfo=UTC),
        datetime(2024, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC),
    ]


def test_the_window_follows_the_injected_clock() -> None:
    now = int(NOW.timestamp())
    ahead = [tagged(now + 23 * 3600, 1), tagged(now + 25 * 3600, 2)]
    summary, _ = run(("\n".join(ahead) + "\n").encode())
    assert summary.accepted == {"positions": 1} and summary.rejected == {"implausible_time": 1}


def test_pghp_and_leading_timestamps_are_checked_too() -> None:
    lines = [
        pghp(datetime(1985, 5, 1, tzinfo=UTC)),
        position_sentence(1),
        "0 " + position_sentence(2),  # a leading Unix time of 0
        "2101-01-01T00:00:00Z " + position_sentence(3),
        pghp(datetime(2024, 5, 1, tzinfo=UTC)),
        position_sentence(4),
    ]
    summary, sink = run(("\n".join(lines) + "\n").encode())
    assert summary.rejected == {"implausible_time": 3}
    assert sink.table("positions")["line_no"].to_pylist() == [6]


def test_the_window_is_a_setting() -> None:
    window = ReceiveTimeWindow.from_env(
        {"SETU_TIME_MIN": "2024-03-01T12:00:00Z", "SETU_TIME_MAX_AHEAD_S": "0"}
    )
    data = f"{tagged(1709294399)}\n{tagged(1709294400, 2)}\n".encode()
    summary, _ = run(data, time_window=window)
    assert summary.rejected == {"implausible_time": 1}
    assert ReceiveTimeWindow.from_env({}) == ReceiveTimeWindow()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SETU_TIME_MIN": "last tuesday"}, "SETU_TIME_MIN"),
        ({"SETU_TIME_MAX_AHEAD_S": "a day"}, "SETU_TIME_MAX_AHEAD_S"),
        ({"SETU_TIME_MAX_AHEAD_S": "-1"}, "SETU_TIME_MAX_AHEAD_S"),
        ({"SETU_TIME_MAX_AHEAD_S": "nan"}, "SETU_TIME_MAX_AHEAD_S"),
    ],
)
def test_bad_window_settings_are_config_errors_that_say_how_to_fix_them(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=named):
        run(tagged(1709294400).encode() + b"\n")


@pytest.mark.parametrize(
    "assumed",
    [datetime(1, 1, 1, tzinfo=UTC), datetime(1989, 12, 31, tzinfo=UTC), NOW + timedelta(days=2)],
)
def test_assume_time_outside_the_window_is_a_config_error(assumed: datetime) -> None:
    """Regression: --assume-time 0001-01-01 was accepted."""
    with pytest.raises(ConfigError, match=r"--assume-time .* is not a plausible receive time"):
        run(position_sentence(1).encode() + b"\n", assume_time=assumed)


def test_csv_rows_outside_the_window_are_implausible_time() -> None:
    rows = [
        "366000001,2024-03-01T12:00:00,10.0,20.0,1,2,3,,,,,,,,,,A",
        "366000002,1970-01-01T00:00:00,10.0,20.0,1,2,3,,,,,,,,,,A",
        "366000003,2100-01-01T00:00:00,10.0,20.0,1,2,3,,,,,,,,,,A",
        "abc,2100-01-01T00:00:00,10.0,20.0,1,2,3,,,,,,,,,,A",
    ]
    summary, sink = run(("\n".join([NOAA_HEADER, *rows]) + "\n").encode())
    assert summary.rejected == {"implausible_time": 2, "bad_csv_row": 1}
    assert summary.accepted["positions"] == 1 and summary.balanced
    assert sink.rejects()["received_at"].null_count == 3


def test_assume_time_does_not_split_groups_timed_by_pghp() -> None:
    """Regression: with --assume-time, the second part of a type 5 after a $PGHP line took the
    assumed time, so the group "expired" between its parts (61 statics instead of 130 on the DMA
    sample)."""
    pghp_time = datetime(2013, 11, 12, 12, 0, tzinfo=UTC)
    lines = [pghp(pghp_time), PART1, PART2, position_sentence(1)]
    summary, sink = run(("\n".join(lines) + "\n").encode(), assume_time=T0)
    assert summary.rejected == {}
    statics = sink.table("statics")
    assert statics["received_at"].to_pylist() == [pghp_time]
    assert sink.table("positions")["received_at"].to_pylist() == [T0]


# -- faults while reading ----------------------------------------------------------------------


def _cut_gzip(path: Path, n: int, keep: float) -> None:
    whole = gzip.compress(("\n".join(sentences(n)) + "\n").encode(), compresslevel=1)
    path.write_bytes(whole[: int(len(whole) * keep)])


def test_truncated_gzip_in_a_directory_keeps_the_good_file_and_what_was_read(
    tmp_path: Path,
) -> None:
    """Regression: a directory with a good a.txt and a b.gz cut at 80% ended with rc 3 and an
    empty store."""
    (tmp_path / "a.txt").write_text("\n".join(sentences(300)) + "\n")
    _cut_gzip(tmp_path / "b.gz", 20_000, 0.8)
    sink = MemorySink()
    summary = ingest([DirectorySource(tmp_path)], sink, assume_time=T0)
    assert summary.files_read == 2 and summary.balanced
    stored = sink.table("positions").num_rows
    assert 300 + 0.7 * 20_000 < stored < 300 + 20_000
    assert stored + sum(summary.rejected.values()) == summary.lines
    ((where, reason),) = summary.skipped
    assert where == str(tmp_path / "b.gz")
    assert reason.startswith("truncated or corrupt gzip (")
    assert f"after {summary.lines - 300:,} lines" in reason


def test_truncated_gzip_in_strict_mode_hands_on_what_was_read_then_stops(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    _cut_gzip(path, 20_000, 0.8)
    sink = MemorySink()
    with pytest.raises(SourceError, match="truncated or corrupt gzip"):
        ingest([FileSource(path)], sink, assume_time=T0, strict=True)
    assert 0.7 * 20_000 < sink.table("positions").num_rows < 20_000


def test_gzip_cut_inside_its_header_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("\n".join(sentences(3)) + "\n")
    (tmp_path / "b.gz").write_bytes(gzip.compress(b"x" * 1000)[:6])
    sink = MemorySink()
    summary = ingest([DirectorySource(tmp_path)], sink, assume_time=T0)
    assert summary.messages == 3
    assert dict(summary.skipped)[str(tmp_path / "b.gz")].startswith("unreadable")


class _FailingReader(io.BytesIO):
    """Reads ``good`` bytes, then fails like a disk with a bad sector."""

    def read1(self, size: int = -1) -> bytes:
        part = super().read1(size)
        if not part:
            raise OSError(5, "Input/output error")
        return part


def test_read_error_mid_file_keeps_what_was_read() -> None:
    data = ("\n".join(sentences(50)) + "\n").encode()
    sink = MemorySink()
    summary = ingest([StdinSource(_FailingReader(data))], sink, assume_time=T0, chunk_bytes=512)
    assert summary.messages == 50
    assert summary.skipped == (("stdin", "read error (Input/output error) after 50 lines; "
                                "the lines before it were read"),)  # fmt: skip


# -- directory walks ---------------------------------------------------------------------------


def test_symlinked_subdirectory_is_followed_once(tmp_path: Path) -> None:
    """Regression: a symlinked subdirectory was silently not followed."""
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / "feed.nmea").write_text("\n".join(sentences(4)) + "\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "linked").symlink_to(real, target_is_directory=True)
    (root / "linked-again").symlink_to(real, target_is_directory=True)
    (real / "loop").symlink_to(root, target_is_directory=True)
    source = DirectorySource(root)
    summary = ingest([source], MemorySink(), assume_time=T0)
    assert summary.messages == 4 and summary.files_read == 1
    reasons = dict(summary.skipped)
    assert reasons[str(root / "linked-again")].startswith("directory already walked")
    assert reasons[str(root / "linked" / "loop")].startswith("directory already walked")


def test_unreadable_subdirectory_is_listed_in_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: an unreadable subdirectory was silently left out of ``skipped``."""
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.nmea").write_text(position_sentence(1) + "\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:  # root may read anything: fail it by hand
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    summary = ingest([DirectorySource(tmp_path)], MemorySink(), assume_time=T0)
    assert summary.messages == 1
    assert dict(summary.skipped)[str(locked)] == "unreadable directory (Permission denied)"


def test_unreadable_file_is_listed_in_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.nmea").write_text(position_sentence(1) + "\n")
    secret = tmp_path / "b.nmea"
    secret.write_text(position_sentence(2) + "\n")
    real_open = Path.open

    def fake_open(self: Path, *args: object, **kw: object) -> object:
        if self == secret:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", fake_open)
    summary = ingest([DirectorySource(tmp_path)], MemorySink(), assume_time=T0)
    assert summary.messages == 1
    assert dict(summary.skipped)[str(secret)] == "unreadable (Permission denied)"


def test_special_files_are_skipped_not_opened(tmp_path: Path) -> None:
    (tmp_path / "a.nmea").write_text(position_sentence(1) + "\n")
    os.mkfifo(tmp_path / "pipe")
    summary = ingest([DirectorySource(tmp_path)], MemorySink(), assume_time=T0)
    assert summary.messages == 1
    assert dict(summary.skipped)[str(tmp_path / "pipe")].startswith("not a regular file")


# -- end of the data -----------------------------------------------------------------------------


class _FarFromShore:
    def distance_m(self, lon: object, lat: object) -> np.ndarray:
        return np.full(np.shape(np.atleast_1d(np.asarray(lon))), 1e6)


@pytest.mark.slow
def test_one_fix_hours_ahead_adds_no_gaps_or_coverage_holes(tmp_path: Path) -> None:
    """Regression: one line from an unrelated MMSI stamped far ahead moved the detectors' end of
    data, adding 15 false gaps ("still silent 657072.2 h") and 12 false coverage holes to the
    quiet-arabian-sea scenario."""
    from setu.events import GapDetector
    from setu.sim import simulate
    from setu.tracks import Tracks

    nmea, _ = simulate("quiet-arabian-sea", seed=1, scale=0.2).write(tmp_path / "quiet.nmea")

    def detect(path: Path) -> tuple[list[tuple[object, ...]], datetime]:
        sink = MemorySink()
        summary = ingest(sources_for(paths=[str(path)]), sink)
        assert summary.last_received_at is not None
        tracks = Tracks.from_positions(sink.table("positions"))
        found = GapDetector(shore=_FarFromShore()).detect(tracks)  # type: ignore[arg-type]
        keys = sorted((e.event_type, e.mmsis, e.start, e.end) for e in found)
        return keys, summary.last_received_at

    clean, last = detect(nmea)
    ahead = int((last + timedelta(hours=20)).timestamp())
    bad = tmp_path / "quiet-plus-one.nmea"
    bad.write_bytes(nmea.read_bytes() + (tagged(ahead, 987_654) + "\n").encode())
    events, bad_last = detect(bad)
    assert bad_last == last + timedelta(hours=20)  # inside the window: stored, not rejected
    assert clean and events == clean
