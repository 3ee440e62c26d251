"""Multi-part reassembly: every rule and reject reason, chunking and the one-shot helper."""

from __future__ import annotations

import itertools
from functools import reduce

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.ais.batch import NO_TIME, REJECT_SCHEMA, PayloadBatch
from setu.ais.reasons import Reason
from setu.ais.reassembly import FrameStats, Reassembler, frame_bytes
from setu.ais.sentences import FrameCarry, frame_chunk
from setu.errors import ConfigError

pytestmark = pytest.mark.unit

P1 = "55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD"
P2 = "`88888888888880"
SINGLE = "13@:`L001N0ded0O6Fp8wW<00<0t"


def nmea(body: str, start: str = "!") -> str:
    return f"{start}{body}*{reduce(lambda acc, ch: acc ^ ord(ch), body, 0):02X}"


def tag(body: str) -> str:
    return f"\\{body}*{reduce(lambda acc, ch: acc ^ ord(ch), body, 0):02X}\\"


def part(num: int, payload: str, *, count: int = 2, seq: str = "9", ch: str = "B", fill: int = 0):
    return nmea(f"AIVDM,{count},{num},{seq},{ch},{payload},{fill}")


def single(payload: str = SINGLE) -> str:
    return nmea(f"AIVDM,1,1,,A,{payload},0")


def text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def payloads(batch: PayloadBatch) -> list[str]:
    return [batch.payload_text(i) for i in range(len(batch))]


def reasons(table: pa.Table) -> list[str]:
    return table.column("reason").to_pylist()


def push(reassembler: Reassembler, *lines: str, first_line_no: int = 1):
    return reassembler.push(frame_chunk(text(*lines), first_line_no=first_line_no))


def test_two_parts_assemble() -> None:
    stamp = tag("c:1600000000")
    batch, rejects = push(Reassembler(), stamp + part(1, P1), part(2, P2, fill=2))
    assert rejects.num_rows == 0
    assert payloads(batch) == [P1 + P2]
    assert batch.offsets.tolist() == [0, len(P1 + P2)]
    assert batch.fill_bits.tolist() == [2]
    assert batch.line_no.tolist() == [1]
    assert batch.received_at_us.tolist() == [1600000000_000_000]
    assert batch.sentence_count.tolist() == [2]
    assert batch.checksum_ok.tolist() == [True]
    assert batch.channel.to_pylist() == ["B"]
    assert batch.talker.to_pylist() == ["AIVDM"]
    assert batch.station.to_pylist() == [None]


def test_single_and_multi_keep_completion_order() -> None:
    batch, _ = push(Reassembler(), single("1A"), part(1, P1), single("1B"), part(2, P2), single())
    assert payloads(batch) == ["1A", "1B", P1 + P2, SINGLE]
    assert batch.line_no.tolist() == [1, 3, 2, 5]
    assert batch.sentence_count.tolist() == [1, 1, 2, 1]


def test_checksum_ok_requires_every_fragment() -> None:
    bad = part(2, P2)[:-2] + "00"
    batch, _ = push(Reassembler(), part(1, P1), bad)
    assert batch.checksum_ok.tolist() == [False]


def test_bad_tag_block_clears_checksum_ok() -> None:
    batch, _ = push(Reassembler(), "\\c:1600000000*00\\" + single())
    assert batch.checksum_ok.tolist() == [False]


def test_group_split_across_chunks() -> None:
    reassembler = Reassembler()
    first = frame_chunk(text(tag("s:north,c:1600000000") + part(1, P1)))
    batch1, rejects1 = reassembler.push(first)
    assert (len(batch1), rejects1.num_rows, reassembler.pending) == (0, 0, 1)
    second = frame_chunk(text(tag("s:north") + part(2, P2)), first_line_no=2, carry=first.carry)
    batch2, rejects2 = reassembler.push(second)
    assert payloads(batch2) == [P1 + P2]
    assert batch2.station.to_pylist() == ["north"]
    assert batch2.line_no.tolist() == [1]
    assert rejects2.num_rows == 0
    assert reassembler.pending == 0


def test_tag_block_group_key_ignores_missing_station_on_later_parts() -> None:
    lines = (
        tag("g:1-2-1278,s:66,c:1661782369") + part(1, P1, seq="3", ch="A"),
        tag("g:2-2-1278") + part(2, P2, seq="3", ch="A"),
    )
    batch, rejects = push(Reassembler(), *lines)
    assert payloads(batch) == [P1 + P2]
    assert batch.station.to_pylist() == ["66"]
    assert rejects.num_rows == 0


def test_stations_keep_groups_apart() -> None:
    lines = (
        tag("s:one") + part(1, "A1"),
        tag("s:two") + part(1, "B1"),
        tag("s:two") + part(2, "B2"),
        tag("s:one") + part(2, "A2"),
    )
    batch, _ = push(Reassembler(), *lines)
    assert payloads(batch) == ["B1B2", "A1A2"]
    assert batch.station.to_pylist() == ["two", "one"]


def test_duplicate_later_fragment() -> None:
    batch, rejects = push(
        Reassembler(),
        part(1, P1, count=3),
        part(2, "2", count=3),
        part(2, "2", count=3),
        part(3, "3", count=3),
    )
    assert payloads(batch) == [P1 + "23"]
    assert reasons(rejects) == [Reason.DUPLICATE_FRAGMENT]
    assert rejects.column("line_no").to_pylist() == [3]


def test_duplicate_first_fragment() -> None:
    batch, rejects = push(Reassembler(), part(1, P1), part(1, P1), part(2, P2))
    assert payloads(batch) == [P1 + P2]
    assert reasons(rejects) == [Reason.DUPLICATE_FRAGMENT]
    assert rejects.column("line_no").to_pylist() == [2]


def test_orphan_fragment() -> None:
    batch, rejects = push(Reassembler(), part(2, P2), single())
    assert payloads(batch) == [SINGLE]
    assert reasons(rejects) == [Reason.ORPHAN_FRAGMENT]
    assert rejects.column("raw").to_pylist() == [part(2, P2)]


def test_new_first_part_supersedes_the_open_group() -> None:
    batch, rejects = push(Reassembler(), part(1, "OLD"), part(1, P1), part(2, P2))
    assert payloads(batch) == [P1 + P2]
    assert reasons(rejects) == [Reason.INCOMPLETE_GROUP]
    assert rejects.column("raw").to_pylist() == [part(1, "OLD")]


def test_group_expires_by_receive_time() -> None:
    reassembler = Reassembler(max_age_s=60)
    lines = (tag("c:1600000000") + part(1, P1), tag("c:1600000061") + part(2, P2))
    batch, rejects = push(reassembler, *lines)
    assert len(batch) == 0
    assert reasons(rejects) == [Reason.GROUP_EXPIRED, Reason.ORPHAN_FRAGMENT]


def test_group_within_age_assembles() -> None:
    lines = (tag("c:1600000000") + part(1, P1), tag("c:1600000059") + part(2, P2))
    batch, _ = push(Reassembler(max_age_s=60), *lines)
    assert payloads(batch) == [P1 + P2]


def test_group_expires_by_line_distance_without_times() -> None:
    reassembler = Reassembler(max_age_lines=3)
    batch, rejects = push(reassembler, part(1, P1), single(), single(), single(), part(2, P2))
    assert len(batch) == 3
    assert reasons(rejects) == [Reason.GROUP_EXPIRED, Reason.ORPHAN_FRAGMENT]


def test_open_groups_expire_at_the_end_of_a_chunk() -> None:
    reassembler = Reassembler(max_age_s=60)
    _, rejects1 = push(reassembler, tag("c:1600000000") + part(1, P1))
    assert rejects1.num_rows == 0
    _, rejects2 = push(reassembler, tag("c:1600000100") + single(), first_line_no=2)
    assert reasons(rejects2) == [Reason.GROUP_EXPIRED]
    assert rejects2.column("received_at").to_pylist()[0].timestamp() == 1600000000
    assert reassembler.pending == 0


def test_overflow_drops_the_oldest_group() -> None:
    reassembler = Reassembler(max_pending_groups=2)
    lines = (part(1, "A", seq="1"), part(1, "B", seq="2"), part(1, "C", seq="3"))
    batch, rejects = push(reassembler, *lines, part(2, "c", seq="3"))
    assert payloads(batch) == ["Cc"]
    assert reasons(rejects) == [Reason.GROUP_OVERFLOW]
    assert rejects.column("raw").to_pylist() == [part(1, "A", seq="1")]
    assert reassembler.pending == 1


def test_flush_rejects_every_fragment_of_open_groups() -> None:
    reassembler = Reassembler()
    push(reassembler, part(1, P1, count=3), part(2, "2", count=3), part(1, "T", seq="1"))
    flushed = reassembler.flush()
    assert flushed.schema == REJECT_SCHEMA
    assert reasons(flushed) == [Reason.INCOMPLETE_GROUP] * 3
    assert flushed.column("line_no").to_pylist() == [1, 2, 3]
    assert flushed.column("raw").to_pylist()[1] == part(2, "2", count=3)
    assert reassembler.pending == 0
    assert reassembler.flush().num_rows == 0


def test_too_many_fragments() -> None:
    batch, rejects = push(Reassembler(max_fragments=3), part(1, P1, count=4))
    assert len(batch) == 0
    assert reasons(rejects) == [Reason.MALFORMED_SENTENCE]


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ConfigError, match="max_pending_groups"):
        Reassembler(max_pending_groups=0)


def test_empty_chunk() -> None:
    batch, rejects = Reassembler().push(frame_chunk(b""))
    assert len(batch) == 0
    assert batch.offsets.tolist() == [0]
    assert rejects.num_rows == 0


def test_frame_bytes_counts_and_orders_rejects() -> None:
    buf = text("# head", part(2, P2), "$GPGGA,1*00", single(), part(1, P1, seq="4"))
    batch, rejects, stats = frame_bytes(buf, default_time_us=1_000_000)
    assert payloads(batch) == [SINGLE]
    assert batch.received_at_us.tolist() == [1_000_000]
    assert rejects.column("line_no").to_pylist() == [2, 3, 5]
    assert reasons(rejects) == [
        Reason.ORPHAN_FRAGMENT,
        Reason.NOT_AIS,
        Reason.INCOMPLETE_GROUP,
    ]
    assert stats == FrameStats(
        lines=5,
        records=5,
        blank_or_comment=1,
        metadata_lines=0,
        ais_sentences=3,
        rejected=1,
        messages=1,
        reassembly_rejected=2,
    )


def _pool() -> list[str]:
    return [
        single(),
        single("1B"),
        part(1, P1),
        part(2, P2),
        part(1, "Q", seq="3", ch="A"),
        part(2, "R", seq="3", ch="A"),
        tag("s:x,c:1600000000") + part(1, "S"),
        tag("c:1600000001"),
        nmea("PGHP,1,2013,11,12,12,0,0,11,219,,2190067,1,62", "$"),
        "$GPGGA,1*00",
        "",
        "junk",
        tag("g:1-2-5,s:y") + part(1, "G1", seq="5"),
        tag("g:2-2-5") + part(2, "G2", seq="5"),
    ]


def _run_chunks(lines: list[str], cuts: list[int]) -> tuple[dict, list]:
    reassembler = Reassembler()
    carry: FrameCarry | None = None
    batches, rejects = [], []
    bounds = [0, *sorted(set(cuts)), len(lines)]
    for start, end in itertools.pairwise(bounds):
        buf = text(*lines[start:end]) if end > start else b""
        framed = frame_chunk(buf, carry=carry, first_line_no=start + 1)
        carry = framed.carry
        batch, rej = reassembler.push(framed)
        batches.append(batch)
        rejects += [framed.rejects, rej]
    rejects.append(reassembler.flush())
    merged = {
        "payload": [p for b in batches for p in payloads(b)],
        "line_no": [v for b in batches for v in b.line_no.tolist()],
        "time": [v for b in batches for v in b.received_at_us.tolist()],
        "station": [v for b in batches for v in b.station.to_pylist()],
        "fill": [v for b in batches for v in b.fill_bits.tolist()],
    }
    rows = sorted((r["line_no"], r["reason"], r["raw"]) for t in rejects for r in t.to_pylist())
    return merged, rows


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.sampled_from(_pool()), max_size=30),
    cuts=st.lists(st.integers(0, 30), max_size=4),
)
def test_chunk_boundaries_do_not_change_the_result(lines: list[str], cuts: list[int]) -> None:
    cuts = [c for c in cuts if c <= len(lines)]
    assert _run_chunks(lines, cuts) == _run_chunks(lines, [])


def test_chunked_time_carry_matches_one_chunk() -> None:
    lines = [tag("c:1600000001"), part(1, P1), part(2, P2)]
    whole, _ = _run_chunks(lines, [])
    split, _ = _run_chunks(lines, [1, 2])
    assert whole == split
    assert whole["time"] == [1600000001_000_000]
    assert NO_TIME not in whole["time"]
    assert np.array(whole["line_no"]).tolist() == [2]
