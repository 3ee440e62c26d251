"""The Numba framing pass: one loop over the lines of a chunk that classifies every line.

Output is written into two ``int64`` matrices, one column per sentence or reject (rows are the
``S_*`` and ``J_*`` fields below), grown inside the kernel when a line could overflow them.
Metadata lines (stand-alone tag blocks, ``$PGHP``) are kept in ``pend`` until the next record
that is not blank, a comment or metadata consumes them; ``pend`` is also the carry between chunks.
Station names (tag block ``s:``) are interned into a small hash table whose bytes live in
``arena`` (entry ``k`` is ``arena[off[k]:off[k+1]]``).

The hot helpers are inlined into :func:`scan` at Numba IR level, so the compiled ``scan`` (cached
on disk beside this file) embeds code from ``_frame_fields`` and ``_frame_nmea``. Numba checks
only this file's timestamp when it loads the cache: after editing those modules, delete
``__pycache__/_frame_*.nb*`` so ``scan`` is compiled again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from setu.ais._frame_fields import (
    OK,
    R_BAD_CHECKSUM,
    R_BAD_PGHP,
    R_BAD_TAG_BLOCK,
    R_IMPLAUSIBLE_TIME,
    R_LINE_TOO_LONG,
    R_NOT_AIS,
    R_NOT_NMEA,
    find_byte,
    inline_kernel,
    kernel,
    parse_iso,
    parse_unix,
)
from setu.ais._frame_nmea import parse_ais, parse_pghp, parse_tag
from setu.ais.batch import NO_TIME

# Sentence rows.
S_LINE, S_TIME, S_COUNT, S_NUM, S_SEQ, S_CHAN, S_TALKER, S_STATION = 0, 1, 2, 3, 4, 5, 6, 7
S_PAY_START, S_PAY_END, S_FILL, S_CS_OK, S_TAG_OK, S_G_NUM, S_G_TOTAL, S_G_ID = range(8, 16)
S_REC_START, S_REC_END = 16, 17
N_SENT_ROWS = 18
# Reject rows.
J_LINE, J_REASON, J_START, J_END, J_TIME = 0, 1, 2, 3, 4
N_REJ_ROWS = 5
# Counters.
C_LINES, C_RECORDS, C_BLANK, C_META, C_AIS, C_REJ, C_NS, C_NR, C_NST = range(9)
N_COUNTERS = 9
# Pending metadata (carried between lines and chunks).
P_C, P_T, P_PGHP, P_STATION, P_G_NUM, P_G_TOTAL, P_G_ID, P_TAG_OK = range(8)
N_PEND = 8

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def empty_pending() -> np.ndarray:
    """A ``pend`` array with nothing pending."""
    pend = np.empty(N_PEND, np.int64)
    clear_pending(pend)
    return pend


@inline_kernel
def clear_pending(pend):
    pend[P_C] = NO_TIME
    pend[P_T] = NO_TIME
    pend[P_PGHP] = NO_TIME
    pend[P_STATION] = -1
    pend[P_G_NUM] = -1
    pend[P_G_TOTAL] = -1
    pend[P_G_ID] = -1
    pend[P_TAG_OK] = 1


@kernel
def _fnv(src, s, e):
    h = _FNV_OFFSET
    for i in range(s, e):
        h = (h ^ np.uint64(src[i])) * _FNV_PRIME
    return h


@kernel
def _slot(tab, off, arena, src, s, e):
    """Slot of the station ``src[s:e]`` in ``tab``: holding it, or the empty slot for it."""
    mask = len(tab) - 1
    i = np.int64(_fnv(src, s, e) & np.uint64(mask))
    n = e - s
    while True:
        k = tab[i]
        if k < 0:
            return i
        if off[k + 1] - off[k] == n:
            o = off[k]
            same = True
            for j in range(n):
                if arena[o + j] != src[s + j]:
                    same = False
                    break
            if same:
                return i
        i = (i + 1) & mask


@kernel
def intern(src, s, e, tab, off, arena, cnt):
    """Index of the station ``src[s:e]``, added when new (room must have been made)."""
    i = _slot(tab, off, arena, src, s, e)
    if tab[i] >= 0:
        return tab[i]
    k = cnt[C_NST]
    o = off[k]
    for j in range(e - s):
        arena[o + j] = src[s + j]
    off[k + 1] = o + e - s
    tab[i] = k
    cnt[C_NST] = k + 1
    return k


@inline_kernel
def has_station_room(tab, off, arena, cnt, nbytes, nentries):
    """Whether ``nentries`` more stations of ``nbytes`` bytes in total fit."""
    k = cnt[C_NST]
    return (
        off[k] + nbytes <= len(arena) and k + nentries < len(off) and 2 * (k + nentries) <= len(tab)
    )


@njit(cache=True, nogil=True)  # allocates, so it keeps the reference-counting runtime
def grow_stations(tab, off, arena, cnt, nbytes, nentries):
    """Station tables with room for ``nentries`` more stations of ``nbytes`` bytes in total."""
    k = cnt[C_NST]
    if off[k] + nbytes > len(arena):
        new_arena = np.empty(max(2 * len(arena), off[k] + nbytes), np.uint8)
        new_arena[: off[k]] = arena[: off[k]]
        arena = new_arena
    if k + nentries + 1 > len(off):
        new_off = np.zeros(max(2 * len(off), k + nentries + 1), np.int64)
        new_off[: k + 1] = off[: k + 1]
        off = new_off
    if 2 * (k + nentries) > len(tab):
        size = len(tab)
        while 2 * (k + nentries) > size:
            size *= 2
        tab = np.full(size, -1, np.int64)
        for j in range(k):
            tab[_slot(tab, off, arena, arena, off[j], off[j + 1])] = j
    return tab, off, arena


@inline_kernel
def _reject(rej, cnt, line_no, reason, s, e, t):
    i = cnt[C_NR]
    rej[J_LINE, i] = line_no
    rej[J_REASON, i] = reason
    rej[J_START, i] = s
    rej[J_END, i] = e
    rej[J_TIME, i] = t
    cnt[C_NR] = i + 1
    cnt[C_REJ] += 1


@inline_kernel
def pick_time(c_us, t_us, pghp_us, lead_us, trail_us, default_us):
    """Receive time by precedence: tag ``c:`` > tag ``T:`` > $PGHP > leading/trailing > default."""
    for t in (c_us, t_us, pghp_us, lead_us, trail_us):
        if t != NO_TIME:
            return t
    return default_us


@inline_kernel
def _ais_record(a, rs, p, e, line_no, tags, lead_us, win, strict, sent, rej, cnt, pend):
    """Parse the AIS sentence at ``a[p]`` (record from ``rs``); returns the record end.

    ``win`` is (default time, earliest, latest): a time of the record's own outside
    [earliest, latest] rejects it as IMPLAUSIBLE_TIME.
    """
    reason, talker, count, num, seq, chan, ps, pe, fill, ok, trail, rec_end = parse_ais(a, p, e)
    c_us, t_us, st, gn, gt, gid, tag_ok = tags
    default_us, t_min, t_max = win
    t = pick_time(c_us, t_us, pend[P_PGHP], lead_us, trail, default_us)
    clear_pending(pend)
    if reason == OK and strict and not ok:
        reason = R_BAD_CHECKSUM
    if reason == OK and t != NO_TIME and (t < t_min or t > t_max):
        reason = R_IMPLAUSIBLE_TIME
    if reason != OK:
        _reject(rej, cnt, line_no, reason, rs, rec_end, t)
        return rec_end
    i = cnt[C_NS]
    sent[S_LINE, i] = line_no
    sent[S_TIME, i] = t
    sent[S_COUNT, i] = count
    sent[S_NUM, i] = num
    sent[S_SEQ, i] = seq
    sent[S_CHAN, i] = chan
    sent[S_TALKER, i] = talker
    sent[S_STATION, i] = st
    sent[S_PAY_START, i] = ps
    sent[S_PAY_END, i] = pe
    sent[S_FILL, i] = fill
    sent[S_CS_OK, i] = 1 if ok else 0
    sent[S_TAG_OK, i] = tag_ok
    sent[S_G_NUM, i] = gn
    sent[S_G_TOTAL, i] = gt
    sent[S_G_ID, i] = gid
    sent[S_REC_START, i] = rs
    sent[S_REC_END, i] = rec_end
    cnt[C_NS] = i + 1
    cnt[C_AIS] += 1
    return rec_end


@inline_kernel
def _tags(a, p, e, pend, tab, off, arena, cnt):
    """Tag blocks at ``a[p]`` merged over the pending ones.

    Returns (position after them or -1 when one never closes, (c, T, station, g_num, g_total,
    g_id, tag_ok)).
    """
    c_us, t_us, st = pend[P_C], pend[P_T], pend[P_STATION]
    gn, gt, gid, tag_ok = pend[P_G_NUM], pend[P_G_TOTAL], pend[P_G_ID], pend[P_TAG_OK]
    while p < e and a[p] == 92:
        close, ok, c, tt, ss, se, n, m, g = parse_tag(a, p, e)
        if close < 0:
            return -1, (c_us, t_us, st, gn, gt, gid, np.int64(0))
        if not ok:
            tag_ok = 0
        if c != NO_TIME:
            c_us = c
        if tt != NO_TIME:
            t_us = tt
        if ss >= 0:
            st = intern(a, ss, se, tab, off, arena, cnt)
        if n > 0:
            gn, gt, gid = n, m, g
        p = close + 1
        while p < e and a[p] == 32:
            p += 1
    return p, (c_us, t_us, st, gn, gt, gid, tag_ok)


@inline_kernel
def _keep_pending(pend, tags):
    c_us, t_us, st, gn, gt, gid, tag_ok = tags
    pend[P_C] = c_us
    pend[P_T] = t_us
    pend[P_STATION] = st
    pend[P_G_NUM] = gn
    pend[P_G_TOTAL] = gt
    pend[P_G_ID] = gid
    pend[P_TAG_OK] = tag_ok


@inline_kernel
def _is_pghp(a, p, e):
    return e - p >= 5 and a[p + 1] == 80 and a[p + 2] == 71 and a[p + 3] == 72 and a[p + 4] == 80


@inline_kernel
def _dollar_record(a, rs, p, e, line_no, tags, lead_us, default_us, strict, rej, cnt, pend):
    """A ``$`` sentence: $PGHP becomes pending metadata, anything else is NOT_AIS."""
    t = pick_time(tags[0], tags[1], pend[P_PGHP], lead_us, NO_TIME, default_us)
    if not _is_pghp(a, p, e):
        rec_end = find_byte(a, p, e, 92)
        clear_pending(pend)
        _reject(rej, cnt, line_no, R_NOT_AIS, rs, rec_end, t)
        return rec_end
    status, pghp_us, ok, rec_end = parse_pghp(a, p, e)
    if status < 0 or (strict and not ok):
        clear_pending(pend)
        _reject(rej, cnt, line_no, R_BAD_PGHP, rs, rec_end, t)
        return rec_end
    _keep_pending(pend, tags)
    if status == 0:
        pend[P_PGHP] = pghp_us
    cnt[C_META] += 1
    return rec_end


@inline_kernel
def _skip_escaped_breaks(a, p, e):
    """Skip ``\\r`` / ``\\n`` written as text (not a tag block: no ``:`` after the letter)."""
    while p + 1 < e and a[p] == 92 and (a[p + 1] == 114 or a[p + 1] == 110):
        if p + 2 < e and a[p + 2] == 58:
            break
        p += 2
    return p


@inline_kernel
def _records(a, p, e, line_no, lead_us, win, strict, sent, rej, cnt, pend, st_tables):
    """Every record of one line ``a[p:e]`` (several when tag block + sentence pairs repeat).

    Line breaks written out as text (``\\r\\n`` as four characters, as some loggers do) also
    separate records.
    """
    tab, off, arena = st_tables
    default_us = win[0]
    first = True
    while p < e:
        p = _skip_escaped_breaks(a, p, e)
        if p >= e:
            if first:  # nothing but escaped line breaks: a blank line
                cnt[C_RECORDS] += 1
                cnt[C_BLANK] += 1
            return
        first = False
        rs = p
        cnt[C_RECORDS] += 1
        p, tags = _tags(a, p, e, pend, tab, off, arena, cnt)
        t = pick_time(tags[0], tags[1], pend[P_PGHP], lead_us, NO_TIME, default_us)
        if p < 0:
            clear_pending(pend)
            _reject(rej, cnt, line_no, R_BAD_TAG_BLOCK, rs, e, t)
            return
        if p >= e:
            if strict and tags[6] == 0:
                clear_pending(pend)
                _reject(rej, cnt, line_no, R_BAD_TAG_BLOCK, rs, e, t)
            else:
                _keep_pending(pend, tags)
                cnt[C_META] += 1
            return
        b = a[p]
        if strict and tags[6] == 0 and (b == 33 or b == 36):
            p = find_byte(a, p, e, 92)
            clear_pending(pend)
            _reject(rej, cnt, line_no, R_BAD_TAG_BLOCK, rs, p, t)
        elif b == 33:
            p = _ais_record(a, rs, p, e, line_no, tags, lead_us, win, strict, sent, rej, cnt, pend)
        elif b == 36:
            p = _dollar_record(
                a, rs, p, e, line_no, tags, lead_us, default_us, strict, rej, cnt, pend
            )
        else:
            clear_pending(pend)
            _reject(rej, cnt, line_no, R_NOT_NMEA, rs, e, t)
            return


@kernel
def _leading_time(a, s, e):
    """A leading timestamp and separator before the record: (µs, record start) or (NO_TIME, -1)."""
    if e - s >= 19 and a[s + 4] == 45:
        t, q = parse_iso(a, s, e)
    else:
        t, q = parse_unix(a, s, e, False)
    if t == NO_TIME or q >= e or not (a[q] == 32 or a[q] == 44 or a[q] == 9 or a[q] == 59):
        return NO_TIME, -1
    q += 1
    while q < e and (a[q] == 32 or a[q] == 9):
        q += 1
    if q >= e or not (a[q] == 33 or a[q] == 92 or a[q] == 36):
        return NO_TIME, -1
    return t, q


@inline_kernel
def _line(a, s, e, line_no, win, strict, max_line, sent, rej, cnt, pend, st_tables):
    default_us = win[0]
    if e - s > max_line:
        cnt[C_RECORDS] += 1
        clear_pending(pend)
        _reject(rej, cnt, line_no, R_LINE_TOO_LONG, s, s + max_line, default_us)
        return
    lead = NO_TIME
    if 48 <= a[s] <= 57:
        lead, s2 = _leading_time(a, s, e)
        if s2 < 0:
            cnt[C_RECORDS] += 1
            clear_pending(pend)
            _reject(rej, cnt, line_no, R_NOT_NMEA, s, e, default_us)
            return
        s = s2
    _records(a, s, e, line_no, lead, win, strict, sent, rej, cnt, pend, st_tables)


_LFS = np.uint64(0x0A0A0A0A0A0A0A0A)
_CRS = np.uint64(0x0D0D0D0D0D0D0D0D)
_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)


@inline_kernel
def find_newline(a, words, p, e):
    """Position of the first line break byte (``\n`` or ``\r``) in ``a[p:e]``, or ``e``.

    A line ends at ``\n``, ``\r\n`` or a lone ``\r`` (the rule of
    :mod:`setu.ingest.chunking`). ``words`` is ``a`` read as 64-bit words (its first
    ``len(a) // 8``): whole words are tested for a break byte at once (``(x - 0x01..) & ~x &
    0x80..`` is non-zero exactly when a byte of ``x`` is zero), which is several times faster
    than a byte at a time on long lines.
    """
    while p < e and (p & 7) != 0:
        if a[p] == 10 or a[p] == 13:
            return p
        p += 1
    while p + 8 <= e:
        w = words[p >> 3]
        x = w ^ _LFS
        y = w ^ _CRS
        if (((x - _ONES) & ~x) | ((y - _ONES) & ~y)) & _HIGHS != np.uint64(0):
            break
        p += 8
    while p < e and a[p] != 10 and a[p] != 13:
        p += 1
    return p


@kernel
def scan(
    a,
    words,
    pos,
    first_line_no,
    default_us,
    t_min,
    t_max,
    strict,
    max_line,
    pend,
    cnt,
    sent,
    rej,
    tab,
    off,
    arena,
):
    """Frame the lines of ``a`` from ``pos``; returns where it stopped (``len(a)`` when done).

    ``words`` is ``a`` as 64-bit words (see :func:`find_newline`). A sentence whose own receive
    time lies outside ``[t_min, t_max]`` is rejected as IMPLAUSIBLE_TIME (``default_us``, the
    time of sentences without one, is not checked here). A UTF-8 byte order mark, spaces and
    tabs around a line are ignored.

    It stops early, at the start of a line, when the output matrices or the station tables
    might not hold that line's records: the caller grows them and calls again. ``cnt`` (the
    counters) and ``pend`` (pending metadata, the carry to the next chunk) are updated in place.
    """
    n = len(a)
    win = (default_us, t_min, t_max)
    while pos < n:
        brk = find_newline(a, words, pos, n)
        e = brk
        s = pos
        while e > s and (a[e - 1] == 32 or a[e - 1] == 9):
            e -= 1
        if e - s >= 3 and a[s] == 0xEF and a[s + 1] == 0xBB and a[s + 2] == 0xBF:
            s += 3  # a UTF-8 byte order mark (start of a file, or of a concatenated one)
        while s < e and (a[s] == 32 or a[s] == 9):
            s += 1
        size = min(e - s, max_line)
        need = size // 2 + 2
        if cnt[C_NS] + need > sent.shape[1] or cnt[C_NR] + need > rej.shape[1]:
            return pos
        if not has_station_room(tab, off, arena, cnt, size, need):
            return pos
        line_no = first_line_no + cnt[C_LINES]
        cnt[C_LINES] += 1
        pos = brk + 2 if brk + 1 < n and a[brk] == 13 and a[brk + 1] == 10 else brk + 1
        if s == e or a[s] == 35:
            cnt[C_RECORDS] += 1
            cnt[C_BLANK] += 1
            continue
        _line(a, s, e, line_no, win, strict, max_line, sent, rej, cnt, pend, (tab, off, arena))
    return n
