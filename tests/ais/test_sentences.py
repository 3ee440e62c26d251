"""Framing of raw lines: every line rule and reject reason on tiny hand-built input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import reduce

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.ais.batch import NO_TIME
from setu.ais.reasons import Reason
from setu.ais.sentences import (
    FramedChunk,
    channel_array,
    count_lines,
    frame_chunk,
    talker_array,
    talker_name,
    text_array,
)
from setu.errors import ConfigError

pytestmark = pytest.mark.unit

PAYLOAD = "13@:`L001N0ded0O6Fp8wW<00<0t"
ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"


def xor(text: str) -> int:
    return reduce(lambda acc, ch: acc ^ ord(ch), text, 0)


def nmea(body: str, start: str = "!") -> str:
    """A sentence with a correct checksum."""
    return f"{start}{body}*{xor(body):02X}"


def tag(body: str) -> str:
    """A tag block with a correct checksum."""
    return f"\\{body}*{xor(body):02X}\\"


def vdm(payload: str = PAYLOAD, *, talker: str = "AIVDM", head: str = "1,1,,A", fill: int = 0):
    return nmea(f"{talker},{head},{payload},{fill}")


def us(text: str) -> int:
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def frame(*lines: str, **kw: object) -> FramedChunk:
    return frame_chunk(("\n".join(lines) + "\n").encode(), **kw)  # type: ignore[arg-type]


def reasons(chunk: FramedChunk) -> list[str]:
    return chunk.rejects.column("reason").to_pylist()


def assert_counters(chunk: FramedChunk) -> None:
    parts = chunk.blank_or_comment + chunk.metadata_lines + chunk.ais_sentences + chunk.rejected
    assert parts == chunk.records >= chunk.lines
    assert chunk.rejects.num_rows == chunk.rejected
    assert len(chunk) == chunk.ais_sentences


def test_single_sentence_fields() -> None:
    chunk = frame(vdm(head="2,1,7,B", fill=2))
    assert_counters(chunk)
    assert len(chunk) == 1
    assert chunk.line_no.tolist() == [1]
    assert (chunk.frag_count[0], chunk.frag_num[0], chunk.seq_id[0]) == (2, 1, 7)
    assert chr(chunk.channel[0]) == "B"
    assert talker_name(chunk.talker[0]) == "AIVDM"
    assert chunk.payload(0) == PAYLOAD.encode()
    assert chunk.fill_bits[0] == 2
    assert chunk.checksum_ok[0]
    assert chunk.received_at_us[0] == NO_TIME
    assert chunk.station[0] == -1
    assert chunk.group_id[0] == -1


@pytest.mark.parametrize("talker", ["AIVDM", "AIVDO", "BSVDM", "ABVDM", "BYVDM", "SSVDM", "--VDM"])
def test_any_talker(talker: str) -> None:
    chunk = frame(vdm(talker=talker))
    assert talker_array(chunk.talker).to_pylist() == [talker]


def test_empty_seq_and_channel() -> None:
    chunk = frame(vdm(head="1,1,,"))
    assert chunk.seq_id[0] == -1
    assert chunk.channel[0] == 0


def test_crlf_and_missing_final_newline() -> None:
    text = f"{vdm()}\r\n{vdm(head='1,1,,B')}"
    chunk = frame_chunk(text.encode())
    assert chunk.lines == 2
    assert len(chunk) == 2
    assert chunk.payload(1) == PAYLOAD.encode()
    assert chunk.checksum_ok.all()


def test_blank_and_comment_lines_are_counted_not_rejected() -> None:
    chunk = frame("", "# a comment", "   ", vdm())
    assert_counters(chunk)
    assert chunk.blank_or_comment == 3
    assert chunk.rejected == 0
    assert chunk.line_no.tolist() == [4]


def test_first_line_no_offsets_line_numbers() -> None:
    chunk = frame("", vdm(), first_line_no=101)
    assert chunk.line_no.tolist() == [102]
    assert chunk.last_line_no == 102


def test_inline_tag_block_time_station_group() -> None:
    chunk = frame(tag("g:1-2-1604,s:rORBCOMM008,c:1418169601") + vdm(head="2,1,6,A"))
    assert chunk.received_at_us[0] == 1418169601 * 1_000_000
    assert chunk.stations[chunk.station[0]] == "rORBCOMM008"
    assert (chunk.group_num[0], chunk.group_total[0], chunk.group_id[0]) == (1, 2, 1604)
    assert chunk.tag_block_ok[0]
    assert chunk.raw(0).startswith("\\g:1-2-1604")


def test_tag_block_c_in_milliseconds() -> None:
    chunk = frame(tag("c:1599239526500,s:sdr") + vdm())
    assert chunk.received_at_us[0] == 1599239526_500_000


def test_tag_block_human_time() -> None:
    chunk = frame(tag("T:2014-12-10 00.00.01") + vdm())
    assert chunk.received_at_us[0] == us("2014-12-10T00:00:01")


def test_old_style_group_key() -> None:
    chunk = frame(tag("1G2:0125,c:1354719387") + vdm(head="2,1,4,A"))
    assert (chunk.group_num[0], chunk.group_total[0], chunk.group_id[0]) == (1, 2, 125)


def test_bad_tag_block_checksum_lenient_keeps_flag() -> None:
    chunk = frame("\\c:1364272372*00\\" + vdm())
    assert len(chunk) == 1
    assert not chunk.tag_block_ok[0]
    assert chunk.checksum_ok[0]
    assert chunk.received_at_us[0] == 1364272372 * 1_000_000


def test_bad_tag_block_checksum_strict_rejects() -> None:
    chunk = frame("\\c:1364272372*00\\" + vdm(), strict=True)
    assert reasons(chunk) == [Reason.BAD_TAG_BLOCK]
    assert len(chunk) == 0


def test_unclosed_tag_block_is_rejected() -> None:
    chunk = frame("\\c:1364272372*00" + vdm())
    assert reasons(chunk) == [Reason.BAD_TAG_BLOCK]
    assert_counters(chunk)


def test_standalone_tag_block_applies_to_next_sentence() -> None:
    chunk = frame(tag("s:station7,c:1600000000"), "# comment in between", vdm(), vdm())
    assert_counters(chunk)
    assert chunk.metadata_lines == 1
    assert chunk.received_at_us.tolist() == [1600000000 * 1_000_000, NO_TIME]
    assert chunk.station.tolist() == [0, -1]
    assert chunk.stations == ("station7",)


def test_pghp_time_applies_to_next_sentence() -> None:
    chunk = frame(
        "\\si:AISD*3F\\",
        "$PGHP,1,2013,11,12,12,0,0,11,219,,2190067,1,62*26",
        "!BSVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0*62",
    )
    assert_counters(chunk)
    assert chunk.metadata_lines == 2
    assert chunk.received_at_us[0] == us("2013-11-12T12:00:00.011")
    assert chunk.checksum_ok[0]
    assert chunk.tag_block_ok[0]


def test_pghp_before_other_sentence_is_consumed_by_it() -> None:
    chunk = frame(
        nmea("PGHP,1,2013,11,12,12,0,0,650,219,,2190071,1,6D", "$"),
        "$PSTT,30A,20131112,120000*6D",
        vdm(),
    )
    assert reasons(chunk) == [Reason.NOT_AIS]
    assert chunk.rejects.column("received_at").to_pylist()[0] == datetime(
        2013, 11, 12, 12, 0, 0, 650000, tzinfo=UTC
    )
    assert chunk.received_at_us[0] == NO_TIME


def test_bad_pghp() -> None:
    chunk = frame(nmea("PGHP,1,2013,13,12,12,0,0,11,219,,2190067,1,62", "$"), vdm())
    assert reasons(chunk) == [Reason.BAD_PGHP]
    assert chunk.received_at_us[0] == NO_TIME


def test_pghp_of_another_type_is_metadata_without_time() -> None:
    chunk = frame(nmea("PGHP,2,abc", "$"), vdm())
    assert chunk.metadata_lines == 1
    assert chunk.received_at_us[0] == NO_TIME


def test_time_precedence() -> None:
    pghp = nmea("PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B", "$")
    c_tag = tag("c:1600000000,T:2001-01-01 00.00.00")
    t_tag = tag("T:2001-01-01 00.00.00")
    default = us("1999-01-01T00:00:00")
    chunk = frame(
        pghp,
        "1500000000 " + c_tag + vdm(),
        pghp,
        "1500000000 " + t_tag + vdm(),
        pghp,
        "1500000000 " + vdm(),
        "1500000000 " + vdm(),
        vdm() + ",1400000000",
        vdm(),
        default_time_us=default,
    )
    assert_counters(chunk)
    assert chunk.received_at_us.tolist() == [
        1600000000 * 1_000_000,
        us("2001-01-01T00:00:00"),
        us("2010-06-11T11:46:11.390"),
        1500000000 * 1_000_000,
        1400000000 * 1_000_000,
        default,
    ]


def test_trailing_timestamp_last_ten_digit_field() -> None:
    aisdb = vdm() + ",d-109,S2105,t050056.00,T56.13718694,r003669946,1325394060,1325394001"
    aislib = vdm() + ",1daasd4218,,1357134222"
    chunk = frame(aisdb, aislib)
    assert chunk.received_at_us.tolist() == [1325394001_000_000, 1357134222_000_000]
    assert chunk.checksum_ok.all()


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("1599239526.5 ", "2020-09-04T17:12:06.500"),
        ("1599239526,", "2020-09-04T17:12:06"),
        ("1599239526\t", "2020-09-04T17:12:06"),
        ("1599239526;", "2020-09-04T17:12:06"),
        ("2020-09-04T18:12:06Z ", "2020-09-04T18:12:06"),
        ("2020-09-04 18:12:06,", "2020-09-04T18:12:06"),
        ("2020-09-04T18:12:06.25Z;", "2020-09-04T18:12:06.250"),
    ],
)
def test_leading_timestamp(prefix: str, expected: str) -> None:
    chunk = frame(prefix + vdm())
    assert chunk.received_at_us[0] == us(expected)
    assert chunk.payload(0) == PAYLOAD.encode()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("$GPGGA,184353.07,1929.045,S,02410.506,E,1,04,2.6,100.00,M,-33.9,M,,0000*6D", "not_ais"),
        ("!AIALR,000000.00,007,A,V,AIS: UTC Lost*75", "not_ais"),
        ('{"class":"AIS","type":1}', "not_nmea"),
        ("IamNotAnAisMessage1111", "not_nmea"),
        ("53l3sj42A590=5Q2220UHE:04=@Ttr222222221@9HH>46ii0=D532Dp?", "not_nmea"),
        ("1599239526 hello", "not_nmea"),
        (vdm(payload=""), "empty_payload"),
        (vdm(payload="13@:`L0{1N0ded"), "bad_payload_char"),
        (vdm(payload="13@:`L0x1N0ded"), "bad_payload_char"),
        (vdm(fill=6), "bad_fill_bits"),
        (nmea("AIVDM,1,1,,B,15N4cJ005Jrek0H@9nDW5608EP,013"), "bad_fill_bits"),
        (nmea("AIVDM,1,1,,B,15N4cJ005Jrek0H@9nDW5608EP,"), "malformed_sentence"),
        (nmea("AIVDM,1,1,,A," + PAYLOAD), "malformed_sentence"),
        (nmea("AIVDM,1,1,,A,x," + PAYLOAD + ",0"), "malformed_sentence"),
        (nmea("AIVDM,0,1,,A," + PAYLOAD + ",0"), "malformed_sentence"),
        (nmea("AIVDM,1,2,,A," + PAYLOAD + ",0"), "malformed_sentence"),
        (nmea("AIVDM,a,1,,A," + PAYLOAD + ",0"), "malformed_sentence"),
        (nmea("AIVDM,1,1,x,A," + PAYLOAD + ",0"), "malformed_sentence"),
        (nmea("AIVDM,1,1,,AB," + PAYLOAD + ",0"), "malformed_sentence"),
    ],
)
def test_reject_reasons(line: str, reason: str) -> None:
    chunk = frame(line)
    assert_counters(chunk)
    assert reasons(chunk) == [reason]
    row = chunk.rejects.to_pylist()[0]
    assert row["line_no"] == 1
    assert row["raw"] == line
    assert row["received_at"] is None


def test_bad_checksum_lenient_and_strict() -> None:
    line = vdm()[:-2] + "00"
    lenient = frame(line)
    assert len(lenient) == 1
    assert not lenient.checksum_ok[0]
    strict = frame(line, strict=True)
    assert reasons(strict) == [Reason.BAD_CHECKSUM]


def test_missing_checksum_is_flagged() -> None:
    chunk = frame(f"!AIVDM,1,1,,A,{PAYLOAD},0")
    assert len(chunk) == 1
    assert not chunk.checksum_ok[0]


def test_line_too_long() -> None:
    chunk = frame(vdm(payload="1" * 100), vdm(), max_line_bytes=64)
    assert reasons(chunk) == [Reason.LINE_TOO_LONG]
    assert len(chunk.rejects.column("raw")[0].as_py()) == 64
    assert len(chunk) == 1


def test_max_line_bytes_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="max_line_bytes"):
        frame_chunk(b"", max_line_bytes=0)


def test_several_records_on_one_line() -> None:
    first = tag("s:rMT2083,c:1698785948") + vdm(talker="ABVDM", head="2,1,8,A")
    second = tag("s:rMT2083,c:1698785947") + vdm(head="2,2,8,A", payload="888888", fill=2)
    chunk = frame(first + second + tag("c:1698785949") + "$GPGGA,1*00")
    assert_counters(chunk)
    assert (chunk.lines, chunk.records) == (1, 3)
    assert chunk.line_no.tolist() == [1, 1]
    assert chunk.received_at_us.tolist() == [1698785948_000_000, 1698785947_000_000]
    assert chunk.raw(1) == second
    assert reasons(chunk) == [Reason.NOT_AIS]
    assert chunk.rejects.column("raw").to_pylist() == [tag("c:1698785949") + "$GPGGA,1*00"]


def test_line_breaks_written_as_text_separate_records() -> None:
    chunk = frame(vdm() + "\\r\\n" + vdm(head="1,1,,B"), "\\r\\n")
    assert_counters(chunk)
    assert (chunk.lines, chunk.records, len(chunk), chunk.blank_or_comment) == (2, 3, 2, 1)
    assert chunk.raw(1) == vdm(head="1,1,,B")
    tagged = frame(tag("r:1,n:2") + vdm())
    assert tagged.tag_block_ok[0]


def test_carry_applies_pending_metadata_to_the_next_chunk() -> None:
    first = frame(vdm(), tag("s:far-away,c:1600000000"), nmea("PGHP,1,2013,1,2,3,4,5,6", "$"))
    assert first.metadata_lines == 2
    second = frame(vdm(), vdm(), first_line_no=4, carry=first.carry)
    assert second.received_at_us.tolist() == [1600000000_000_000, NO_TIME]
    assert second.stations[second.station[0]] == "far-away"
    assert second.station[1] == -1
    assert second.line_no.tolist() == [4, 5]


def test_outputs_grow_for_many_short_records() -> None:
    buf = (("$X\\r\\n" * 10 + "\n") * 100).encode()
    chunk = frame_chunk(buf, max_line_bytes=64)
    assert_counters(chunk)
    assert (chunk.lines, chunk.records, chunk.rejected) == (100, 1000, 1000)
    assert chunk.rejects.column("line_no").to_pylist()[-1] == 100


def test_many_distinct_stations() -> None:
    lines = [tag(f"s:station-{i}") + vdm() for i in range(600)]
    chunk = frame(*lines, *lines[:3])
    assert len(chunk.stations) == 600
    names = [chunk.stations[k] for k in chunk.station.tolist()]
    assert names == [f"station-{i}" for i in range(600)] + ["station-0", "station-1", "station-2"]


def test_empty_input() -> None:
    chunk = frame_chunk(b"")
    assert (chunk.lines, chunk.records, len(chunk), chunk.rejects.num_rows) == (0, 0, 0, 0)


def test_talker_name_covers_every_code() -> None:
    assert talker_name(0) == "  VDM"
    assert talker_name(1) == "  VDO"
    codes = np.array([0, 1], np.int16)
    assert talker_array(codes).to_pylist() == ["  VDM", "  VDO"]


def test_talker_array_of_every_code_matches_talker_name() -> None:
    codes = np.arange(0, 95 * 95 * 2, dtype=np.int16)
    names = talker_array(codes)
    names.validate(full=True)
    assert names.to_pylist() == [talker_name(int(c)) for c in codes]


def test_channel_array_nulls_for_empty_channels() -> None:
    codes = np.array([65, 0, 66, 0, 49], np.uint8)
    channels = channel_array(codes)
    channels.validate(full=True)
    assert channels.to_pylist() == ["A", None, "B", None, "1"]
    assert channel_array(np.array([], np.uint8)).to_pylist() == []


def test_text_array_replaces_invalid_utf8() -> None:
    a = np.frombuffer(b"ok\xff\xfebad caf\xc3\xa9", np.uint8)
    texts = text_array(a, np.array([0, 2, 8, 2]), np.array([2, 7, 13, 2]))
    assert texts.to_pylist() == ["ok", "\ufffd\ufffdbad", "caf\u00e9", ""]


def test_rejected_lines_keep_their_raw_text_across_chunk_positions() -> None:
    lines = ["$GPGGA,1*00", "!AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0*00x", "caf\u00e9 \u00ff"]
    chunk = frame_chunk(("\n".join(lines) + "\n").encode())
    assert chunk.rejects.column("raw").to_pylist() == [lines[0], lines[2]]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_and_counters_add_up(buf: bytes) -> None:
    chunk = frame_chunk(buf, max_line_bytes=120)
    assert_counters(chunk)
    unterminated = bool(buf) and not buf.endswith((b"\n", b"\r"))
    assert chunk.lines == count_lines(buf) + unterminated


_SNIPPETS = [vdm(), "\\", "!", "$", ",", "*", "\n", "\r", "#", " ", "0", "1599239526", "!AIVDM,"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SNIPPETS), max_size=40))
def test_nmea_like_noise_never_crashes(pieces: list[str]) -> None:
    assert_counters(frame_chunk("".join(pieces).encode(), strict=True))


@settings(max_examples=200, deadline=None)
@given(
    talker=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=2, max_size=2),
    vdo=st.booleans(),
    count=st.integers(1, 9),
    data=st.data(),
    seq=st.one_of(st.none(), st.integers(0, 9)),
    channel=st.sampled_from(["", "A", "B", "1", "2"]),
    payload=st.text(ARMOUR, min_size=1, max_size=82),
    fill=st.integers(0, 5),
    c_seconds=st.one_of(st.none(), st.integers(946684800, 4102444800)),
)
def test_valid_sentence_round_trips(
    talker: str,
    vdo: bool,
    count: int,
    data: st.DataObject,
    seq: int | None,
    channel: str,
    payload: str,
    fill: int,
    c_seconds: int | None,
) -> None:
    num = data.draw(st.integers(1, count))
    formatter = talker + ("VDO" if vdo else "VDM")
    head = f"{count},{num},{'' if seq is None else seq},{channel}"
    line = vdm(payload, talker=formatter, head=head, fill=fill)
    if c_seconds is not None:
        line = tag(f"c:{c_seconds}") + line
    chunk = frame(line)
    assert chunk.rejected == 0
    assert talker_name(chunk.talker[0]) == formatter
    assert (chunk.frag_count[0], chunk.frag_num[0]) == (count, num)
    assert chunk.seq_id[0] == (-1 if seq is None else seq)
    assert chunk.channel[0] == (ord(channel) if channel else 0)
    assert chunk.payload(0) == payload.encode()
    assert chunk.fill_bits[0] == fill
    assert chunk.checksum_ok[0]
    expected_time = NO_TIME if c_seconds is None else c_seconds * 1_000_000
    assert chunk.received_at_us[0] == expected_time
    assert chunk.raw(0) == line


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="ab# \t\r", max_size=40), max_size=30),
    st.integers(min_value=0, max_value=7),
)
def test_lines_are_split_at_every_line_feed_whatever_the_alignment(
    lines: list[str], shift: int
) -> None:
    """The line-break search reads eight bytes at a time: every line (ended by \\n, \\r\\n or a
    lone \\r) and its number must survive any start address and any line length."""
    body = "".join(f"{line}\n" for line in lines).encode()
    buf = memoryview(b"x" * shift + body)[shift:]
    chunk = frame_chunk(buf)  # type: ignore[arg-type]
    split = re.split(r"\r\n|\r|\n", body.decode())[:-1]
    assert chunk.lines == len(split) == count_lines(body)
    stripped = [line.strip(" \t") for line in split]
    rejected = {n: line for n, line in enumerate(stripped, 1) if line[:1] not in ("", "#")}
    got = dict(
        zip(
            chunk.rejects.column("line_no").to_pylist(),
            chunk.rejects.column("raw").to_pylist(),
            strict=True,
        )
    )
    assert got == rejected


def test_pghp_fields_of_every_shape() -> None:
    good = nmea("PGHP,1,2013,11,12,12,0,0,11,219,,2190067,1", "$")
    sentence = nmea("AIVDM,1,1,,A," + PAYLOAD + ",0")
    chunk = frame_chunk(f"{good}\n{sentence}\n".encode())
    assert chunk.received_at_us[0] == int(
        datetime(2013, 11, 12, 12, 0, 0, 11_000, UTC).timestamp() * 1e6
    )
    malformed = (
        "PGHP,1,2013,11,12,12,0,0",
        "PGHP,1,2013,11,12,12,0,0,1000",
        "PGHP,1,2013,x1,12,12,0,0,1",
        "PGHP,1,2013,,12,12,0,0,1",
        "PGHP,0,2013,11,12,12,0,0,1",
        "PGHP,1,2013,11,12,12,0,0,1234567890",
        "PGHP,1",
    )
    for body in malformed:
        chunk = frame_chunk(f"{nmea(body, '$')}\n{sentence}\n".encode())
        assert chunk.rejects.column("reason").to_pylist() == [Reason.BAD_PGHP.value], body
    for body in ("PGHP,2", "PGHP,5,x,y", "PGHP,2,2013,11"):
        chunk = frame_chunk(f"{nmea(body, '$')}\n{sentence}\n".encode())
        assert chunk.rejects.num_rows == 0 and chunk.received_at_us[0] == NO_TIME, body
