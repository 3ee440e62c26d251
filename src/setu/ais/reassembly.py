"""Multi-part reassembly: framed sentences in, complete AIS messages (a PayloadBatch) out.

Single-sentence messages (fragment count 1) take a vectorised path straight from the framed
columns; only fragments of multi-part messages go through the group table, which is bounded in
size (``max_pending_groups``) and age (``max_age_s``) and carries over between chunks.

Rules, per fragment of a multi-part message:

- Key: (fragment count, sequence id, channel, tag block group id) when the sentence carries a tag
  block ``g:`` group, else (fragment count, sequence id, channel, station). The group id replaces
  the station because IEC 61162-450 puts the full tag block (``s:``, ``c:``) on the first
  sentence of a group only.
- Part 1 opens a group. An identical part 1 while its group is open is a DUPLICATE_FRAGMENT; a
  different part 1 supersedes the open group, whose fragments are rejected as INCOMPLETE_GROUP.
- Parts 2.. join the open group of their key: with none open they are ORPHAN_FRAGMENT, when the
  part is already there DUPLICATE_FRAGMENT. More fragments than ``max_fragments``:
  MALFORMED_SENTENCE.
- Receive times: a fragment's *own* time comes from its line (tag block, ``$PGHP``, timestamp);
  the *default* time (``--assume-time``, or a live feed's clock stamp of the chunk) is handed to
  :meth:`Reassembler.push` and applies only to messages whose first fragment has no own time.
  So an assumed time never splits a group whose first fragment carries a ``$PGHP`` time and whose
  later fragments carry none.
- Age: a group expires (GROUP_EXPIRED) when a newer sentence is more than ``max_age_s`` later
  than the group's first fragment — compared by own times when both have one, by default times
  when neither has an own time (then also by line distance), and otherwise by line distance,
  more than ``max_age_lines`` lines. Expiry is checked when a fragment of the same key arrives
  and for every open group at the end of each chunk (against the latest own and default times
  and the last line of the chunk).
- More than ``max_pending_groups`` open: the oldest opened is dropped as GROUP_OVERFLOW.
- :meth:`Reassembler.flush` rejects every group still open as INCOMPLETE_GROUP.

Every fragment of a rejected group gets its own reject row with its raw text. A complete message
takes the line number, receive time, talker, channel and station of its first fragment, the fill
bits of its last, and ``checksum_ok`` only when every fragment's NMEA checksum and tag block
were good. Messages come out in the order in which they completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from setu.ais._frame_gather import gather_payloads
from setu.ais.batch import NO_TIME, REJECT_SCHEMA, PayloadBatch, with_default_time
from setu.ais.reasons import Reason
from setu.ais.sentences import FramedChunk, channel_array, frame_chunk, talker_array
from setu.errors import ConfigError

__all__ = ["FrameStats", "Reassembler", "frame_bytes"]

_US = 1_000_000
_Key = tuple[int, int, int, str, object]


@dataclass(frozen=True)
class _Fragment:
    line_no: int
    received_at_us: int  # the line's own time, NO_TIME when none
    default_us: int  # the chunk's default time (assumed or feed clock), NO_TIME when none
    payload: bytes
    fill_bits: int
    checksum_ok: bool
    raw: str


@dataclass
class _Group:
    count: int
    talker: int
    channel: int
    station: str | None
    parts: dict[int, _Fragment] = field(default_factory=dict)

    @property
    def first(self) -> _Fragment:
        return self.parts[1]


def _time_of(frag: _Fragment) -> int:
    """The receive time a fragment's message takes: its own, else the default."""
    return frag.received_at_us if frag.received_at_us != NO_TIME else frag.default_us


@dataclass(frozen=True)
class _Message:
    order: int  # index of the completing sentence in its chunk
    first: _Fragment
    payload: bytes
    fill_bits: int
    checksum_ok: bool
    count: int
    talker: int
    channel: int
    station: str | None


class _Rejects:
    """Reject rows collected in Python (reassembly rejects are few)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str, int]] = []

    def group(self, group: _Group, reason: Reason) -> None:
        for part in sorted(group.parts):
            self.fragment(group.parts[part], reason)

    def fragment(self, frag: _Fragment, reason: Reason) -> None:
        self.rows.append((frag.line_no, reason.value, frag.raw, _time_of(frag)))

    def table(self) -> pa.Table:
        if not self.rows:
            return REJECT_SCHEMA.empty_table()
        line_no, reason, raw, times = zip(*self.rows, strict=True)
        t = np.array(times, np.int64)
        return pa.table(
            [
                pa.array(line_no, pa.int64()),
                pa.array(reason, pa.string()),
                pa.array(raw, pa.string()),
                pa.array(t, pa.timestamp("us", tz="UTC"), mask=t == NO_TIME),
            ],
            schema=REJECT_SCHEMA,
        )


class Reassembler:
    """Assembles multi-part AIS messages across chunks (see the module docstring for the rules).

    ``max_pending_groups`` bounds memory (10,000 open groups is far above what a national feed
    keeps open at once); ``max_age_s`` is how long a group may wait for its remaining fragments
    (60 s: fragments of one message are transmitted in consecutive slots, so anything older is
    lost); ``max_fragments`` is the most sentences a message may span (9: the single-digit
    fragment count of ITU-R M.1371 / IEC 61162-1 VDM); ``max_age_lines`` ages groups by line
    distance when receive times are unknown.
    """

    def __init__(
        self,
        max_pending_groups: int = 10_000,
        max_age_s: float = 60.0,
        max_fragments: int = 9,
        *,
        max_age_lines: int = 10_000,
    ) -> None:
        if max_pending_groups < 1 or max_age_s <= 0 or max_fragments < 2 or max_age_lines < 1:
            raise ConfigError(
                "Reassembler limits must be positive (max_pending_groups >= 1, max_age_s > 0, "
                "max_fragments >= 2, max_age_lines >= 1); the defaults are 10000, 60, 9, 10000"
            )
        self.max_pending_groups = max_pending_groups
        self.max_age_us = int(max_age_s * _US)
        self.max_fragments = max_fragments
        self.max_age_lines = max_age_lines
        self._groups: dict[_Key, _Group] = {}
        self._latest_us = NO_TIME  # latest own time seen
        self._latest_default_us = NO_TIME  # latest default time seen

    @property
    def pending(self) -> int:
        """Number of groups still waiting for fragments."""
        return len(self._groups)

    def push(
        self, framed: FramedChunk, default_time_us: int = NO_TIME
    ) -> tuple[PayloadBatch, pa.Table]:
        """Complete messages of ``framed`` (and of groups opened before) and reassembly rejects.

        ``default_time_us`` is the receive time of messages whose first fragment has none of its
        own (see the module docstring); frame with ``default_time_us=NO_TIME`` to use it.
        """
        rejects = _Rejects()
        multi = framed.frag_count != 1
        messages: list[_Message] = []
        if multi.any():
            messages = self._assemble(framed, np.flatnonzero(multi), default_time_us, rejects)
        if len(framed):
            self._latest_us = max(self._latest_us, int(framed.received_at_us.max()))
            self._latest_default_us = max(self._latest_default_us, default_time_us)
        self._sweep(framed.last_line_no, rejects)
        singles = np.flatnonzero(~multi) if len(messages) or multi.any() else None
        return _build_batch(framed, singles, messages, default_time_us), rejects.table()

    def flush(self) -> pa.Table:
        """Reject every group still open (INCOMPLETE_GROUP) and forget it."""
        rejects = _Rejects()
        for group in self._groups.values():
            rejects.group(group, Reason.INCOMPLETE_GROUP)
        self._groups.clear()
        return rejects.table()

    def _expired(self, group: _Group, own_us: int, default_us: int, line_no: int) -> bool:
        """Whether ``group`` is too old for a sentence with these times at ``line_no``."""
        first = group.first
        if first.received_at_us != NO_TIME:
            if own_us != NO_TIME:
                return own_us - first.received_at_us > self.max_age_us
        elif (
            own_us == NO_TIME
            and NO_TIME not in (first.default_us, default_us)
            and default_us - first.default_us > self.max_age_us
        ):
            return True
        return line_no - first.line_no > self.max_age_lines

    def _sweep(self, line_no: int, rejects: _Rejects) -> None:
        own, default = self._latest_us, self._latest_default_us
        stale = [k for k, g in self._groups.items() if self._expired(g, own, default, line_no)]
        for key in stale:
            rejects.group(self._groups.pop(key), Reason.GROUP_EXPIRED)

    def _assemble(
        self, framed: FramedChunk, idx: np.ndarray, default_us: int, rejects: _Rejects
    ) -> list[_Message]:
        cols = _fragment_columns(framed, idx)
        messages: list[_Message] = []
        for j, i in enumerate(idx.tolist()):
            frag = _Fragment(
                line_no=cols["line_no"][j],
                received_at_us=cols["time"][j],
                default_us=default_us,
                payload=cols["payload"][j],
                fill_bits=cols["fill"][j],
                checksum_ok=cols["ok"][j],
                raw=cols["raw"][j],
            )
            count, num = cols["count"][j], cols["num"][j]
            if count > self.max_fragments:
                rejects.fragment(frag, Reason.MALFORMED_SENTENCE)
                continue
            station = cols["station"][j]
            gid = cols["gid"][j]
            key: _Key = (
                count,
                cols["seq"][j],
                cols["channel"][j],
                *(("g", gid) if gid >= 0 else ("s", station)),
            )
            opener = None
            if num == 1:
                opener = _Group(count, cols["talker"][j], cols["channel"][j], station)
            group = self._add(key, num, frag, opener, rejects)
            if group is not None and len(group.parts) == group.count:
                del self._groups[key]
                messages.append(_complete(i, group))
        return messages

    def _add(
        self, key: _Key, num: int, frag: _Fragment, opener: _Group | None, rejects: _Rejects
    ) -> _Group | None:
        """Put ``frag`` into its group (``opener`` is the new group for a part 1).

        Returns the group it joined, or None when it was rejected.
        """
        group = self._groups.get(key)
        own, default = frag.received_at_us, frag.default_us
        if group is not None and self._expired(group, own, default, frag.line_no):
            rejects.group(self._groups.pop(key), Reason.GROUP_EXPIRED)
            group = None
        if opener is not None:
            if group is not None:
                if group.first.payload == frag.payload:
                    rejects.fragment(frag, Reason.DUPLICATE_FRAGMENT)
                    return None
                rejects.group(self._groups.pop(key), Reason.INCOMPLETE_GROUP)
            opener.parts[1] = frag
            self._groups[key] = opener
            while len(self._groups) > self.max_pending_groups:
                rejects.group(self._groups.pop(next(iter(self._groups))), Reason.GROUP_OVERFLOW)
            return opener
        if group is None:
            rejects.fragment(frag, Reason.ORPHAN_FRAGMENT)
            return None
        if num in group.parts:
            rejects.fragment(frag, Reason.DUPLICATE_FRAGMENT)
            return None
        group.parts[num] = frag
        return group


def _fragment_columns(framed: FramedChunk, idx: np.ndarray) -> dict[str, list]:
    """The framed columns of the multi-part sentences ``idx`` as Python lists."""
    station = framed.station[idx]
    data = framed.data.data  # a memoryview: slices of it cost less than NumPy slices
    starts, ends = framed.payload_start[idx].tolist(), framed.payload_end[idx].tolist()
    payloads = zip(starts, ends, strict=True)
    records = zip(framed.record_start[idx].tolist(), framed.record_end[idx].tolist(), strict=True)
    return {
        "payload": [data[s:e].tobytes() for s, e in payloads],
        "raw": [data[s:e].tobytes().decode("utf-8", "replace") for s, e in records],
        "line_no": framed.line_no[idx].tolist(),
        "time": framed.received_at_us[idx].tolist(),
        "fill": framed.fill_bits[idx].tolist(),
        "ok": (framed.checksum_ok[idx] & framed.tag_block_ok[idx]).tolist(),
        "count": framed.frag_count[idx].tolist(),
        "num": framed.frag_num[idx].tolist(),
        "seq": framed.seq_id[idx].tolist(),
        "channel": framed.channel[idx].tolist(),
        "talker": framed.talker[idx].tolist(),
        "gid": framed.group_id[idx].tolist(),
        "station": [framed.stations[k] if k >= 0 else None for k in station.tolist()],
    }


def _complete(order: int, group: _Group) -> _Message:
    parts = [group.parts[k] for k in range(1, group.count + 1)]
    return _Message(
        order=order,
        first=parts[0],
        payload=b"".join(p.payload for p in parts),
        fill_bits=parts[-1].fill_bits,
        checksum_ok=all(p.checksum_ok for p in parts),
        count=group.count,
        talker=group.talker,
        channel=group.channel,
        station=group.station,
    )


def _with_default(times: np.ndarray, default_us: int) -> np.ndarray:
    if default_us == NO_TIME:
        return times
    return np.where(times == NO_TIME, default_us, times)


def _merge(single: np.ndarray, multi: list, is_multi: np.ndarray | None, dtype: type) -> np.ndarray:
    """Single-sentence values and multi-part values interleaved in output order."""
    if is_multi is None:
        return single.astype(dtype, copy=False)
    out: np.ndarray = np.empty(len(is_multi), dtype)
    out[~is_multi] = single
    out[is_multi] = np.array(multi, dtype)
    return out


def _station_array(
    framed: FramedChunk, single: np.ndarray, messages: list[_Message], is_multi: np.ndarray | None
) -> pa.Array:
    names = list(framed.stations)
    index = {name: k for k, name in enumerate(names)}
    multi_codes = []
    for m in messages:
        if m.station is not None and m.station not in index:
            index[m.station] = len(names)
            names.append(m.station)
        multi_codes.append(-1 if m.station is None else index[m.station])
    codes = _merge(single, multi_codes, is_multi, np.int32)
    if not names:
        return pa.nulls(len(codes), pa.string())
    return pa.array(names, pa.string()).take(pa.array(codes, mask=codes < 0))


def _build_batch(
    framed: FramedChunk, singles: np.ndarray | None, messages: list[_Message], default_us: int
) -> PayloadBatch:
    """The PayloadBatch of the single-sentence rows ``singles`` (all rows when None) and the
    completed multi-part ``messages``, in the order in which they completed; ``default_us`` is
    the time of single-sentence messages without one."""

    def col(values: np.ndarray) -> np.ndarray:
        return values if singles is None else values[singles]

    is_multi = None
    if messages:
        assert singles is not None
        order = np.array([m.order for m in messages], np.int64)
        is_multi = np.zeros(len(singles) + len(messages), np.bool_)
        is_multi[np.searchsorted(singles, order) + np.arange(len(messages))] = True
    blob = b"".join(m.payload for m in messages)
    m_ends = np.cumsum([len(m.payload) for m in messages], dtype=np.int64)
    payload, offsets = gather_payloads(
        framed.data,
        col(framed.payload_start),
        col(framed.payload_end),
        np.frombuffer(blob, np.uint8),
        m_ends - np.array([len(m.payload) for m in messages], np.int64),
        m_ends,
        is_multi if is_multi is not None else np.zeros(len(col(framed.line_no)), np.bool_),
    )
    ok = col(framed.checksum_ok) & col(framed.tag_block_ok)
    return PayloadBatch(
        payload=payload,
        offsets=offsets,
        fill_bits=_merge(
            col(framed.fill_bits), [m.fill_bits for m in messages], is_multi, np.uint8
        ),
        received_at_us=_merge(
            _with_default(col(framed.received_at_us), default_us),
            [_time_of(m.first) for m in messages],
            is_multi,
            np.int64,
        ),
        line_no=_merge(
            col(framed.line_no), [m.first.line_no for m in messages], is_multi, np.int64
        ),
        checksum_ok=_merge(ok, [m.checksum_ok for m in messages], is_multi, np.bool_),
        sentence_count=_merge(
            np.ones(len(ok), np.uint8), [m.count for m in messages], is_multi, np.uint8
        ),
        channel=channel_array(
            _merge(col(framed.channel), [m.channel for m in messages], is_multi, np.uint8)
        ),
        talker=talker_array(
            _merge(col(framed.talker), [m.talker for m in messages], is_multi, np.int16)
        ),
        station=_station_array(framed, col(framed.station), messages, is_multi),
    )


@dataclass(frozen=True)
class FrameStats:
    """What framing and reassembly did with one input.

    ``records == blank_or_comment + metadata_lines + ais_sentences + rejected``; ``messages`` are
    complete messages handed to decoding and ``reassembly_rejected`` the sentences rejected while
    reassembling (each also counted in ``ais_sentences``).
    """

    lines: int
    records: int
    blank_or_comment: int
    metadata_lines: int
    ais_sentences: int
    rejected: int
    messages: int
    reassembly_rejected: int


def frame_bytes(
    buf: bytes, *, default_time_us: int = NO_TIME, strict: bool = False
) -> tuple[PayloadBatch, pa.Table, FrameStats]:
    """Frame, reassemble and flush one buffer of whole lines in one go.

    Returns the complete messages, every reject (framing and reassembly, ordered by line) and
    the counters. ``default_time_us`` applies to messages without a time of their own.
    """
    framed = frame_chunk(buf, strict=strict)
    reassembler = Reassembler()
    batch, pushed = reassembler.push(framed, default_time_us)
    flushed = reassembler.flush()
    rejects = pa.concat_tables(
        [with_default_time(framed.rejects, default_time_us), pushed, flushed]
    )
    if rejects.num_rows:
        rejects = rejects.take(pa.compute.sort_indices(rejects, [("line_no", "ascending")]))
    stats = FrameStats(
        lines=framed.lines,
        records=framed.records,
        blank_or_comment=framed.blank_or_comment,
        metadata_lines=framed.metadata_lines,
        ais_sentences=framed.ais_sentences,
        rejected=framed.rejected,
        messages=len(batch),
        reassembly_rejected=pushed.num_rows + flushed.num_rows,
    )
    return batch, rejects, stats
