"""Property tests of the framing and of the whole ingest on hostile bytes.

Inputs are built from lines that a real feed, a damaged file or an attacker could hold — valid
sentences, multi-part messages, tag blocks (good, bad, implausible times, groups), ``$PGHP``,
NMEA-like noise, random bytes, NUL, Latin-1 and invalid UTF-8, byte order marks, over-long lines —
joined by any mix of ``\\n``, ``\\r\\n`` and lone ``\\r``, and read in chunks of any size.

Invariants: no exception; every input line is accounted for exactly once (the framing's and the
summary's counters add up, and the number of lines is the number of line breaks, one rule for
all); the rejects table holds one row per rejected record with its raw text, taken from the line
it names.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from functools import reduce

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from setu.ais.sentences import count_lines, frame_chunk
from setu.clock import fixed_clock
from setu.errors import SourceError
from setu.ingest import MemorySink, StdinSource, ingest
from setu.ingest.feeder import position_sentence

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, tzinfo=UTC)
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
MAX_LINE = 160
PART1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
PART2 = "!AIVDM,2,2,1,A,88888888880,2*25"
NOAA_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
_BREAKS = re.compile(rb"\r\n|\r|\n")
#: Reasons whose raw text is the message's armoured payload rather than its whole record.
_PAYLOAD_REASONS = {"bad_bit_count", "unknown_msg_type", "no_receive_time"}


def _xor(text: str) -> int:
    return reduce(lambda acc, ch: acc ^ ord(ch), text, 0)


def _tag(body: str, *, good: bool = True) -> str:
    return f"\\{body}*{(_xor(body) if good else _xor(body) ^ 1):02X}\\"


_times = st.sampled_from(
    ["1709294400", "1709294400123", "0", "4102444800", "41024448000", "253402300800", "17x9"]
)
_tag_blocks = st.one_of(
    st.builds(lambda c: _tag(f"c:{c}"), _times),
    st.builds(lambda c, s: _tag(f"s:{s},c:{c}"), _times, st.sampled_from(["r1", "r2", ""])),
    st.builds(lambda n, g: _tag(f"g:{n}-2-{g},c:1709294400"), st.integers(1, 3), st.integers(0, 9)),
    st.builds(lambda c: _tag(f"c:{c}", good=False), _times),
    st.just("\\c:1709294400"),  # never closed
)
_sentences = st.one_of(
    st.builds(position_sentence, st.integers(1, 10**6)),
    st.sampled_from([PART1, PART2, "$PGHP,1,2024,3,1,12,0,5,0,,,,1*5E", "$GPGGA,1*00"]),
    st.sampled_from(["!AIVDM,1,1,,A,,0*00", "!AIVDM,1,1,,A,1,6*00", "!AIVDM,x", "!BSVDO,1"]),
)
_text_lines = st.one_of(
    st.builds(lambda tag, s: tag + s, _tag_blocks, _sentences),
    _sentences,
    _tag_blocks,  # metadata on its own line
    st.builds(lambda s: "1709294400 " + s, _sentences),  # leading timestamp
    st.sampled_from(["", "# comment", "   ", "\t", "\\r\\n", "café ÿ", "\u200f\u202e rtl"]),
    st.text(max_size=30),
)
_lines = st.one_of(
    _text_lines.map(lambda text: text.encode("utf-8")),
    _text_lines.map(lambda text: text.encode("latin-1", "replace")),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
    st.sampled_from([b"\x00" + position_sentence(1).encode(), b"\xff\xfe!AIVDM", b"\x80\xc3"]),
    st.integers(MAX_LINE - 2, 3 * MAX_LINE).map(lambda n: b"x" * n),
)
_ends = st.sampled_from([b"\n", b"\r\n", b"\r"])


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    """Lines with their own line ends, maybe a BOM first and no break after the last."""
    lines = draw(st.lists(st.tuples(_lines, _ends), max_size=40))
    body = b"".join(line + end for line, end in lines)
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body
    if lines and draw(st.booleans()):
        body = _BREAKS.sub(b"", body[-1:]) if len(body) == 1 else body[: -len(lines[-1][1])]
    return body


def _line_count(data: bytes) -> int:
    return count_lines(data) + (bool(data) and not data.endswith((b"\n", b"\r")))


def _input_lines(data: bytes) -> list[str]:
    """The input's lines, by the same rule as the framing (1-based: index 0 is line 1)."""
    return [line.decode("utf-8", "replace") for line in _BREAKS.split(data)]


def _payloads(line: str) -> list[str]:
    return [p.split(",")[5] for p in line.split("!")[1:] if p.count(",") >= 6]


def _check_rejects(rows: list[dict[str, object]], data: bytes, lines: int) -> None:
    text = _input_lines(data)
    for row in rows:
        line_no, raw, reason = int(row["line_no"]), str(row["raw"]), str(row["reason"])  # type: ignore[call-overload]
        assert 1 <= line_no <= lines, row
        line = text[line_no - 1]
        if reason in _PAYLOAD_REASONS:
            assert any(raw.startswith(p) for p in _payloads(line)), (row, line)
        else:
            assert raw.rstrip("\ufffd") in line, (row, line)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds())
def test_framing_never_raises_and_accounts_for_every_line(data: bytes) -> None:
    chunk = frame_chunk(data, max_line_bytes=MAX_LINE)
    parts = chunk.blank_or_comment + chunk.metadata_lines + chunk.ais_sentences + chunk.rejected
    assert parts == chunk.records >= chunk.lines == _line_count(data)
    assert chunk.rejects.num_rows == chunk.rejected
    _check_rejects(chunk.rejects.to_pylist(), data, chunk.lines)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    feeds(),
    st.integers(min_value=1, max_value=700),
    st.sampled_from([None, T0]),
    st.booleans(),
)
def test_ingest_never_raises_and_keeps_every_rejected_line(
    data: bytes, chunk_bytes: int, assume: datetime | None, require_time: bool
) -> None:
    sink = MemorySink()
    try:
        summary = ingest(
            [StdinSource(io.BytesIO(data))],
            sink,
            assume_time=assume,
            require_time=require_time,
            clock=fixed_clock(NOW),
            chunk_bytes=chunk_bytes,
            max_line_bytes=MAX_LINE,
        )
    except SourceError as exc:  # the one refusal: a first line that is a CSV header of no
        # known layout
        assert "unknown CSV layout" in str(exc)
        return
    assert summary.balanced
    assert summary.lines == _line_count(data)
    rejects = sink.rejects()
    assert rejects.num_rows == sum(summary.rejected.values())
    _check_rejects(rejects.to_pylist(), data, summary.lines)
    families = ("positions", "statics", "base_stations", "other")
    decoded = sum(sink.table(f).num_rows for f in families)
    assert decoded == summary.messages == sum(summary.accepted.values())


_csv_fields = st.one_of(
    st.sampled_from(["366000001", "0", "abc", "1e3", "", '"quoted, comma"', '"open']),
    st.sampled_from(["2024-03-01T12:00:00", "1970-01-01T00:00:00", "2100-01-01T00:00:00", "x"]),
    st.sampled_from(["10.5", "-91", "nan", "", "ÿ", "\x00"]),
)
_csv_rows = st.one_of(
    st.lists(_csv_fields, min_size=17, max_size=17).map(",".join),
    st.lists(_csv_fields, max_size=20).map(",".join),
    st.just("366000001,2024-03-01T12:00:00,10.0,20.0,1,2,3,,,,,,,,,,A"),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_csv_rows, _ends), max_size=30), st.integers(1, 500))
def test_csv_ingest_never_raises_and_accounts_for_every_row(
    rows: list[tuple[str, bytes]], chunk_bytes: int
) -> None:
    data = NOAA_HEADER.encode() + b"\r\n" + b"".join(r.encode() + e for r, e in rows)
    sink = MemorySink()
    summary = ingest(
        [StdinSource(io.BytesIO(data))],
        sink,
        clock=fixed_clock(NOW),
        chunk_bytes=chunk_bytes,
        max_line_bytes=MAX_LINE,
    )
    assert summary.balanced
    assert summary.lines == _line_count(data)
    rejects = sink.rejects()
    assert rejects.num_rows == summary.rejected_records == sum(summary.rejected.values())
    text = _input_lines(data)
    for row in rejects.to_pylist():
        assert row["raw"] == text[row["line_no"] - 1][:MAX_LINE] or row["reason"] == "line_too_long"
