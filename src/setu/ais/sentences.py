"""Framing of raw AIS input: bytes in, columns of AIS sentences and a rejects table out.

:func:`frame_chunk` reads a chunk of whole lines in one Numba pass (:mod:`setu.ais._frame_scan`)
and returns a :class:`FramedChunk`: one row per AIS sentence (``!ccVDM``/``!ccVDO`` from any
talker) with its fragment fields, receive time, station and payload offsets, plus a rejects
table (:data:`setu.ais.batch.REJECT_SCHEMA`) and counters. Multi-part reassembly is the job of
:mod:`setu.ais.reassembly`.

What a line can be:

- an AIS sentence, optionally preceded by IEC 61162-450 tag blocks ``\\c:..,s:..,g:..*hh\\`` and
  by a leading timestamp (Unix seconds or ISO 8601, then a space, comma, tab or semicolon), and
  optionally followed by ``,``-separated fields of which the last 10-digit one is Unix seconds;
  several ``tag block + sentence`` pairs may share one line (each is its own *record*);
- metadata: a stand-alone tag block or a Gatehouse ``$PGHP,1,...`` timestamp, applying to the
  next record that is not blank, a comment or metadata (also across chunks, see
  :class:`FrameCarry`);
- blank or a ``#`` comment;
- anything else is rejected: other NMEA sentences as NOT_AIS, non-NMEA text as NOT_NMEA.

What a line is: its end is ``\n``, ``\r\n`` or a lone ``\r`` (one rule, shared with
:mod:`setu.ingest.chunking` and the CSV reader, so line numbers agree everywhere). Spaces, tabs
and a UTF-8 byte order mark at the start of a line are ignored; any other byte (a NUL, say)
makes the line a reject, kept with its raw text.

Receive time precedence: tag ``c:`` > tag ``T:`` > ``$PGHP`` > leading or trailing timestamp >
``default_time_us``. Tag ``c:`` is Unix seconds (with an optional fraction), or milliseconds
when it has exactly 13 digits (2001-09-09 to 2286-11-20); a length rule, unlike a magnitude
threshold, never reads an out-of-range number of seconds as a plausible date in milliseconds.
A time of the line's own outside ``time_window`` (see :func:`frame_chunk`) rejects the sentence
as ``implausible_time`` — it does not fall back to another time. Counters satisfy
``records == blank_or_comment + metadata_lines + ais_sentences + rejected`` and
``records >= lines`` (equal unless a line holds several records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyarrow as pa

from setu.ais._frame_fields import REASON_BY_CODE, TALKER_CODES
from setu.ais._frame_gather import copy_ranges
from setu.ais._frame_scan import (
    C_AIS,
    C_BLANK,
    C_LINES,
    C_META,
    C_NR,
    C_NS,
    C_NST,
    C_RECORDS,
    C_REJ,
    J_END,
    J_LINE,
    J_REASON,
    J_START,
    J_TIME,
    N_COUNTERS,
    N_REJ_ROWS,
    N_SENT_ROWS,
    P_STATION,
    S_CHAN,
    S_COUNT,
    S_CS_OK,
    S_FILL,
    S_G_ID,
    S_G_NUM,
    S_G_TOTAL,
    S_LINE,
    S_NUM,
    S_PAY_END,
    S_PAY_START,
    S_REC_END,
    S_REC_START,
    S_SEQ,
    S_STATION,
    S_TAG_OK,
    S_TALKER,
    S_TIME,
    empty_pending,
    grow_stations,
    intern,
    scan,
)
from setu.ais.batch import NO_TIME, REJECT_SCHEMA
from setu.errors import ConfigError

__all__ = [
    "ANY_TIME",
    "FrameCarry",
    "FramedChunk",
    "channel_array",
    "count_lines",
    "first_line",
    "frame_chunk",
    "talker_array",
    "talker_name",
]


#: The widest receive-time window: every time a timestamp (and Python's datetime) can hold, from
#: 0001-01-01 to 9999-12-31T23:59:59.999999. Times written in a line that cannot be held (the
#: year 10000 or later, seconds too large for µs: TIME_OUT_OF_RANGE) are outside it.
ANY_TIME: tuple[int, int] = (-62_135_596_800_000_000, 253_402_300_799_999_999)


def count_lines(data: bytes) -> int:
    """Line breaks in ``data``: ``\n``, ``\r\n`` and a lone ``\r`` each count once.

    The one definition of a line, used by the framing kernel, the chunker and the CSV reader.
    """
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def first_line(data: bytes) -> tuple[bytes, bytes] | None:
    """(first line without its break, the rest after the break), or None without a whole line.

    A ``\r`` as the very last byte is not a whole break yet (a ``\n`` may follow).
    """
    lf = data.find(b"\n")
    cr = data.find(b"\r", 0, lf if lf >= 0 else len(data) - 1)
    if cr >= 0:
        end = cr + 2 if data[cr + 1 : cr + 2] == b"\n" else cr + 1
        return data[:cr], data[end:]
    if lf >= 0:
        return data[:lf], data[lf + 1 :]
    return None


@dataclass(frozen=True)
class FrameCarry:
    """Metadata still pending at the end of a chunk (a tag block or $PGHP line at its end).

    Pass ``chunk.carry`` to the next :func:`frame_chunk` call so it applies to the first sentence
    of the next chunk. ``pending`` holds the kernel's pending values; ``station`` the name.
    """

    pending: tuple[int, ...] = field(default_factory=lambda: tuple(empty_pending().tolist()))
    station: str | None = None


@dataclass(frozen=True)
class FramedChunk:
    """AIS sentences of one chunk, one row per sentence, in input order.

    - ``line_no`` int64: 1-based line number; ``received_at_us`` int64 (NO_TIME when unknown)
    - ``frag_count``, ``frag_num`` uint8; ``seq_id`` int32 (-1 when empty)
    - ``channel`` uint8: the channel character's code (0 when empty)
    - ``talker`` int16: formatter code, see :func:`talker_name` (e.g. "AIVDM", "BSVDO")
    - ``station`` int32: index into ``stations`` (tag block ``s:``), -1 when none
    - ``payload_start``/``payload_end`` int64: the armoured payload is ``data[start:end]``
    - ``fill_bits`` uint8; ``checksum_ok`` bool (NMEA checksum); ``tag_block_ok`` bool (False when
      a tag block applying to the sentence had a bad or missing checksum or bad syntax)
    - ``group_num``/``group_total`` int16 and ``group_id`` int64: tag block ``g:n-m-id``, -1 absent
    - ``record_start``/``record_end`` int64: the raw record (tag blocks + sentence) in ``data``
    """

    data: np.ndarray
    line_no: np.ndarray
    received_at_us: np.ndarray
    frag_count: np.ndarray
    frag_num: np.ndarray
    seq_id: np.ndarray
    channel: np.ndarray
    talker: np.ndarray
    station: np.ndarray
    stations: tuple[str, ...]
    payload_start: np.ndarray
    payload_end: np.ndarray
    fill_bits: np.ndarray
    checksum_ok: np.ndarray
    tag_block_ok: np.ndarray
    group_num: np.ndarray
    group_total: np.ndarray
    group_id: np.ndarray
    record_start: np.ndarray
    record_end: np.ndarray
    rejects: pa.Table
    carry: FrameCarry
    lines: int
    records: int
    blank_or_comment: int
    metadata_lines: int
    ais_sentences: int
    rejected: int
    last_line_no: int

    def __len__(self) -> int:
        return len(self.line_no)

    def raw(self, i: int) -> str:
        """The raw record of sentence ``i`` (tag blocks included), for rejects and debugging."""
        rec = self.data[self.record_start[i] : self.record_end[i]]
        return bytes(rec).decode("utf-8", "replace")

    def payload(self, i: int) -> bytes:
        return bytes(self.data[self.payload_start[i] : self.payload_end[i]])


def talker_name(code: int) -> str:
    """The formatter (e.g. "AIVDM") of a talker code produced by the framing kernel."""
    pair, vdo = divmod(int(code), 2)
    first, second = divmod(pair, 95)
    return chr(first + 32) + chr(second + 32) + ("VDO" if vdo else "VDM")


@lru_cache(maxsize=1)
def _talker_lut() -> np.ndarray:
    """The five ASCII bytes of every talker code, one five-byte item per code."""
    names = "".join(talker_name(c) for c in range(TALKER_CODES)).encode("ascii")
    return np.frombuffer(names, "S5")


def _string_array(
    n: int, offsets: np.ndarray, data: np.ndarray, valid: pa.Buffer | None
) -> pa.Array:
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets.astype(np.int32, copy=False)), pa.py_buffer(data), valid
    )


def talker_array(codes: np.ndarray) -> pa.Array:
    """Arrow strings for talker codes (every name has five ASCII characters)."""
    n = len(codes)
    data = _talker_lut()[np.asarray(codes, np.intp)].view(np.uint8)
    return _string_array(n, np.arange(0, 5 * n + 1, 5, dtype=np.int32), data, None)


def channel_array(codes: np.ndarray) -> pa.Array:
    """Arrow strings (null for 0) for channel character codes (printable ASCII)."""
    codes = np.asarray(codes, np.uint8)
    present = codes != 0
    offsets = np.zeros(len(codes) + 1, np.int32)
    np.cumsum(present, out=offsets[1:])
    valid = None if present.all() else pa.py_buffer(np.packbits(present, bitorder="little"))
    return _string_array(len(codes), offsets, codes[present], valid)


def frame_chunk(
    buf: bytes,
    *,
    first_line_no: int = 1,
    default_time_us: int = NO_TIME,
    strict: bool = False,
    max_line_bytes: int = 4096,
    carry: FrameCarry | None = None,
    time_window: tuple[int, int] = ANY_TIME,
) -> FramedChunk:
    """Frame the whole lines in ``buf`` (see the module docstring for what a line can be).

    ``first_line_no`` numbers the first line; ``default_time_us`` is the receive time of
    sentences without one (NO_TIME leaves it unknown); ``strict`` rejects bad NMEA checksums
    (BAD_CHECKSUM), bad tag blocks (BAD_TAG_BLOCK) and bad $PGHP checksums (BAD_PGHP) instead of
    flagging them; ``carry`` is the previous chunk's :attr:`FramedChunk.carry`;
    ``time_window`` is (earliest, latest) in µs: a sentence whose own time lies outside it is
    rejected as IMPLAUSIBLE_TIME (``default_time_us`` is the caller's to check). Reject rows
    keep a null ``received_at`` rather than a time outside the window.
    """
    if max_line_bytes < 1:
        raise ConfigError(
            f"max_line_bytes must be at least 1 (got {max_line_bytes}); the default is 4096"
        )
    t_min, t_max = time_window
    if not ANY_TIME[0] <= t_min <= t_max <= ANY_TIME[1]:
        raise ConfigError(f"time_window {time_window} must be (earliest, latest) within {ANY_TIME}")
    carry = carry if carry is not None else FrameCarry()
    a = np.frombuffer(buf, np.uint8)
    pend = np.array(carry.pending, np.int64)
    cnt = np.zeros(N_COUNTERS, np.int64)
    sent, rej, off, arena = _scan_all(
        a,
        first_line_no,
        (default_time_us, t_min, t_max),
        strict,
        max_line_bytes,
        pend,
        cnt,
        carry.station,
    )
    stations = tuple(
        bytes(arena[off[k] : off[k + 1]]).decode("utf-8", "replace") for k in range(cnt[C_NST])
    )
    ns = int(cnt[C_NS])
    pend_station = int(pend[P_STATION])
    next_carry = FrameCarry(
        pending=tuple(pend.tolist()),
        station=stations[pend_station] if pend_station >= 0 else None,
    )
    return FramedChunk(
        data=a,
        **_sentence_columns(sent[:, :ns]),
        stations=stations,
        rejects=rejects_table(a, rej[:, : int(cnt[C_NR])], time_window),
        carry=next_carry,
        lines=int(cnt[C_LINES]),
        records=int(cnt[C_RECORDS]),
        blank_or_comment=int(cnt[C_BLANK]),
        metadata_lines=int(cnt[C_META]),
        ais_sentences=int(cnt[C_AIS]),
        rejected=int(cnt[C_REJ]),
        last_line_no=first_line_no + int(cnt[C_LINES]) - 1,
    )


def _scan_all(
    a: np.ndarray,
    first_line_no: int,
    times: tuple[int, int, int],
    strict: bool,
    max_line_bytes: int,
    pend: np.ndarray,
    cnt: np.ndarray,
    station: str | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the kernel over every line of ``a``, growing its outputs whenever it stops for room.

    Returns the sentence and reject matrices and the station offsets and bytes; ``pend`` and
    ``cnt`` are updated in place. ``times`` is (default, earliest, latest) in µs; ``station`` is
    the carried station name, if any.
    """
    words = np.frombuffer(a, np.uint64, count=len(a) // 8)
    # Sized for one sentence per 64 bytes (a sentence line has at least 18; feeds with tag
    # blocks or $PGHP lines have 100 or more): denser input makes the kernel stop and the loop
    # below widen the outputs, which is cheaper than counting the lines first.
    rows = len(a) // 64
    slack = max_line_bytes // 2 + 2  # the most records one line can hold
    sent = np.empty((N_SENT_ROWS, rows + slack), np.int64)
    rej = np.empty((N_REJ_ROWS, rows // 8 + slack), np.int64)
    tab, off, arena = np.full(256, -1, np.int64), np.zeros(129, np.int64), np.empty(4096, np.uint8)
    if station is not None:
        seed = np.frombuffer(station.encode(), np.uint8)
        tab, off, arena = grow_stations(tab, off, arena, cnt, len(seed), 1)
        pend[P_STATION] = intern(seed, 0, len(seed), tab, off, arena, cnt)
    pos = 0
    while True:
        args = (first_line_no, *times, strict, max_line_bytes, pend, cnt, sent, rej)
        pos = scan(a, words, pos, *args, tab, off, arena)
        if pos >= len(a):
            return sent, rej, off, arena
        sent = _widen(sent, int(cnt[C_NS]) + slack)
        rej = _widen(rej, int(cnt[C_NR]) + slack)
        tab, off, arena = grow_stations(tab, off, arena, cnt, max_line_bytes, slack)


def _widen(m: np.ndarray, width: int) -> np.ndarray:
    if width <= m.shape[1]:
        return m
    new = np.empty((m.shape[0], max(width, 2 * m.shape[1])), np.int64)
    new[:, : m.shape[1]] = m
    return new


def _sentence_columns(s: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "line_no": s[S_LINE],
        "received_at_us": s[S_TIME],
        "frag_count": s[S_COUNT].astype(np.uint8),
        "frag_num": s[S_NUM].astype(np.uint8),
        "seq_id": s[S_SEQ].astype(np.int32),
        "channel": s[S_CHAN].astype(np.uint8),
        "talker": s[S_TALKER].astype(np.int16),
        "station": s[S_STATION].astype(np.int32),
        "payload_start": s[S_PAY_START],
        "payload_end": s[S_PAY_END],
        "fill_bits": s[S_FILL].astype(np.uint8),
        "checksum_ok": s[S_CS_OK].astype(np.bool_),
        "tag_block_ok": s[S_TAG_OK].astype(np.bool_),
        "group_num": s[S_G_NUM].astype(np.int16),
        "group_total": s[S_G_TOTAL].astype(np.int16),
        "group_id": s[S_G_ID],
        "record_start": s[S_REC_START],
        "record_end": s[S_REC_END],
    }


def text_array(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Arrow strings of the byte ranges ``a[starts[i]:ends[i]]`` (invalid UTF-8 replaced)."""
    n = len(starts)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    values = np.empty(int(offsets[-1]), np.uint8)
    copy_ranges(a, starts, ends, values, offsets, np.arange(n))
    if offsets[-1] < 2**31:
        texts = _string_array(n, offsets, values, None)
        try:
            texts.validate(full=True)
            return texts
        except pa.ArrowInvalid:
            pass
    binary = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(values)]
    )
    try:
        return binary.cast(pa.large_string()).cast(pa.string())
    except pa.ArrowInvalid:
        return pa.array([b.decode("utf-8", "replace") for b in binary.to_pylist()], pa.string())


def rejects_table(
    a: np.ndarray, rej: np.ndarray, time_window: tuple[int, int] = ANY_TIME
) -> pa.Table:
    """The REJECT_SCHEMA table of the kernel's reject columns (times outside the window null)."""
    if rej.shape[1] == 0:
        return REJECT_SCHEMA.empty_table()
    reasons = pa.array([r.value for r in REASON_BY_CODE], pa.string())
    times = rej[J_TIME]
    unknown = (times < time_window[0]) | (times > time_window[1])
    return pa.table(
        [
            pa.array(rej[J_LINE]),
            reasons.take(pa.array(rej[J_REASON])),
            text_array(a, rej[J_START], rej[J_END]),
            pa.array(np.where(unknown, 0, times), pa.timestamp("us", tz="UTC"), mask=unknown),
        ],
        schema=REJECT_SCHEMA,
    )
