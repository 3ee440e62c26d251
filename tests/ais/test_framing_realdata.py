"""Framing and reassembly on every NMEA-like real recording under ../shared/data/ais."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from setu.ais.reassembly import Reassembler, frame_bytes
from setu.ais.sentences import FrameCarry, frame_chunk

pytestmark = pytest.mark.realdata

SUFFIXES = {".txt", ".nmea", ".nm4", ".log", ".chk", ".ais", ".aivdm"}
# A complete, well-formed VDM/VDO sentence (any talker), for an independent count.
VDM = re.compile(rb"!..VD[MO],(\d),(\d),(\d?),([A-Z0-9]?),([0-W`-w]+),([0-5])\*[0-9A-F]{2}")


def nmea_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def us(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1_000_000)


def test_every_file_frames_with_counters_that_add_up(ais_data: Path) -> None:
    files = nmea_files(ais_data)
    assert len(files) >= 30
    for path in files:
        buf = path.read_bytes()
        batch, rejects, stats = frame_bytes(buf)
        parts = stats.blank_or_comment + stats.metadata_lines + stats.ais_sentences
        assert parts + stats.rejected == stats.records >= stats.lines, path
        assert stats.lines == len(buf.splitlines()), path
        assert rejects.num_rows == stats.rejected + stats.reassembly_rejected, path
        assert stats.messages == len(batch) <= stats.ais_sentences, path
        assert batch.sentence_count.sum() + stats.reassembly_rejected == stats.ais_sentences, path


def test_chunked_framing_matches_one_shot(ais_data: Path) -> None:
    for name in ("dma/AisLib/small_cb_example.txt", "aisdb/test_data_20211101.nm4",
                 "gpsd/test/daemon/ais-nmea.log", "pyais/tests/mixed.txt"):  # fmt: skip
        buf = (ais_data / name).read_bytes()
        whole, whole_rejects, _ = frame_bytes(buf)
        lines = buf.splitlines(keepends=True)
        reassembler = Reassembler()
        carry: FrameCarry | None = None
        payloads, rejects = [], 0
        for start in range(0, len(lines), 7):
            framed = frame_chunk(b"".join(lines[start : start + 7]), first_line_no=start + 1,
                                 carry=carry)  # fmt: skip
            carry = framed.carry
            batch, rej = reassembler.push(framed)
            payloads += [batch.payload_text(i) for i in range(len(batch))]
            rejects += framed.rejects.num_rows + rej.num_rows
        rejects += reassembler.flush().num_rows
        assert payloads == [whole.payload_text(i) for i in range(len(whole))], name
        assert rejects == whole_rejects.num_rows, name


def independent_count(buf: bytes) -> int:
    """Messages by a simple regex: singles plus 2-part groups whose part 2 follows part 1."""
    count = 0
    open_groups: set[tuple[bytes, bytes]] = set()
    for match in VDM.finditer(buf):
        total, num, seq, channel = match.group(1, 2, 3, 4)
        if total == b"1":
            count += 1
        elif num == b"1":
            open_groups.add((seq, channel))
        elif num == total and (seq, channel) in open_groups:
            open_groups.discard((seq, channel))
            count += 1
    return count


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dma/AisAbnormal/ais-sample.txt", 26_077),
        ("dma/AisLib/stream_example.txt", 4_051),
        ("pyais/tests/nmea_data_sample.txt", 778),
        ("gpsd/test/daemon/ais-nmea.log", None),
        ("dma/AisLib/ais250.txt", None),
    ],
)
def test_message_count_matches_independent_counts(
    ais_data: Path, name: str, expected: int | None
) -> None:
    buf = (ais_data / name).read_bytes()
    batch, _, _ = frame_bytes(buf)
    assert len(batch) == independent_count(buf)
    if expected is not None:
        assert len(batch) == expected


@pytest.mark.parametrize(
    "name", ["dma/AisAbnormal/ais-sample.txt", "dma/AisLib/stream_example.txt"]
)
def test_message_count_matches_pyais(ais_data: Path, name: str) -> None:
    stream = pytest.importorskip("pyais.stream")
    path = ais_data / name
    with stream.FileReaderStream(str(path)) as reader:
        pyais_count = sum(1 for _ in reader)
    batch, _, _ = frame_bytes(path.read_bytes())
    assert len(batch) == pyais_count


def test_dma_times_from_pghp(ais_data: Path) -> None:
    buf = (ais_data / "dma/AisAbnormal/ais-sample.txt").read_bytes()
    batch, rejects, stats = frame_bytes(buf)
    # First lines: \si:AISD*3F\, $PGHP,1,2013,11,12,12,0,0,11,...; the ms field is 11.
    assert batch.line_no[0] == 3
    assert batch.received_at_us[0] == us("2013-11-12T12:00:00.011")
    assert batch.talker[0].as_py() == "BSVDM"
    assert batch.payload_text(0) == "13@:`L001N0ded0O6Fp8wW<00<0t"
    assert (batch.received_at_us >= us("2013-11-12T12:00:00")).all()
    assert (batch.received_at_us < us("2013-11-12T12:05:00")).all()
    assert Counter(rejects.column("reason").to_pylist()) == {"not_ais": 973}
    assert stats.metadata_lines == 26_077 + 27_050


def test_tag_block_times_and_stations(ais_data: Path) -> None:
    batch, _, _ = frame_bytes((ais_data / "libais/test/data/tagblock.nmea").read_bytes())
    assert len(batch) == 4
    assert batch.station.to_pylist()[0] == "rORBCOMM104"
    assert batch.received_at_us[0] == 1418172113_000_000
    multi = batch.sentence_count.tolist().index(2)
    assert batch.station[multi].as_py() == "rORBCOMM008"
    assert batch.received_at_us[multi] == 1418169601_000_000

    nm4, _, _ = frame_bytes((ais_data / "aisdb/test_data_20211101.nm4").read_bytes())
    assert nm4.station[0].as_py() == "42809"
    assert nm4.received_at_us[0] == 1635731889_000_000


def test_trailing_timestamps(ais_data: Path) -> None:
    aisdb, _, _ = frame_bytes((ais_data / "aisdb/test_data_201201.nmea").read_bytes())
    assert aisdb.received_at_us[0] == 1325394001_000_000
    aislib, _, _ = frame_bytes((ais_data / "dma/AisLib/small_cb_example.txt").read_bytes())
    assert aislib.received_at_us.tolist()[:2] == [1357134218_000_000, 1357134222_000_000]


def test_concatenated_tag_block_pairs_assemble(ais_data: Path) -> None:
    batch, rejects, stats = frame_bytes(
        (ais_data / "gfw-ais-tools/sample/bad-type5.nmea").read_bytes()
    )
    assert stats.records > stats.lines
    expected = (ais_data / "gfw-ais-tools/sample/bad-type5.nmea").read_text().split("\n\n")[1]
    assert [batch.payload_text(i) for i in range(len(batch))] == expected.split()
    assert Counter(rejects.column("reason").to_pylist()) == {"not_nmea": 3}
